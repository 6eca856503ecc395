/* engine/image_archive: docker save/load and image prune as the API sees them: the image
 * store's archive code underneath, image events (save, load, untag, delete), and the
 * container usage check prune needs. */
#include <stdlib.h>
#include <string.h>

#include "engine/container.h"
#include "engine/engine_priv.h"
#include "engine/image_archive.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static void id_event(struct engine *eng, const char *id, const char *action)
{
	json_t *attrs = json_object();
	struct image *img = image_store_get(eng->images, id, NULL);
	const char *k;
	json_t *v;
	if (img)
		json_object_foreach (json_object_get(image_container_config(img), "Labels"), k, v) {
			if (json_is_string(v))
				json_object_set(attrs, k, v);
		}
	image_put(img);
	json_object_set_new(attrs, "name", json_string(id));
	engine_event_publish(eng, "image", action, id, attrs);
}

struct image_save *engine_image_save_prepare(struct engine *eng, char *const *names, struct err *e)
{
	return image_save_prepare(eng->images, names, e);
}

int engine_image_save_write(struct engine *eng, struct image_save *sv, int fd, struct err *e)
{
	if (image_save_write(sv, fd, e) < 0)
		return -1;
	for (char *const *id = image_save_ids(sv); *id; id++)
		id_event(eng, *id, "save");
	return 0;
}

struct image_load *engine_image_load_start(struct engine *eng, struct err *e)
{
	return image_load_start(eng->images, e);
}

int engine_image_load_finish(struct engine *eng, struct image_load *ld,
			     struct image_load_result *res, struct err *e)
{
	if (image_load_finish(ld, res, e) < 0)
		return -1;
	for (char **id = res->ids; *id; id++)
		id_event(eng, *id, "load");
	return 0;
}

/* Prune skips what a container uses (a soft conflict for the removal it asks for). */
static bool prune_used(const char *image_id, void *arg, char *cid, size_t cid_len, bool *running)
{
	struct engine *eng = arg;
	*running = false;
	if (cid_len)
		cid[0] = '\0';
	return engine_container_image_users(eng, image_id) > 0;
}

static void append_result(struct engine *eng, struct image_rm_result *all,
			  struct image_rm_result *one)
{
	all->items = xrealloc(all->items, (all->n + one->n + 1) * sizeof(*all->items));
	for (size_t i = 0; i < one->n; i++) {
		struct image_rm_item *it = &one->items[i];
		if (!it->deleted)
			id_event(eng, it->id, "untag");
		else if (!strcmp(it->ref, it->id))
			id_event(eng, it->id, "delete");
		all->items[all->n++] = *it;
	}
	free(one->items);
	one->items = NULL;
	one->n = 0;
}

static bool has_tag(char **refs)
{
	for (char **r = refs; *r; r++)
		if (!strchr(*r, '@'))
			return true;
	return false;
}

/* The removals for one image (moby's ImagesPrune): its references, or its ID. */
static void prune_one(struct engine *eng, struct image *img, bool dangling_only,
		      struct image_rm_result *res)
{
	_cleanup_strv_ char **refs = image_store_refs(eng->images, img->id);
	if (!refs[0] && image_store_has_children(eng->images, img->id))
		return; /* an intermediate image: goes with its child */
	if (refs[0] && dangling_only && has_tag(refs))
		return;
	char **targets = refs[0] ? refs : (char *[]){(char *)image_digest_hex(img->id), NULL};
	for (char **t = targets; *t; t++) {
		struct image_rm_result one;
		struct err ignore = ERR_INIT;
		image_store_remove(eng->images, *t, false, true, prune_used, eng, &one, &ignore);
		append_result(eng, res, &one);
	}
}

int engine_image_prune(struct engine *eng, bool dangling_only, engine_image_match_fn *match,
		       void *arg, struct image_rm_result *res, int64_t *reclaimed, struct err *e)
{
	memset(res, 0, sizeof(*res));
	*reclaimed = 0;
	size_t n;
	struct image **imgs = image_store_list(eng->images, &n);
	_cleanup_json_ json_t *sizes = json_object(); /* chain ID -> layer size */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < imgs[i]->layers; k++)
			json_object_set_new(sizes, imgs[i]->chain_ids[k],
					    json_integer(imgs[i]->layer_size[k]));
	for (size_t i = 0; i < n; i++) {
		if (dangling_only && image_store_has_children(eng->images, imgs[i]->id))
			continue; /* only heads */
		if (!match || match(imgs[i], arg))
			prune_one(eng, imgs[i], dangling_only, res);
	}
	image_list_free(imgs, n);
	for (size_t i = 0; i < res->n; i++)
		if (res->items[i].deleted && strcmp(res->items[i].ref, res->items[i].id) != 0)
			*reclaimed += json_integer_value(json_object_get(sizes, res->items[i].ref));
	return 0;
}
