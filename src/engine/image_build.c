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

static char *created_by(const json_t *cconf)
{
	_cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(cconf, "Cmd"), i, x) {
		if (json_is_string(x))
			strv_push(&v, json_string_value(x));
	}
	return strv_join(v, " ");
}

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
	_cleanup_free_ char *by = created_by(o->cconfig);
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
	return id;
}
