/* image/store: opening (with recovery), resolution of names and IDs, listings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/store_check.h"
#include "image/store_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

/* Loads configs/<hex>.json, checking each against its name (the content hash). */
static int load_images(struct image_store *s, char ***warnings, struct err *e)
{
	if (store_clean_tmp(s->configs_dir, e) < 0 || store_clean_tmp(s->meta_dir, e) < 0)
		return -1;
	_cleanup_strv_ char **names = store_list_dir(s->configs_dir, ".json", e);
	if (!names)
		return -1;
	for (char **n = names; *n; n++) {
		_cleanup_free_ char *path = str_printf("%s/%s", s->configs_dir, *n);
		_cleanup_free_ char *id = str_printf("sha256:%.*s", (int)(strlen(*n) - 5), *n);
		size_t len;
		_cleanup_free_ char *raw = fs_read_file(path, &len, e);
		if (!raw)
			return -1;
		char sum[IMAGE_DIGEST_LEN + 1];
		image_sha256_buf(raw, len, sum);
		struct err ie = ERR_INIT;
		struct image *img =
		    strcmp(sum, id) ? NULL : image_from_config(s, id, raw, len, &ie);
		if (!img) {
			strv_push_take(warnings, str_printf("image %s skipped: %s", id,
							    ie.msg[0] ? ie.msg : "config damaged"));
			continue;
		}
		_cleanup_free_ char *mpath =
		    str_printf("%s/%s.json", s->meta_dir, image_digest_hex(id));
		json_t *m = fs_exists(mpath) ? store_load_json(mpath, NULL) : NULL;
		if (m) {
			img->parent = str_dup(json_string_value(json_object_get(m, "parent")));
			json_object_set_new(s->meta, id, m);
		}
		store_add_locked(s, img);
	}
	return 0;
}

/* References to images that did not load are dropped (and the file rewritten). */
static int prune_refs(struct image_store *s, struct err *e)
{
	bool changed = false;
	const char *ref;
	json_t *target, *tmp;
	json_object_foreach_safe (s->refs, tmp, ref, target) {
		const char *id = json_string_value(target);
		if (!id || !store_find_locked(s, id)) {
			json_object_del(s->refs, ref);
			changed = true;
		}
	}
	return changed ? refs_save_locked(s, e) : 0;
}

struct image_store *image_store_open(const char *dir, char ***warnings, struct err *e)
{
	struct image_store *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->dir = str_dup(dir);
	s->layers_dir = str_printf("%s/layers", dir);
	s->configs_dir = str_printf("%s/configs", dir);
	s->meta_dir = str_printf("%s/meta", dir);
	s->refs_path = str_printf("%s/refs.json", dir);
	s->layers = json_object();
	s->meta = json_object();
	if (store_mkdir(s->layers_dir, 0700, e) < 0 || store_mkdir(s->configs_dir, 0700, e) < 0 ||
	    store_mkdir(s->meta_dir, 0700, e) < 0 || store_clean_tmp(s->dir, e) < 0 ||
	    layer_load_all(s, e) < 0 || store_prune_meta_locked(s, e) < 0 ||
	    load_images(s, warnings, e) < 0 || refs_load(s, e) < 0 || prune_refs(s, e) < 0 ||
	    layer_gc_locked(s, NULL, e) < 0) {
		err_wrap(e, "image store %s", dir);
		image_store_free(s);
		return NULL;
	}
	return s;
}

void image_store_free(struct image_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_images; i++)
		image_put(s->images[i]);
	free(s->images);
	json_decref(s->layers);
	json_decref(s->refs);
	json_decref(s->meta);
	free(s->dir);
	free(s->layers_dir);
	free(s->configs_dir);
	free(s->meta_dir);
	free(s->refs_path);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* digestset.Lookup: a unique image whose hex ID starts with prefix. */
static struct image *find_prefix_locked(struct image_store *s, const char *prefix)
{
	const char *hex = image_digest_hex(prefix);
	size_t n = strlen(hex);
	if (!n || n > 64 || !id_is_hex(hex, 1))
		return NULL;
	struct image *found = NULL;
	for (size_t i = 0; i < s->n_images; i++) {
		if (strncmp(s->images[i]->id + 7, hex, n) != 0)
			continue;
		if (found)
			return NULL; /* ambiguous: Docker reports it as not found */
		found = s->images[i];
	}
	return found;
}

struct image *store_get_locked(struct image_store *s, const char *name, struct err *e)
{
	struct image_ref ref;
	_cleanup_free_ char *digest = NULL;
	if (image_ref_parse_any(name, &ref, &digest, e) < 0)
		return NULL;
	if (digest) {
		struct image *img = store_find_locked(s, digest);
		if (!img)
			err_notfound(e, "No such image: %s", digest);
		return img;
	}
	/* refstore.Get: a digest wins over a tag; a bare name means :latest */
	_cleanup_free_ char *tag = ref.digest ? TAKE_PTR(ref.tag) : NULL;
	image_ref_default_tag(&ref);
	_cleanup_free_ char *full = image_ref_string(&ref);
	struct image *img = store_find_locked(s, json_string_value(json_object_get(s->refs, full)));
	if (!img)
		img = find_prefix_locked(s, name);
	if (!img) {
		if (tag && !ref.tag)
			ref.tag = TAKE_PTR(tag);
		_cleanup_free_ char *fam = image_ref_familiar(&ref);
		err_notfound(e, "No such image: %s", fam);
	}
	image_ref_release(&ref);
	return img;
}

struct image *image_store_get(struct image_store *s, const char *name, struct err *e)
{
	pthread_mutex_lock(&s->mu);
	struct image *img = image_hold(store_get_locked(s, name, e));
	pthread_mutex_unlock(&s->mu);
	return img;
}

struct image **image_store_list(struct image_store *s, size_t *n)
{
	pthread_mutex_lock(&s->mu);
	struct image **v = xcalloc(s->n_images + 1, sizeof(*v));
	for (size_t i = 0; i < s->n_images; i++)
		v[i] = image_hold(s->images[i]);
	*n = s->n_images;
	pthread_mutex_unlock(&s->mu);
	return v;
}

size_t image_store_count(struct image_store *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->n_images;
	pthread_mutex_unlock(&s->mu);
	return n;
}
