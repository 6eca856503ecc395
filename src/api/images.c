/* api/images: the /images handlers: list (filters), inspect, history, tag, delete, and
 * import through POST /images/create with the tarball streamed from the request body. */
#include <stdlib.h>
#include <string.h>

#include "api/filters.h"
#include "api/images.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

void api_image_inspect(struct api_req *req)
{
	const char *name = api_param(req, "name");
	struct err e = ERR_INIT;
	struct image *img = engine_image_get(req->eng, name, &e);
	if (!img) {
		if (e.kind == ERR_NOT_FOUND)
			err_wrap(&e, "no such image: %s", name);
		api_reply_error(req, &e);
		return;
	}
	api_reply_json(req, 200, api_image_inspect_json(req, img));
	image_put(img);
}

void api_image_history(struct api_req *req)
{
	struct err e = ERR_INIT;
	struct image *img = engine_image_get(req->eng, api_param(req, "name"), &e);
	if (!img) {
		api_reply_error(req, &e);
		return;
	}
	api_reply_json(req, 200, api_image_history_json(req, img));
	image_put(img);
}

void api_image_tag(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *tag = engine_image_tag(
	    req->eng, api_param(req, "name"), api_query(req, "repo"), api_query(req, "tag"), &e);
	if (!tag) {
		api_reply_error(req, &e);
		return;
	}
	api_reply_empty(req, 201);
}

void api_image_delete(struct api_req *req)
{
	const char *name = api_param(req, "name");
	struct err e = ERR_INIT;
	struct image_rm_result res;
	if (!*name) {
		api_reply_message(req, 400, "image name cannot be blank");
		return;
	}
	if (engine_image_remove(req->eng, name, api_query_bool(req, "force"),
				!api_query_bool(req, "noprune"), &res, &e) < 0) {
		image_rm_result_release(&res);
		api_reply_error(req, &e);
		return;
	}
	json_t *out = json_array();
	for (size_t i = 0; i < res.n; i++)
		json_array_append_new(out, json_pack("{s:s}",
						     res.items[i].deleted ? "Deleted" : "Untagged",
						     res.items[i].ref));
	image_rm_result_release(&res);
	api_reply_json(req, 200, out);
}

/* The import state of one POST /images/create request. */
struct create_state {
	struct engine_import *imp;
	bool pull;
	bool stopped; /* extraction ended early: discard the rest, report at the end */
};

static int create_begin(struct api_req *req, struct err *e)
{
	struct create_state *st = xcalloc(1, sizeof(*st));
	req->state = st;
	const char *from = api_query(req, "fromImage");
	if (from && *from) {
		st->pull = true;
		return 0;
	}
	_cleanup_strv_ char **changes = api_query_all(req, "changes");
	const char *src = api_query(req, "fromSrc");
	struct engine_import_opts o = {
	    .repo = api_query(req, "repo"),
	    .tag = api_query(req, "tag"),
	    .message = api_query(req, "message"),
	    .src = src ? src : "",
	    .changes = changes,
	    .platform = api_version_ge(req, 1, 32) ? api_query(req, "platform") : NULL,
	};
	st->imp = engine_image_import_start(req->eng, &o, e);
	return st->imp ? 0 : -1;
}

static int create_data(struct api_req *req, const char *buf, size_t len, struct err *e)
{
	struct create_state *st = req->state;
	if (st->imp && engine_image_import_url(st->imp))
		return 0; /* the archive comes from the URL: a body is ignored, as dockerd does */
	if (st->imp && !st->stopped && engine_image_import_write(st->imp, buf, len) < 0)
		st->stopped = true;
	return 0;
}

static void create_cleanup(struct api_req *req)
{
	struct create_state *st = req->state;
	if (!st)
		return;
	engine_image_import_free(st->imp);
	free(st);
	req->state = NULL;
}

const struct api_body_ops api_images_create_body = {create_begin, create_data, create_cleanup};

void api_images_create(struct api_req *req)
{
	struct create_state *st = req->state;
	if (st->pull) {
		api_image_pull(req);
		return;
	}
	if (engine_image_import_url(st->imp)) {
		api_images_import_url(req, TAKE_PTR(st->imp));
		return;
	}
	struct err e = ERR_INIT;
	struct image *img = engine_image_import_finish(st->imp, &e);
	if (!img) {
		api_reply_error(req, &e);
		return;
	}
	char *line = str_printf("{\"status\":\"%s\"}\r\n", img->id);
	image_put(img);
	api_reply_chunked(req, 200, "application/json", line);
}
