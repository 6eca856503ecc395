/* api/images_commit: POST /commit (a container's changes as an image) and GET
 * /containers/{id}/export (its filesystem as a tar, made by a thread writing into a pipe that
 * the chunked reply reads: api_reply_pipe). */
#include <errno.h>
#include <stdlib.h>

#include "api/http.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

void api_commit(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = api_body_json(req, &e);
	if (!body && e.kind != ERR_NONE) {
		api_reply_error(req, &e);
		return;
	}
	_cleanup_strv_ char **changes = api_query_all(req, "changes");
	const char *pause = api_query(req, "pause");
	struct engine_commit_opts o = {
	    .container = api_query(req, "container"),
	    .repo = api_query(req, "repo"),
	    .tag = api_query(req, "tag"),
	    .author = api_query(req, "author"),
	    .comment = api_query(req, "comment"),
	    .changes = changes,
	    .config = body,
	    /* absent (or empty) means pause, since API 1.13 */
	    .pause = !pause || !*pause || api_query_bool(req, "pause"),
	};
	_cleanup_free_ char *id = engine_container_commit(req->eng, &o, &e);
	if (!id) {
		api_reply_error(req, &e);
		return;
	}
	api_reply_json(req, 201, json_pack("{s:s}", "Id", id));
}

static int export_fill(void *arg, int fd)
{
	struct err e = ERR_INIT;
	int rc = engine_container_export_write(arg, fd, &e);
	if (rc < 0 && e.errnum != EPIPE)
		log_warn("container export: %s", e.msg);
	return rc;
}

static void export_free(void *arg)
{
	engine_container_export_free(arg);
}

void api_container_export(struct api_req *req)
{
	struct err e = ERR_INIT;
	struct engine_export *x = engine_container_export_open(req->eng, api_param(req, "id"), &e);
	if (!x) {
		api_reply_error(req, &e);
		return;
	}
	_cleanup_free_ char *what = str_printf("export of container %s", api_param(req, "id"));
	api_reply_pipe(req, "application/x-tar", export_fill, x, export_free, what);
}
