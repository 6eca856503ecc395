/* image/store_refs: references (tags and digests) and per-image metadata (parent, last tag
 * time), each persisted as one atomically replaced JSON file. */
#include <stdlib.h>
#include <string.h>

#include "image/store_priv.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

int refs_load(struct image_store *s, struct err *e)
{
	if (!fs_exists(s->refs_path)) {
		s->refs = json_object();
		return 0;
	}
	s->refs = store_load_json(s->refs_path, e);
	if (!s->refs)
		return -1;
	if (!json_is_object(s->refs))
		return err_invalid(e, "%s: expected a JSON object", s->refs_path);
	return 0;
}

int refs_save_locked(struct image_store *s, struct err *e)
{
	return store_save_json(s->refs_path, s->refs, e);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **refs_of_locked(struct image_store *s, const char *id)
{
	char **v = xcalloc(1, sizeof(char *));
	const char *ref;
	json_t *target;
	json_object_foreach (s->refs, ref, target) {
		if (str_eq(json_string_value(target), id))
			strv_push(&v, ref);
	}
	qsort(v, strv_len(v), sizeof(char *), cmp_str);
	return v;
}

char **image_store_refs(struct image_store *s, const char *id)
{
	pthread_mutex_lock(&s->mu);
	char **v = refs_of_locked(s, id);
	pthread_mutex_unlock(&s->mu);
	return v;
}

int meta_save_locked(struct image_store *s, const char *id, struct err *e)
{
	_cleanup_free_ char *path = str_printf("%s/%s.json", s->meta_dir, image_digest_hex(id));
	json_t *m = json_object_get(s->meta, id);
	if (!m)
		return store_remove_file(path, e);
	return store_save_json(path, m, e);
}

char *image_store_last_tag_time(struct image_store *s, const char *id)
{
	pthread_mutex_lock(&s->mu);
	json_t *m = json_object_get(s->meta, id);
	char *t = str_dup(json_string_value(json_object_get(m, "last_tag_time")));
	pthread_mutex_unlock(&s->mu);
	return t;
}

bool image_store_has_children(struct image_store *s, const char *id)
{
	bool found = false;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n_images && !found; i++)
		found = str_eq(s->images[i]->parent, id);
	pthread_mutex_unlock(&s->mu);
	return found;
}

static int tag_locked(struct image_store *s, const char *id, const struct image_ref *ref,
		      struct err *e)
{
	if (!store_find_locked(s, id))
		return err_notfound(e, "No such image: %s", id);
	_cleanup_free_ char *fam_name = image_ref_familiar_name(ref);
	if (!strcmp(fam_name, "sha256"))
		return err_invalid(e, "refusing to create an ambiguous tag using digest algorithm "
				      "as name");
	if (ref->tag && ref->digest)
		return err_invalid(e, "refusing to create a tag with a digest reference");
	_cleanup_free_ char *full = image_ref_string(ref);
	_cleanup_json_ json_t *old = json_incref(json_object_get(s->refs, full));
	json_object_set_new(s->refs, full, json_string(id));
	if (refs_save_locked(s, e) < 0) {
		if (old)
			json_object_set(s->refs, full, old);
		else
			json_object_del(s->refs, full);
		return -1;
	}
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	json_t *m = json_object_get(s->meta, id);
	if (!m) {
		m = json_object();
		json_object_set_new(s->meta, id, m);
	}
	json_object_set_new(m, "last_tag_time", json_string(now));
	return meta_save_locked(s, id, e);
}

int image_store_tag(struct image_store *s, const char *id, const struct image_ref *ref,
		    struct err *e)
{
	pthread_mutex_lock(&s->mu);
	int r = tag_locked(s, id, ref, e);
	pthread_mutex_unlock(&s->mu);
	return r;
}
