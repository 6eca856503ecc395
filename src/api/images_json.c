/* api/images_json: images as the Engine API shows them: inspect, list items and history,
 * with the per-version differences (VirtualSize < 1.44, Container/ContainerConfig < 1.45,
 * <none>:<none> for dangling list items < 1.43). */
#include <string.h>

#include "api/images.h"
#include "image/changes.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/str.h"

/* A container config with every key dockerd prints, the image's values over zero values. */
static json_t *full_container_config(const json_t *c)
{
	json_t *full = image_config_new_container_config();
	if (json_is_object(c))
		json_object_update(full, (json_t *)c);
	return full;
}

void api_image_refs(struct api_req *req, const struct image *img, json_t **tags, json_t **digests)
{
	*tags = json_array();
	*digests = json_array();
	_cleanup_strv_ char **refs = engine_image_refs(req->eng, img->id);
	for (char **r = refs; *r; r++) {
		_cleanup_free_ char *fam = image_ref_familiarize(*r);
		if (fam)
			json_array_append_new(strchr(*r, '@') ? *digests : *tags, json_string(fam));
	}
}

static json_t *graph_driver(struct api_req *req, const struct image *img)
{
	json_t *data = json_object();
	if (img->layers) {
		_cleanup_free_ char *top =
		    engine_image_layer_path(req->eng, img->chain_ids[img->layers - 1]);
		char **lower = xcalloc(img->layers, sizeof(char *));
		for (size_t i = img->layers - 1; i-- > 0;)
			lower[img->layers - 2 - i] =
			    engine_image_layer_path(req->eng, img->chain_ids[i]);
		if (img->layers > 1) {
			_cleanup_free_ char *l = strv_join(lower, ":");
			json_object_set_new(data, "LowerDir", json_string(l));
		}
		strv_free(lower);
		_cleanup_free_ char *base = str_ndup(top, strlen(top) - strlen("/diff"));
		_cleanup_free_ char *merged = str_printf("%s/merged", base);
		_cleanup_free_ char *work = str_printf("%s/work", base);
		json_object_set_new(data, "MergedDir", json_string(merged));
		json_object_set_new(data, "UpperDir", json_string(top));
		json_object_set_new(data, "WorkDir", json_string(work));
	}
	return json_pack("{s:o, s:s}", "Data", data, "Name", "overlay2");
}

static const char *cfg_str(const struct image *img, const char *key)
{
	const char *s = json_string_value(json_object_get(img->config, key));
	return s ? s : "";
}

json_t *api_image_inspect_json(struct api_req *req, const struct image *img)
{
	json_t *tags, *digests;
	api_image_refs(req, img, &tags, &digests);
	json_t *layers = json_array();
	for (size_t i = 0; i < img->layers; i++)
		json_array_append_new(layers, json_string(img->diff_ids[i]));
	_cleanup_free_ char *last_tag = engine_image_last_tag_time(req->eng, img->id);
	json_t *j = json_pack("{s:s, s:o, s:o, s:s, s:s}", "Id", img->id, "RepoTags", tags,
			      "RepoDigests", digests, "Parent", img->parent ? img->parent : "",
			      "Comment", cfg_str(img, "comment"));
	const char *created = json_string_value(json_object_get(img->config, "created"));
	if (created || !api_version_ge(req, 1, 44))
		json_object_set_new(j, "Created", json_string(created ? created : STORE_TIME_ZERO));
	if (!api_version_ge(req, 1, 45)) {
		json_object_set_new(j, "Container", json_string(cfg_str(img, "container")));
		json_object_set_new(
		    j, "ContainerConfig",
		    full_container_config(json_object_get(img->config, "container_config")));
	}
	json_object_update_new(j, json_pack("{s:s, s:s, s:o, s:s}", "DockerVersion",
					    cfg_str(img, "docker_version"), "Author",
					    cfg_str(img, "author"), "Config",
					    full_container_config(image_container_config(img)),
					    "Architecture", cfg_str(img, "architecture")));
	if (*cfg_str(img, "variant"))
		json_object_set_new(j, "Variant", json_string(cfg_str(img, "variant")));
	json_object_set_new(j, "Os",
			    json_string(*cfg_str(img, "os") ? cfg_str(img, "os") : "linux"));
	if (*cfg_str(img, "os.version"))
		json_object_set_new(j, "OsVersion", json_string(cfg_str(img, "os.version")));
	json_object_set_new(j, "Size", json_integer(img->size));
	if (!api_version_ge(req, 1, 44))
		json_object_set_new(j, "VirtualSize", json_integer(img->size));
	json_object_update_new(j, json_pack("{s:o, s:{s:s, s:o}, s:{s:s}}", "GraphDriver",
					    graph_driver(req, img), "RootFS", "Type", "layers",
					    "Layers", layers, "Metadata", "LastTagTime",
					    last_tag ? last_tag : STORE_TIME_ZERO));
	return j;
}

