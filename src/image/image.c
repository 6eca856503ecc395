/* image/image: image objects parsed from their configs, and the store's in-memory index. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "image/store_priv.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

struct image *image_hold(struct image *img)
{
	if (img)
		__atomic_add_fetch(&img->refcount, 1, __ATOMIC_RELAXED);
	return img;
}

void image_put(struct image *img)
{
	if (!img || __atomic_sub_fetch(&img->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	json_decref(img->config);
	free(img->parent);
	strv_free(img->diff_ids);
	strv_free(img->chain_ids);
	free(img->layer_size);
	free(img);
}

const json_t *image_container_config(const struct image *img)
{
	return json_object_get(img->config, "config"); /* made an object at load */
}

void image_list_free(struct image **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		image_put(v[i]);
	free(v);
}

const char *image_host_arch(void)
{
	static const char *const map[][2] = {
	    {"x86_64", "amd64"},    {"aarch64", "arm64"}, {"armv7l", "arm"},	 {"i686", "386"},
	    {"ppc64le", "ppc64le"}, {"s390x", "s390x"},	  {"riscv64", "riscv64"}};
	struct utsname u;
	if (uname(&u) == 0)
		for (size_t i = 0; i < ARRAY_SIZE(map); i++)
			if (!strcmp(u.machine, map[i][0]))
				return map[i][1];
	return "amd64";
}

static int parse_rootfs(struct image *img, struct err *e)
{
	json_t *rootfs = json_object_get(img->config, "rootfs");
	json_t *ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_object(rootfs) || !(json_is_array(ids) || json_is_null(ids) || !ids))
		return err_invalid(e, "image config: rootfs.diff_ids: expected an array");
	img->layers = json_array_size(ids);
	img->diff_ids = xcalloc(img->layers + 1, sizeof(char *));
	img->chain_ids = xcalloc(img->layers + 1, sizeof(char *));
	img->layer_size = xcalloc(img->layers + 1, sizeof(int64_t));
	for (size_t i = 0; i < img->layers; i++) {
		const char *d = json_string_value(json_array_get(ids, i));
		if (!d || image_digest_validate(d, NULL) < 0)
			return err_invalid(e, "image config: rootfs.diff_ids[%zu]: invalid digest",
					   i);
		char chain[IMAGE_DIGEST_LEN + 1];
		image_chain_id(i ? img->chain_ids[i - 1] : NULL, d, chain);
		img->diff_ids[i] = str_dup(d);
		img->chain_ids[i] = str_dup(chain);
	}
	return 0;
}

struct image *image_from_config(struct image_store *s, const char *id, const char *raw, size_t len,
				struct err *e)
{
	_cleanup_json_ json_t *cfg = jx_loads(raw, len, e);
	if (!cfg)
		return NULL;
	if (!json_is_object(cfg)) {
		err_invalid(e, "image config: expected a JSON object");
		return NULL;
	}
	struct image *img = xcalloc(1, sizeof(*img));
	img->refcount = 1;
	snprintf(img->id, sizeof(img->id), "%s", id);
	img->config = TAKE_PTR(cfg);
	if (!json_is_object(json_object_get(img->config, "config")))
		json_object_set_new(img->config, "config", json_object());
	const char *created = json_string_value(json_object_get(img->config, "created"));
	if (created && store_time_parse(created, &img->created, NULL) < 0)
		img->created = 0;
	if (parse_rootfs(img, e) < 0) {
		image_put(img);
		return NULL;
	}
	for (size_t i = 0; i < img->layers; i++) {
		img->layer_size[i] = layer_size_locked(s, img->chain_ids[i]);
		if (img->layer_size[i] < 0) {
			err_notfound(e, "image %s: layer %s is missing", id, img->chain_ids[i]);
			image_put(img);
			return NULL;
		}
		img->size += img->layer_size[i];
	}
	return img;
}

struct image *store_find_locked(struct image_store *s, const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < s->n_images; i++)
		if (!strcmp(s->images[i]->id, id))
			return s->images[i];
	return NULL;
}

void store_add_locked(struct image_store *s, struct image *img)
{
	if (s->n_images == s->cap_images) {
		s->cap_images = s->cap_images ? 2 * s->cap_images : 16;
		s->images = xrealloc(s->images, s->cap_images * sizeof(*s->images));
	}
	s->images[s->n_images++] = img;
}

void store_drop_locked(struct image_store *s, const char *id)
{
	for (size_t i = 0; i < s->n_images; i++) {
		if (strcmp(s->images[i]->id, id) != 0)
			continue;
		image_put(s->images[i]);
		s->images[i] = s->images[--s->n_images];
		return;
	}
}
