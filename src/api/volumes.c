/* api/volumes: /volumes: list (filters dangling, name, label, driver), create, inspect,
 * remove (force) and prune (label, label!, all; before API 1.42 every unused volume, from
 * 1.42 only anonymous ones unless all=true). */
#include <string.h>

#include "api/filters.h"
#include "api/http.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static json_int_t refcount(const json_t *v)
{
	return json_integer_value(json_object_get(json_object_get(v, "UsageData"), "RefCount"));
}

/* Whether volume v passes the list filters (validated beforehand). */
static bool list_match(const json_t *f, const json_t *v, bool dangling, bool has_dangling)
{
	const char *name = json_string_value(json_object_get(v, "Name"));
	json_t *vals;
	if (has_dangling && dangling != (refcount(v) == 0))
		return false;
	if ((vals = api_filters_get(f, "name")) && json_array_size(vals) &&
	    !api_filters_match_regex(vals, name))
		return false;
	if ((vals = api_filters_get(f, "driver")) && json_array_size(vals) &&
	    !api_filters_match_str(vals, json_string_value(json_object_get(v, "Driver"))))
		return false;
	return api_filters_match_labels(f, "label", json_object_get(v, "Labels"));
}

void api_volumes_list(struct api_req *req)
{
	static const char *const accepted[] = {"dangling", "name", "label", "driver", NULL};
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *f = api_filters_parse(api_query(req, "filters"), &e);
	bool dangling = false;
	if (!f || api_filters_validate(f, accepted, &e) < 0 ||
	    api_filters_bool(f, "dangling", false, &dangling, &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	bool has_dangling = api_filters_get(f, "dangling") != NULL;
	_cleanup_json_ json_t *all = engine_volume_list(req->eng, false);
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach (all, i, v) {
		if (!list_match(f, v, dangling, has_dangling))
			continue;
		json_object_del(v, "UsageData");
		json_array_append(out, v);
	}
	api_reply_json(req, 200, json_pack("{s:o, s:n}", "Volumes", out, "Warnings"));
}

void api_volume_create(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = api_body_json(req, &e);
	json_t *v = e.kind == ERR_NONE ? engine_volume_create(req->eng, body, &e) : NULL;
	api_reply_result_json(req, v, &e, 201);
}

void api_volume_inspect(struct api_req *req)
{
	struct err e = ERR_INIT;
	json_t *v = engine_volume_inspect(req->eng, api_param(req, "name"), &e);
	api_reply_result_json(req, v, &e, 200);
}

void api_volume_delete(struct api_req *req)
{
	struct err e = ERR_INIT;
	int r = engine_volume_remove(req->eng, api_param(req, "name"), api_query_bool(req, "force"),
				     &e);
	api_reply_result(req, r, &e, 204);
}

static bool prune_match(const json_t *f, const json_t *v, bool all)
{
	const json_t *labels = json_object_get(v, "Labels");
	json_t *neg = api_filters_get(f, "label!");
	if (refcount(v) != 0)
		return false;
	if (!all && !json_object_get(labels, "com.docker.volume.anonymous"))
		return false;
	if (!api_filters_match_labels(f, "label", labels))
		return false;
	return !(neg && json_array_size(neg) && api_filters_match_labels(f, "label!", labels));
}

void api_volumes_prune(struct api_req *req)
{
	static const char *const accepted[] = {"label", "label!", "all", NULL};
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *f = api_filters_parse(api_query(req, "filters"), &e);
	bool all = !api_version_ge(req, 1, 42);
	if (!f || api_filters_validate(f, accepted, &e) < 0 ||
	    api_filters_bool(f, "all", all, &all, &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	_cleanup_json_ json_t *vols = engine_volume_list(req->eng, true);
	json_t *deleted = json_array();
	json_int_t reclaimed = 0;
	size_t i;
	json_t *v;
	json_array_foreach (vols, i, v) {
		const char *name = json_string_value(json_object_get(v, "Name"));
		if (!prune_match(f, v, all) ||
		    engine_volume_remove(req->eng, name, false, NULL) < 0)
			continue;
		json_array_append_new(deleted, json_string(name));
		json_int_t size =
		    json_integer_value(json_object_get(json_object_get(v, "UsageData"), "Size"));
		reclaimed += size > 0 ? size : 0;
	}
	api_reply_json(
	    req, 200,
	    json_pack("{s:o, s:I}", "VolumesDeleted",
		      json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
		      "SpaceReclaimed", reclaimed));
}