json_t *api_image_summary_json(struct api_req *req, const struct image *img, json_t *tags,
			       json_t *digests)
{
	if (!api_version_ge(req, 1, 43) && !json_array_size(tags) && !json_array_size(digests)) {
		json_array_append_new(tags, json_string("<none>:<none>"));
		json_array_append_new(digests, json_string("<none>@<none>"));
	}
	json_t *labels = json_object_get(image_container_config(img), "Labels");
	json_t *j = json_pack("{s:i, s:I, s:s, s:O, s:s, s:o, s:o, s:i, s:I}", "Containers", -1,
			      "Created", (json_int_t)(img->created / 1000000000), "Id", img->id,
			      "Labels", json_is_object(labels) ? labels : json_null(), "ParentId",
			      img->parent ? img->parent : "", "RepoDigests", digests, "RepoTags",
			      tags, "SharedSize", -1, "Size", (json_int_t)img->size);
	if (!api_version_ge(req, 1, 44))
		json_object_set_new(j, "VirtualSize", json_integer(img->size));
	return j;
}

/* One history entry per config history item, newest first; IDs and tags come from the image
 * and its local parents, "<missing>" beyond them (moby's ImageHistory). */
json_t *api_image_history_json(struct api_req *req, struct image *img)
{
	json_t *items = json_array();
	json_t *hist = json_object_get(img->config, "history");
	size_t layer = 0, i;
	json_t *h;
	json_array_foreach (hist, i, h) {
		int64_t size = 0, created = 0;
		if (!json_is_true(json_object_get(h, "empty_layer")) && layer < img->layers)
			size = img->layer_size[layer++];
		const char *c = json_string_value(json_object_get(h, "created"));
		if (c)
			store_time_parse(c, &created, NULL);
		const char *by = json_string_value(json_object_get(h, "created_by"));
		const char *comment = json_string_value(json_object_get(h, "comment"));
		json_array_insert_new(
		    items, 0,
		    json_pack("{s:s, s:I, s:s, s:n, s:I, s:s}", "Id", "<missing>", "Created",
			      (json_int_t)(created / 1000000000), "CreatedBy", by ? by : "", "Tags",
			      "Size", (json_int_t)size, "Comment", comment ? comment : ""));
	}
	struct image *cur = image_hold(img);
	json_array_foreach (items, i, h) {
		json_object_set_new(h, "Id", json_string(cur->id));
		json_t *tags, *digests;
		api_image_refs(req, cur, &tags, &digests);
		json_decref(digests);
		json_object_set_new(h, "Tags", json_array_size(tags) ? tags : json_null());
		if (!json_array_size(tags))
			json_decref(tags);
		struct image *parent =
		    cur->parent ? engine_image_get(req->eng, cur->parent, NULL) : NULL;
		image_put(cur);
		cur = parent;
		if (!cur)
			break;
	}
	image_put(cur);
	return items;
}

json_t *api_image_layer_refs(struct image **imgs, size_t n, int64_t *total)
{
	json_t *refs = json_object();
	*total = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < imgs[i]->layers; k++) {
			json_t *c = json_object_get(refs, imgs[i]->chain_ids[k]);
			if (!c)
				*total += imgs[i]->layer_size[k];
			json_object_set_new(refs, imgs[i]->chain_ids[k],
					    json_integer(c ? json_integer_value(c) + 1 : 1));
		}
	return refs;
}

int64_t api_image_shared_size(const struct image *img, const json_t *refs)
{
	int64_t shared = 0;
	for (size_t k = 0; k < img->layers; k++)
		if (json_integer_value(json_object_get(refs, img->chain_ids[k])) > 1)
			shared += img->layer_size[k];
	return shared;
}
