/* api/images_registry: pull (POST /images/create?fromImage=), push (POST /images/{name}/push)
 * and POST /auth. Pull and push run on a thread of their own whose progress messages queue up
 * for the chunked reply; a client that leaves cancels the transfer. Errors found before the
 * first message are plain replies (404 for an unknown image), later ones in-stream messages
 * with errorDetail and error, as dockerd sends them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/http.h"
#include "engine/image_registry.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

struct progress_stream {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	char *buf;
	size_t len, off;
	bool done;
	int sock;
	pthread_t worker;
	bool started;
	struct engine_pull *pull;
	struct engine_push *push;
};

/* image_progress_fn: one JSON line per message ("\r\n" as dockerd ends them). */
static void stream_msg(void *arg, json_t *msg)
{
	struct progress_stream *ps = arg;
	_cleanup_free_ char *s = jx_dumps(msg);
	json_decref(msg);
	size_t n = strlen(s);
	pthread_mutex_lock(&ps->mu);
	if (ps->off == ps->len) {
		ps->off = ps->len = 0;
	}
	ps->buf = xrealloc(ps->buf, ps->len + n + 3);
	memcpy(ps->buf + ps->len, s, n);
	memcpy(ps->buf + ps->len + n, "\r\n", 3);
	ps->len += n + 2;
	pthread_cond_signal(&ps->cond);
	pthread_mutex_unlock(&ps->mu);
}

static void stream_error(struct progress_stream *ps, const struct err *e)
{
	stream_msg(ps,
		   json_pack("{s:{s:s}, s:s}", "errorDetail", "message", e->msg, "error", e->msg));
}

static void stream_cancel(struct progress_stream *ps)
{
	if (ps->pull)
		engine_image_pull_cancel(ps->pull);
	if (ps->push)
		engine_image_push_cancel(ps->push);
}

static ssize_t stream_read(void *arg, char *buf, size_t max)
{
	struct progress_stream *ps = arg;
	pthread_mutex_lock(&ps->mu);
	while (ps->off == ps->len && !ps->done) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&ps->cond, &ps->mu, &ts);
		if (ps->off == ps->len && !ps->done && api_socket_gone(ps->sock)) {
			pthread_mutex_unlock(&ps->mu);
			stream_cancel(ps); /* the worker ends; free joins it */
			return API_STREAM_ERROR;
		}
	}
	size_t n = ps->len - ps->off < max ? ps->len - ps->off : max;
	memcpy(buf, ps->buf + ps->off, n);
	ps->off += n;
	bool end = n == 0 && ps->done;
	pthread_mutex_unlock(&ps->mu);
	return end ? API_STREAM_END : (ssize_t)n;
}

static void stream_free(void *arg)
{
	struct progress_stream *ps = arg;
	if (ps->started) {
		stream_cancel(ps); /* a finished worker ignores it */
		pthread_join(ps->worker, NULL);
	}
	engine_image_pull_free(ps->pull);
	engine_image_push_free(ps->push);
	pthread_mutex_destroy(&ps->mu);
	pthread_cond_destroy(&ps->cond);
	free(ps->buf);
	free(ps);
}

static struct progress_stream *stream_new(struct api_req *req)
{
	struct progress_stream *ps = xcalloc(1, sizeof(*ps));
	pthread_mutex_init(&ps->mu, NULL);
	pthread_cond_init(&ps->cond, NULL);
	ps->sock = api_req_socket(req);
	return ps;
}

static void stream_finish(struct progress_stream *ps)
{
	pthread_mutex_lock(&ps->mu);
	ps->done = true;
	pthread_cond_signal(&ps->cond);
	pthread_mutex_unlock(&ps->mu);
}

static void *pull_worker(void *arg)
{
	struct progress_stream *ps = arg;
	struct err e = ERR_INIT;
	struct image *img = engine_image_pull_run(ps->pull, &e);
	if (!img) {
		log_warn("pull: %s", e.msg);
		stream_error(ps, &e);
	}
	image_put(img);
	stream_finish(ps);
	return NULL;
}

static void *push_worker(void *arg)
{
	struct progress_stream *ps = arg;
	struct err e = ERR_INIT;
	if (engine_image_push_run(ps->push, &e) < 0) {
		log_warn("push: %s", e.msg);
		stream_error(ps, &e);
	}
	stream_finish(ps);
	return NULL;
}

static void stream_start(struct api_req *req, struct progress_stream *ps, void *(*fn)(void *))
{
	int r = pthread_create(&ps->worker, NULL, fn, ps);
	if (r != 0) {
		struct err e = ERR_INIT;
		err_errno(&e, r, "start transfer thread");
		stream_free(ps);
		api_reply_error(req, &e);
		return;
	}
	ps->started = true;
	api_reply_stream(req, 200, "application/json", stream_read, ps, stream_free);
}

void api_image_pull(struct api_req *req)
{
	struct progress_stream *ps = stream_new(req);
	struct engine_pull_opts o = {
	    .image = api_query(req, "fromImage"),
	    .tag = api_query(req, "tag"),
	    .platform = api_version_ge(req, 1, 32) ? api_query(req, "platform") : NULL,
	    .auth = api_header(req, "X-Registry-Auth"),
	    .progress = stream_msg,
	    .arg = ps,
	};
	struct err e = ERR_INIT;
	ps->pull = engine_image_pull_start(req->eng, &o, &e);
	if (!ps->pull) {
		stream_free(ps);
		api_reply_error(req, &e);
		return;
	}
	stream_start(req, ps, pull_worker);
}

void api_image_push(struct api_req *req)
{
	struct progress_stream *ps = stream_new(req);
	struct engine_push_opts o = {
	    .name = api_param(req, "name"),
	    .tag = api_query(req, "tag"),
	    .auth = api_header(req, "X-Registry-Auth"),
	    .progress = stream_msg,
	    .arg = ps,
	};
	struct err e = ERR_INIT;
	ps->push = engine_image_push_start(req->eng, &o, &e);
	if (!ps->push) {
		stream_free(ps);
		api_reply_error(req, &e);
		return;
	}
	stream_start(req, ps, push_worker);
}

void api_auth(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = api_body_json(req, &e);
	if (!body && e.kind != ERR_NONE) {
		api_reply_error(req, &e);
		return;
	}
	bool denied;
	if (engine_registry_login(req->eng, body, &denied, &e) < 0) {
		if (denied)
			api_reply_message(req, 401, "%s", e.msg);
		else
			api_reply_error(req, &e);
		return;
	}
	api_reply_json(req, 200,
		       json_pack("{s:s, s:s}", "Status", "Login Succeeded", "IdentityToken", ""));
}

void api_distribution_inspect(struct api_req *req)
{
	struct err e = ERR_INIT;
	json_t *j = engine_distribution_inspect(req->eng, api_param(req, "name"),
						api_header(req, "X-Registry-Auth"), &e);
	if (!j) {
		api_reply_error(req, &e);
		return;
	}
	api_reply_json(req, 200, j);
}
