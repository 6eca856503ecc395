/* api/build: POST /build (the legacy builder: the body is the context tar, extracted as it
 * arrives; the build runs on a thread writing its JSON messages into a pipe that the chunked
 * reply reads) and POST /build/prune. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/http.h"
#include "build/build.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static int query_i64(struct api_req *req, const char *key, int64_t *out, struct err *e)
{
	const char *v = api_query(req, key);
	*out = 0;
	if (!v || !*v)
		return 0;
	return str_to_i64(v, out, key, e);
}

/* buildargs, labels: JSON objects of strings (buildargs' values may be null). */
static int query_object(struct api_req *req, const char *key, json_t **out, struct err *e)
{
	const char *v = api_query(req, key);
	*out = json_object();
	if (!v || !*v)
		return 0;
	json_t *j = json_loads(v, 0, NULL);
	const char *k;
	json_t *x;
	bool ok = json_is_object(j);
	json_object_foreach (j, k, x)
		ok = ok && (json_is_string(x) || (json_is_null(x) && !strcmp(key, "buildargs")));
	if (!ok) {
		json_decref(j);
		return err_invalid(e, "invalid %s: expected a JSON object of strings", key);
	}
	json_decref(*out);
	*out = j;
	return 0;
}

static int query_list(struct api_req *req, const char *key, char ***out, struct err *e)
{
	const char *v = api_query(req, key);
	*out = NULL;
	if (!v || !*v)
		return 0;
	_cleanup_json_ json_t *j = json_loads(v, 0, NULL);
	if (!json_is_array(j))
		return err_invalid(e, "invalid %s: expected a JSON array of strings", key);
	*out = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *x;
	json_array_foreach (j, i, x) {
		if (!json_is_string(x))
			return err_invalid(e, "invalid %s: expected a JSON array of strings", key);
		strv_push(out, json_string_value(x));
	}
	return 0;
}

/* ulimits: a JSON array of {"Name", "Soft", "Hard"} (docker's --ulimit). */
static int query_ulimits(struct api_req *req, json_t **out, struct err *e)
{
	const char *v = api_query(req, "ulimits");
	*out = NULL;
	if (!v || !*v)
		return 0;
	json_t *j = json_loads(v, 0, NULL);
	size_t i;
	json_t *x;
	bool ok = json_is_array(j);
	json_array_foreach (j, i, x)
		ok = ok && json_is_string(json_object_get(x, "Name")) &&
		     json_is_integer(json_object_get(x, "Soft")) &&
		     json_is_integer(json_object_get(x, "Hard"));
	if (!ok) {
		json_decref(j);
		return err_invalid(e, "invalid ulimits: expected [{\"Name\", \"Soft\", \"Hard\"}]");
	}
	*out = j;
	return 0;
}

static char *query_dup(struct api_req *req, const char *key)
{
	const char *v = api_query(req, key);
	return v && *v ? str_dup(v) : NULL;
}

static char **extra_hosts(struct api_req *req)
{
	_cleanup_strv_ char **all = api_query_all(req, "extrahosts");
	char **v = xcalloc(1, sizeof(char *));
	for (char **p = all; p && *p; p++) {
		_cleanup_strv_ char **parts = strv_split(*p, ",");
		for (char **q = parts; *q; q++)
			strv_push(&v, *q);
	}
	return v;
}

/* dockerd's newImageBuildOptions. */
static int parse_opts(struct api_req *req, struct build_opts *o, struct err *e)
{
	if (api_query_bool(req, "squash"))
		return err_invalid(e, "squash is only supported with experimental mode");
	const char *ver = api_query(req, "version");
	if (ver && !strcmp(ver, "2"))
		return err_invalid(e, "BuildKit is not supported by this daemon: use the "
				      "classic builder (version=1)");
	o->tags = api_query_all(req, "t");
	o->dockerfile = query_dup(req, "dockerfile");
	o->quiet = api_query_bool(req, "q");
	o->nocache = api_query_bool(req, "nocache");
	o->forcerm = api_query_bool(req, "forcerm");
	const char *rm = api_query(req, "rm");
	o->rm = o->forcerm || !rm || !*rm || api_query_bool(req, "rm");
	o->pull = api_query_bool(req, "pull");
	o->target = query_dup(req, "target");
	o->networkmode = query_dup(req, "networkmode");
	o->platform = query_dup(req, "platform");
	o->remote = query_dup(req, "remote");
	o->cpusetcpus = query_dup(req, "cpusetcpus");
	o->cpusetmems = query_dup(req, "cpusetmems");
	o->cgroupparent = query_dup(req, "cgroupparent");
	o->extrahosts = extra_hosts(req);
	const char *rc = api_header(req, "X-Registry-Config");
	o->registry_auth = rc && *rc ? str_dup(rc) : NULL;
	if (query_object(req, "buildargs", &o->buildargs, e) < 0 ||
	    query_object(req, "labels", &o->labels, e) < 0 ||
	    query_list(req, "cachefrom", &o->cachefrom, e) < 0 ||
	    query_list(req, "securityopt", &o->securityopt, e) < 0 ||
	    query_ulimits(req, &o->ulimits, e) < 0 ||
	    query_i64(req, "shmsize", &o->shmsize, e) < 0 ||
	    query_i64(req, "memory", &o->memory, e) < 0 ||
	    query_i64(req, "memswap", &o->memswap, e) < 0 ||
	    query_i64(req, "cpushares", &o->cpushares, e) < 0 ||
	    query_i64(req, "cpuperiod", &o->cpuperiod, e) < 0 ||
	    query_i64(req, "cpuquota", &o->cpuquota, e) < 0)
		return -1;
	if (o->shmsize < 0)
		return err_invalid(e, "shmsize: cannot be negative");
	return 0;
}

