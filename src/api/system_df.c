/* api/system_df: GET /system/df as dockerd answers it: LayersSize (every image layer once),
 * the top-level images with Containers and SharedSize (layers other images use too), every
 * container with SizeRw/SizeRootFs, the volumes with UsageData, and an empty build cache. */
#include <stdlib.h>
#include <string.h>

#include "api/containers.h"
#include "api/images.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

enum { DF_CONTAINERS = 1, DF_IMAGES = 2, DF_VOLUMES = 4, DF_BUILD = 8, DF_ALL = 15 };

/* ?type=container&type=image... (API >= 1.42); all of them otherwise. */
static int df_types(struct api_req *req, int *types, struct err *e)
{
	_cleanup_strv_ char **v = api_query_all(req, "type");
	*types = DF_ALL;
	if (!api_version_ge(req, 1, 42) || !v[0])
		return 0;
	static const char *const names[] = {"container", "image", "volume", "build-cache"};
	*types = 0;
	for (char **t = v; *t; t++) {
		size_t i = 0;
		while (i < ARRAY_SIZE(names) && strcmp(*t, names[i]) != 0)
			i++;
		if (i == ARRAY_SIZE(names))
			return err_invalid(e, "unknown object type: %s", *t);
		*types |= 1 << i;
	}
	return 0;
}

static json_t *df_image(struct api_req *req, struct image *img, const json_t *refs)
{
	json_t *tags, *digests;
	api_image_refs(req, img, &tags, &digests);
	if (!json_array_size(tags) && !json_array_size(digests) &&
	    engine_image_has_children(req->eng, img->id)) {
		json_decref(tags);
		json_decref(digests);
		return NULL; /* an intermediate image: not listed */
	}
	json_t *j = api_image_summary_json(req, img, tags, digests);
	json_object_set_new(j, "SharedSize", json_integer(api_image_shared_size(img, refs)));
	json_object_set_new(j, "Containers",
			    json_integer(engine_container_image_users(req->eng, img->id)));
	return j;
}

static json_t *df_images(struct api_req *req, int64_t *layers_size)
{
	size_t n;
	struct image **imgs = engine_image_list(req->eng, &n);
	_cleanup_json_ json_t *refs = api_image_layer_refs(imgs, n, layers_size);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *j = df_image(req, imgs[i], refs);
		if (j)
			json_array_append_new(out, j);
	}
	image_list_free(imgs, n);
	return out;
}

static json_t *df_containers(struct api_req *req)
{
	_cleanup_json_ json_t *recs = engine_container_list(req->eng);
	json_t *out = json_array();
	int64_t now = store_time_now();
	size_t i;
	json_t *rec;
	json_array_foreach (recs, i, rec) {
		json_t *j = api_container_summary_json(req, rec, now);
		int64_t rw, rootfs;
		engine_container_size(req->eng, json_string_value(json_object_get(rec, "Id")), &rw,
				      &rootfs);
		json_object_set_new(j, "SizeRw", json_integer(rw));
		json_object_set_new(j, "SizeRootFs", json_integer(rootfs));
		json_array_append_new(out, j);
	}
	return out;
}

void api_system_df(struct api_req *req)
{
	struct err e = ERR_INIT;
	int types;
	if (df_types(req, &types, &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	int64_t layers = 0;
	json_t *images = types & DF_IMAGES ? df_images(req, &layers) : json_null();
	json_t *out = json_pack("{s:I, s:o}", "LayersSize", (json_int_t)layers, "Images", images);
	json_object_set_new(out, "Containers",
			    types & DF_CONTAINERS ? df_containers(req) : json_null());
	json_object_set_new(out, "Volumes",
			    types & DF_VOLUMES ? engine_volumes_df(req->eng) : json_null());
	/* no builder: an empty cache */
	json_object_set_new(out, "BuildCache", types & DF_BUILD ? json_array() : json_null());
	if (!api_version_ge(req, 1, 42))
		json_object_set_new(out, "BuilderSize", json_integer(0));
	api_reply_json(req, 200, out);
}
