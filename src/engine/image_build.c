/* engine/image_build: the engine side of docker build's legacy builder: a step committed as a
 * child image (the container's upper layer, or no layer for a metadata step) and the probe of
 * the build cache (children of the current image with the same container_config). */
#include <stdlib.h>
#include <string.h>

#include "engine/build.h"
#include "engine/container_priv.h"
#include "engine/image_priv.h"
#include "engine/userns.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* The container's upper directory (malloc'd) or NULL when it has none yet. */
static char *container_upper(struct engine *eng, const char *name, char *id,
			     const struct idmap_pair **ids, struct err *e)
{
	_cleanup_json_ json_t *rec = engine_container_inspect(eng, name, e);
	if (!rec)
		return NULL;
	snprintf(id, ID_HEX_LEN + 1, "%s", json_string_value(json_object_get(rec, "Id")));
	/* --userns-remap: the upper holds host ids, the image gets the container's */
	*ids = engine_userns_ids(eng, json_object_get(rec, "HostConfig"), false);
	const json_t *data = json_object_get(json_object_get(rec, "GraphDriver"), "Data");
	const char *upper = json_string_value(json_object_get(data, "UpperDir"));
	if (!upper)
		err_conflict(e, "container %s has no upper layer", name);
	return upper ? str_dup(upper) : NULL;
}

struct image *engine_build_commit(struct engine *eng, const struct engine_build_commit *o,
				  struct err *e)
{
	char id[ID_HEX_LEN + 1] = "";
	_cleanup_free_ char *upper = NULL;
	const struct idmap_pair *ids = NULL;
	if (o->container && !(upper = container_upper(eng, o->container, id, &ids, e)))
		return NULL;
	_cleanup_strv_ char **skip = upper ? engine_commit_skip(upper) : NULL;
	if (!upper && o->dir)
		upper = str_dup(o->dir);
	_cleanup_free_ char *by = engine_commit_created_by(o->cconfig);
	struct image_commit_opts io = {
	    .dir = upper,
	    .skip = skip,
	    .parent = o->parent,
	    .container = id,
	    .config = o->config,
	    .cconfig = o->cconfig,
	    .author = o->author,
	    .created_by = by,
	    .docker_version = BERTH_VERSION,
	    .ids = ids,
	};
	return image_store_commit(eng->images, &io, e);
}

static bool in_set(const char *id, char *const *set)
{
	for (char *const *p = set; p && *p; p++)
		if (!strcmp(*p, id))
			return true;
	return false;
}

/* only's images and every ancestor of them (IDs, NULL-terminated). */
static char **cache_sources(struct engine *eng, char *const *only)
{
	char **ids = xcalloc(1, sizeof(char *));
	for (char *const *p = only; *p; p++) {
		struct image *img = image_store_get(eng->images, *p, NULL);
		while (img && !in_set(img->id, ids)) {
			strv_push(&ids, img->id);
			struct image *up =
			    img->parent ? image_store_get(eng->images, img->parent, NULL) : NULL;
			image_put(img);
			img = up;
		}
		image_put(img);
	}
	return ids;
}

static bool same_cconfig(const struct image *img, const json_t *want)
{
	_cleanup_json_ json_t *have =
	    image_config_normalize(json_object_get(img->config, "container_config"));
	return json_equal(have, want);
}

static char *cache_from_sources(struct engine *eng, const char *parent_id, const json_t *cconfig,
				char *const *sources);

char *engine_build_cache_find(struct engine *eng, const char *parent, const json_t *cconfig,
			      char *const *only)
{
	_cleanup_strv_ char **allowed = only ? cache_sources(eng, only) : NULL;
	_cleanup_json_ json_t *want = image_config_normalize(cconfig);
	size_t n;
	struct image **v = image_store_list(eng->images, &n);
	const struct image *best = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct image *img = v[i];
		bool child = parent ? str_eq(img->parent, parent) : !img->parent;
		if (!child || (allowed && !in_set(img->id, allowed)) || !same_cconfig(img, want))
			continue;
		/* the newest match, as dockerd's cache picks the last child it finds */
		if (!best || img->created > best->created)
			best = img;
	}
	char *id = best ? str_dup(best->id) : NULL;
	image_list_free(v, n);
	return id || !only ? id : cache_from_sources(eng, parent, cconfig, only);
}