static int build_begin(struct api_req *req, struct err *e)
{
	struct build_opts o = {0};
	if (parse_opts(req, &o, e) < 0) {
		build_opts_release(&o);
		return -1;
	}
	req->state = build_new(req->eng, &o, e);
	build_opts_release(&o);
	return req->state ? 0 : -1;
}

static int build_data(struct api_req *req, const char *buf, size_t len, struct err *e)
{
	build_context_write(req->state, buf, len); /* a stopped extraction reports at finish */
	return 0;
}

static void build_cleanup(struct api_req *req)
{
	build_free(req->state); /* NULL once the stream owns it */
	req->state = NULL;
}

const struct api_body_ops api_build_body = {build_begin, build_data, build_cleanup};

struct build_stream {
	struct build *b;
	int rfd, wfd;
	int sock; /* the client's connection (not owned) */
	pthread_t thread;
	bool running;
};

static void *build_thread(void *arg)
{
	struct build_stream *s = arg;
	build_run(s->b, s->wfd);
	close(TAKE_FD(s->wfd));
	return NULL;
}

static ssize_t build_read(void *arg, char *buf, size_t max)
{
	struct build_stream *s = arg;
	for (;;) {
		/* a client that leaves (docker-py's fire-and-forget builds close at once), or
		 * a daemon that is stopping and shuts the connection, is seen as soon as the
		 * socket hangs up, not at the build's next output, even in a quiet step */
		struct pollfd p[2] = {{.fd = s->rfd, .events = POLLIN},
				      {.fd = s->sock, .events = POLLRDHUP}};
		int pr = poll(p, s->sock >= 0 ? 2 : 1, 1000);
		if (pr > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return API_STREAM_ERROR;
		if (pr <= 0 || !(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t n = read(s->rfd, buf, max);
		if (n < 0 && errno == EINTR)
			continue;
		return n > 0 ? n : n == 0 ? API_STREAM_END : API_STREAM_ERROR;
	}
}

static void build_stream_free(void *arg)
{
	struct build_stream *s = arg;
	if (s->rfd >= 0)
		close(s->rfd); /* the build's writes fail from now on: it stops at the next one */
	if (s->running)
		pthread_join(s->thread, NULL);
	if (s->wfd >= 0)
		close(s->wfd);
	build_free(s->b);
	free(s);
}

void api_build(struct api_req *req)
{
	struct err e = ERR_INIT;
	if (build_context_finish(req->state, &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	struct build_stream *s = xcalloc(1, sizeof(*s));
	*s = (struct build_stream){
	    .b = req->state, .rfd = -1, .wfd = -1, .sock = api_req_socket(req)};
	int p[2], r = pipe2(p, O_CLOEXEC) < 0 ? errno : 0;
	if (r == 0) {
		s->rfd = p[0];
		s->wfd = p[1];
		r = pthread_create(&s->thread, NULL, build_thread, s);
	}
	if (r != 0) {
		s->b = NULL; /* still req->state: the cleanup frees it */
		build_stream_free(s);
		err_errno(&e, r, "build: start");
		api_reply_error(req, &e);
		return;
	}
	req->state = NULL;
	s->running = true;
	api_reply_stream(req, 200, "application/json", build_read, s, build_stream_free);
}

void api_build_prune(struct api_req *req)
{
	struct err e = ERR_INIT;
	api_reply_result_json(req, build_prune(req->eng, &e), &e, 200);
}
