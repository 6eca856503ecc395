/* image/store_check: every layer directory has a valid layer.json naming it, and a parent
 * that exists; every config hashes to its name and is loaded with all its layers; no layer
 * is unused, no reference or metadata points at a missing image, no temporary is left. */
#include <dirent.h>
#include <string.h>

#include "image/store_check.h"
#include "image/store_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

#define PROBLEM(v, ...) strv_push_take(v, str_printf(__VA_ARGS__))

void store_check_tmp(const char *dir, const char *what, char ***problems)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (str_has_prefix(de->d_name, STORE_TMP_PREFIX))
			PROBLEM(problems, "%s: leftover %s/%s", what, dir, de->d_name);
	if (d)
		closedir(d);
}

static void check_layer_dirs(struct image_store *s, char ***p)
{
	store_check_tmp(s->layers_dir, "layers", p);
	_cleanup_strv_ char **names = store_list_dir(s->layers_dir, "", NULL);
	for (char **n = names; n && *n; n++) {
		_cleanup_free_ char *meta = str_printf("%s/%s/layer.json", s->layers_dir, *n);
		_cleanup_free_ char *diff = str_printf("%s/%s/diff", s->layers_dir, *n);
		_cleanup_json_ json_t *j = store_load_json(meta, NULL);
		const char *chain = json_string_value(json_object_get(j, "chain_id"));
		const char *parent = json_string_value(json_object_get(j, "parent"));
		if (!chain || strcmp(image_digest_hex(chain), *n) != 0) {
			PROBLEM(p, "layer %s: layer.json missing or damaged", *n);
			continue;
		}
		if (!fs_is_dir(diff))
			PROBLEM(p, "layer %s: no diff directory", chain);
		if (!json_object_get(s->layers, chain))
			PROBLEM(p, "layer %s: on disk but not loaded", chain);
		if (parent && !json_object_get(s->layers, parent))
			PROBLEM(p, "layer %s: parent %s missing", chain, parent);
	}
	const char *chain;
	json_t *l;
	json_object_foreach (s->layers, chain, l) {
		_cleanup_free_ char *dir =
		    str_printf("%s/%s", s->layers_dir, image_digest_hex(chain));
		if (!fs_is_dir(dir))
			PROBLEM(p, "layer %s: loaded but missing on disk", chain);
	}
}

static void check_configs(struct image_store *s, char ***p)
{
	store_check_tmp(s->configs_dir, "configs", p);
	store_check_tmp(s->meta_dir, "meta", p);
	_cleanup_strv_ char **names = store_list_dir(s->configs_dir, ".json", NULL);
	for (char **n = names; n && *n; n++) {
		_cleanup_free_ char *id = str_printf("sha256:%.*s", (int)(strlen(*n) - 5), *n);
		_cleanup_free_ char *path = str_printf("%s/%s", s->configs_dir, *n);
		size_t len;
		_cleanup_free_ char *raw = fs_read_file(path, &len, NULL);
		char sum[IMAGE_DIGEST_LEN + 1] = "";
		if (raw)
			image_sha256_buf(raw, len, sum);
		if (strcmp(sum, id) != 0)
			PROBLEM(p, "image %s: config does not match its digest", id);
		else if (!store_find_locked(s, id))
			PROBLEM(p, "image %s: config on disk but not loaded", id);
	}
	_cleanup_strv_ char **metas = store_list_dir(s->meta_dir, ".json", NULL);
	for (char **n = metas; n && *n; n++) {
		_cleanup_free_ char *id = str_printf("sha256:%.*s", (int)(strlen(*n) - 5), *n);
		if (!store_find_locked(s, id))
			PROBLEM(p, "image %s: metadata of a missing image", id);
	}
}

static void check_images(struct image_store *s, char ***p)
{
	_cleanup_json_ json_t *used = json_object();
	for (size_t i = 0; i < s->n_images; i++) {
		const struct image *img = s->images[i];
		_cleanup_free_ char *path =
		    str_printf("%s/%s.json", s->configs_dir, image_digest_hex(img->id));
		if (!fs_exists(path))
			PROBLEM(p, "image %s: loaded but its config is gone", img->id);
		for (size_t k = 0; k < img->layers; k++) {
			json_object_set_new(used, img->chain_ids[k], json_true());
			if (!json_object_get(s->layers, img->chain_ids[k]))
				PROBLEM(p, "image %s: layer %s missing", img->id,
					img->chain_ids[k]);
		}
	}
	const char *chain;
	json_t *l;
	json_object_foreach (s->layers, chain, l)
		if (!json_object_get(used, chain))
			PROBLEM(p, "layer %s: orphan (no image uses it)", chain);
	const char *ref;
	json_t *target;
	json_object_foreach (s->refs, ref, target)
		if (!store_find_locked(s, json_string_value(target)))
			PROBLEM(p, "reference %s: image %s missing", ref,
				json_string_value(target));
}

void image_store_check(struct image_store *s, char ***problems)
{
	pthread_mutex_lock(&s->mu);
	store_check_tmp(s->dir, "image store", problems);
	check_layer_dirs(s, problems);
	check_configs(s, problems);
	check_images(s, problems);
	pthread_mutex_unlock(&s->mu);
}

int store_prune_meta_locked(struct image_store *s, struct err *e)
{
	_cleanup_strv_ char **metas = store_list_dir(s->meta_dir, ".json", NULL);
	for (char **n = metas; n && *n; n++) {
		_cleanup_free_ char *config = str_printf("%s/%s", s->configs_dir, *n);
		_cleanup_free_ char *meta = str_printf("%s/%s", s->meta_dir, *n);
		if (!fs_exists(config) && store_remove_file(meta, e) < 0)
			return -1;
	}
	return 0;
}
