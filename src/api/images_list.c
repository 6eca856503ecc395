/* api/images_list: GET /images/json with moby's rules: heads only unless all, filters
 * dangling, label, reference (glob on familiar names; only matching tags shown), before,
 * since and until; newest first. */
#include <stdlib.h>
#include <string.h>

#include "api/filters.h"
#include "api/images.h"
#include "image/changes.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

struct list_opts {
	bool all, dangling_only;
	json_t *filters;
	int64_t before, since; /* ns; 0 = unset */
};

/* until: a unix timestamp, an RFC 3339 date or a Go duration before now. */
static int parse_until(const char *v, int64_t *ns, struct err *e)
{
	if (store_time_parse_unix(v, ns, NULL) == 0 || store_time_parse(v, ns, NULL) == 0)
		return 0;
	int64_t d;
	if (changes_parse_duration(v, "until", &d, NULL) == 0) {
		*ns = store_time_now() - d;
		return 0;
	}
	return err_invalid(e, "failed to parse value %s as a timestamp or duration", v);
}

/* before/since/until narrowed to the tightest bounds, as ANDed values do in moby. */
static int time_bounds(struct api_req *req, struct list_opts *o, struct err *e)
{
	const char *keys[] = {"before", "since", "until"};
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		size_t i;
		json_t *v;
		json_array_foreach (api_filters_get(o->filters, keys[k]), i, v) {
			int64_t t;
			if (k == 2) {
				if (parse_until(json_string_value(v), &t, e) < 0)
					return -1;
			} else {
				struct image *img =
				    engine_image_get(req->eng, json_string_value(v), e);
				if (!img)
					return -1;
				t = img->created;
				image_put(img);
			}
			if (k == 1 ? t > o->since : (!o->before || t < o->before)) {
				if (k == 1)
					o->since = t;
				else
					o->before = t;
			}
		}
	}
	return 0;
}

static bool ref_wanted(const struct list_opts *o, const char *full)
{
	json_t *pats = api_filters_get(o->filters, "reference");
	if (!pats)
		return true;
	struct image_ref ref;
	if (image_ref_parse(full, &ref, NULL) < 0)
		return false;
	bool found = false;
	size_t i;
	json_t *p;
	json_array_foreach (pats, i, p) {
		found = found || image_ref_match(json_string_value(p), &ref);
	}
	image_ref_release(&ref);
	return found;
}

/* The list item for img, or NULL when the filters drop it. */
static json_t *list_item(struct api_req *req, const struct list_opts *o, struct image *img)
{
	if (o->before && (!img->created || img->created >= o->before))
		return NULL;
	if (o->since && (!img->created || img->created <= o->since))
		return NULL;
	json_t *labels = json_object_get(image_container_config(img), "Labels");
	if (api_filters_get(o->filters, "label") &&
	    !api_filters_match_labels(o->filters, "label", labels))
		return NULL;
	json_t *tags = json_array(), *digests = json_array();
	_cleanup_strv_ char **refs = engine_image_refs(req->eng, img->id);
	for (char **r = refs; *r; r++) {
		if (!ref_wanted(o, *r))
			continue;
		_cleanup_free_ char *fam = image_ref_familiarize(*r);
		if (fam)
			json_array_append_new(strchr(*r, '@') ? digests : tags, json_string(fam));
	}
	bool keep = true;
	if (!json_array_size(tags) && !json_array_size(digests)) {
		if (o->all || !engine_image_has_children(req->eng, img->id))
			keep = !(api_filters_get(o->filters, "dangling") && !o->dangling_only) &&
			       !api_filters_get(o->filters, "reference");
		else
			keep = false;
	} else if (o->dangling_only && json_array_size(tags)) {
		keep = false;
	}
	if (!keep) {
		json_decref(tags);
		json_decref(digests);
		return NULL;
	}
	return api_image_summary_json(req, img, tags, digests);
}

struct item {
	int64_t created; /* ns: a stable order within the same second */
	json_t *j;
};

static int by_created_desc(const void *a, const void *b)
{
	int64_t x = ((const struct item *)a)->created, y = ((const struct item *)b)->created;
	return x < y ? 1 : x > y ? -1 : 0;
}

static const char *const image_filters[] = {"dangling",	 "label", "before", "since",
					    "reference", "until", NULL};

void api_images_list(struct api_req *req)
{
	struct err e = ERR_INIT;
	struct list_opts o = {.all = api_query_bool(req, "all")};
	_cleanup_json_ json_t *f = api_filters_parse(api_query(req, "filters"), &e);
	o.filters = f;
	if (!f || api_filters_validate(f, image_filters, &e) < 0 ||
	    api_filters_bool(f, "dangling", false, &o.dangling_only, &e) < 0 ||
	    time_bounds(req, &o, &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	size_t n;
	struct image **imgs = engine_image_list(req->eng, &n);
	struct item *items = xcalloc(n + 1, sizeof(*items));
	int64_t total;
	/* shared-size (API 1.42): SharedSize computed instead of -1 */
	_cleanup_json_ json_t *refs =
	    api_query_bool(req, "shared-size") ? api_image_layer_refs(imgs, n, &total) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (o.dangling_only && engine_image_has_children(req->eng, imgs[i]->id))
			continue; /* dangling=true considers only heads */
		json_t *it = list_item(req, &o, imgs[i]);
		if (it && refs)
			json_object_set_new(it, "SharedSize",
					    json_integer(api_image_shared_size(imgs[i], refs)));
		if (it)
			items[k++] = (struct item){imgs[i]->created, it};
	}
	image_list_free(imgs, n);
	qsort(items, k, sizeof(*items), by_created_desc);
	json_t *out = json_array();
	for (size_t i = 0; i < k; i++)
		json_array_append_new(out, items[i].j);
	free(items);
	api_reply_json(req, 200, out);
}
