/* image/store_register: a new config registered (also commit's last step), images made of
 * layers the store already has (the build cache's images restored from --cache-from sources,
 * as dockerd's restoreCachedImage), a parent link set on an existing image (SetParent). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/store_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

struct image *store_register_config_locked(struct image_store *s, const char *id, const char *raw,
					   size_t len, const char *parent, struct err *e)
{
	if (parent) {
		json_object_set_new(s->meta, id, json_pack("{s:s}", "parent", parent));
		if (meta_save_locked(s, id, e) < 0) {
			json_object_del(s->meta, id);
			return NULL;
		}
	}
	_cleanup_free_ char *path = str_printf("%s/%s.json", s->configs_dir, image_digest_hex(id));
	struct image *img = store_write_file(path, raw, len, 0600, e) < 0
				? NULL
				: image_from_config(s, id, raw, len, e);
	if (!img) {
		unlink(path);
		json_object_del(s->meta, id);
		meta_save_locked(s, id, NULL);
		return NULL;
	}
	img->parent = parent ? str_dup(parent) : NULL;
	store_add_locked(s, img);
	return image_hold(img);
}

struct image *image_store_add_config(struct image_store *s, const json_t *config,
				     const char *parent, struct err *e)
{
	_cleanup_free_ char *raw = jx_dumps(config);
	size_t len = strlen(raw);
	char id[IMAGE_DIGEST_LEN + 1];
	image_sha256_buf(raw, len, id);
	pthread_mutex_lock(&s->mu);
	struct image *img = store_find_locked(s, id);
	if (img)
		img = image_hold(img);
	else if (parent && !store_find_locked(s, parent))
		err_conflict(e, "image %s was removed meanwhile", parent);
	else
		img = store_register_config_locked(s, id, raw, len, parent, e);
	pthread_mutex_unlock(&s->mu);
	return img;
}

int image_store_set_parent(struct image_store *s, const char *id, const char *parent, struct err *e)
{
	pthread_mutex_lock(&s->mu);
	struct image *img = store_find_locked(s, id);
	int r = 0;
	if (!img || !store_find_locked(s, parent)) {
		r = err_notfound(e, "No such image: %s", img ? parent : id);
	} else if (!str_eq(img->parent, parent)) {
		json_t *m = json_object_get(s->meta, id);
		if (!json_is_object(m))
			json_object_set_new(s->meta, id, m = json_object());
		json_object_set_new(m, "parent", json_string(parent));
		r = meta_save_locked(s, id, e);
		if (r == 0) {
			free(img->parent);
			img->parent = str_dup(parent);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}
