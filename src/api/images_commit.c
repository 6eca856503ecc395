/* api/images_commit: POST /commit (a container's changes as an image) and GET
 * /containers/{id}/export (its filesystem as a tar, made by a thread writing into a pipe that
 * the chunked reply reads). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

struct export_stream {
	struct engine_export *x;
	int rfd, wfd;
	pthread_t thread;
	bool running;
	int rc;
};

static void *export_thread(void *arg)
{
	struct export_stream *st = arg;
	struct err e = ERR_INIT;
	st->rc = engine_container_export_write(st->x, st->wfd, &e);
	if (st->rc < 0 && e.errnum != EPIPE)
		log_warn("container export: %s", e.msg);
	close(TAKE_FD(st->wfd));
	return NULL;
}

static void export_join(struct export_stream *st)
{
	if (st->running) {
		pthread_join(st->thread, NULL);
		st->running = false;
	}
}

static ssize_t export_read(void *arg, char *buf, size_t max)
{
	struct export_stream *st = arg;
	for (;;) {
		ssize_t n = read(st->rfd, buf, max);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0)
			return n;
		export_join(st);
		/* a failure mid-stream ends the chunked body without its terminator */
		return n == 0 && st->rc == 0 ? API_STREAM_END : API_STREAM_ERROR;
	}
}

static void export_free(void *arg)
{
	struct export_stream *st = arg;
	if (st->rfd >= 0)
		close(st->rfd); /* a writer still going gets EPIPE and stops */
	export_join(st);
	if (st->wfd >= 0)
		close(st->wfd);
	engine_container_export_free(st->x);
	free(st);
}

void api_container_export(struct api_req *req)
{
	struct err e = ERR_INIT;
	struct engine_export *x = engine_container_export_open(req->eng, api_param(req, "id"), &e);
	if (!x) {
		api_reply_error(req, &e);
		return;
	}
	struct export_stream *st = xcalloc(1, sizeof(*st));
	*st = (struct export_stream){.x = x, .rfd = -1, .wfd = -1};
	int p[2];
	int r = pipe2(p, O_CLOEXEC) < 0 ? errno : 0;
	if (r == 0) {
		st->rfd = p[0];
		st->wfd = p[1];
		fcntl(st->wfd, F_SETPIPE_SZ, 1 << 20);
		r = pthread_create(&st->thread, NULL, export_thread, st);
	}
	if (r != 0) {
		err_errno(&e, r, "export of container %s", api_param(req, "id"));
		export_free(st);
		api_reply_error(req, &e);
		return;
	}
	st->running = true;
	api_reply_stream(req, 200, "application/x-tar", export_read, st, export_free);
}