static const json_t *history_of(const struct image *img)
{
	return json_object_get(img->config, "history");
}

/* dockerd's isValidParent: parent's history and layers are a prefix of img's. */
static bool valid_parent(const struct image *img, const struct image *parent)
{
	size_t ih = json_array_size(history_of(img));
	if (ih == 0)
		return false;
	if (!parent || (!json_array_size(history_of(parent)) && !parent->layers))
		return true;
	size_t ph = json_array_size(history_of(parent));
	if (ph >= ih || parent->layers > img->layers)
		return false;
	for (size_t i = 0; i < ph; i++)
		if (!json_equal(json_array_get(history_of(parent), i),
				json_array_get(history_of(img), i)))
			return false;
	for (size_t i = 0; i < parent->layers; i++)
		if (strcmp(parent->diff_ids[i], img->diff_ids[i]) != 0)
			return false;
	return true;
}

/* The diff ID that history entry index of img added, NULL for an empty layer. */
static const char *layer_of_history(const struct image *img, size_t index)
{
	size_t layer = 0;
	for (size_t i = 0; i < index; i++)
		if (!json_is_true(
			json_object_get(json_array_get(history_of(img), i), "empty_layer")))
			layer++;
	const json_t *h = json_array_get(history_of(img), index);
	if (json_is_true(json_object_get(h, "empty_layer")) || layer >= img->layers)
		return NULL;
	return img->diff_ids[layer];
}

/* restoreCachedImage: parent + the source's step at index as an image of its own. */
static char *restore(struct engine *eng, const struct image *parent, const struct image *src,
		     size_t index, const json_t *cconfig)
{
	const json_t *h = json_array_get(history_of(src), index);
	json_t *hist = json_array(), *ids = json_array();
	if (parent)
		json_array_extend(hist, (json_t *)history_of(parent));
	json_array_append(hist, (json_t *)h);
	for (size_t i = 0; parent && i < parent->layers; i++)
		json_array_append_new(ids, json_string(parent->diff_ids[i]));
	const char *layer = layer_of_history(src, index);
	if (layer)
		json_array_append_new(ids, json_string(layer));
	const json_t *c = src->config;
	_cleanup_json_ json_t *cfg =
	    json_pack("{s:O?, s:o, s:O?, s:o, s:O?, s:{s:s, s:o}}", "architecture",
		      json_object_get(c, "architecture"), "config", image_config_normalize(cconfig),
		      "created", json_object_get(h, "created"), "history", hist, "os",
		      json_object_get(c, "os"), "rootfs", "type", "layers", "diff_ids", ids);
	struct image *img =
	    cfg ? image_store_add_config(eng->images, cfg, parent ? parent->id : NULL, NULL) : NULL;
	char *id = img ? str_dup(img->id) : NULL;
	image_put(img);
	return id;
}

/* dockerd's ImageCache with --cache-from: a source whose history continues the parent's
 * with this step (its created_by is the step's command) gives the step's image. */
static char *cache_from_sources(struct engine *eng, const char *parent_id, const json_t *cconfig,
				char *const *sources)
{
	struct image *parent = parent_id ? image_store_get(eng->images, parent_id, NULL) : NULL;
	if (parent_id && !parent)
		return NULL;
	size_t index = parent ? json_array_size(history_of(parent)) : 0;
	_cleanup_free_ char *want = engine_commit_created_by(cconfig);
	char *id = NULL;
	for (char *const *p = sources; *p && !id; p++) {
		struct image *src = image_store_get(eng->images, *p, NULL);
		const json_t *h = src ? json_array_get(history_of(src), index) : NULL;
		const char *by = json_string_value(json_object_get(h, "created_by"));
		if (src && valid_parent(src, parent) && str_eq(by ? by : "", want)) {
			bool last = index + 1 == json_array_size(history_of(src));
			if (last && parent)
				image_store_set_parent(eng->images, src->id, parent->id, NULL);
			id = last ? str_dup(src->id) : restore(eng, parent, src, index, cconfig);
		}
		image_put(src);
	}
	image_put(parent);
	return id;
}
