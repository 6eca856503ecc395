/* api/containers: the /containers handlers: create, list, inspect, start, stop, restart,
 * kill, pause, unpause, wait, resize, rename, delete. */
#include <poll.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "api/containers.h"
#include "api/filters.h"
#include "engine/network.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

void api_container_create(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = api_body_json(req, &e);
	if (!body && e.kind != ERR_NONE) {
		api_reply_error(req, &e);
		return;
	}
	if (!body)
		body = json_object();
	json_t *warnings = NULL;
	_cleanup_free_ char *id =
	    engine_container_create(req->eng, api_query(req, "name"), body, &warnings, &e);
	if (!id) {
		api_reply_error(req, &e);
		return;
	}
	api_reply_json(req, 201, json_pack("{s:s, s:o}", "Id", id, "Warnings", warnings));
}

void api_container_inspect(struct api_req *req)
{
	struct err e = ERR_INIT;
	json_t *rec = engine_container_inspect(req->eng, api_param(req, "id"), &e);
	if (!rec) {
		api_reply_error(req, &e);
		return;
	}
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe (rec, tmp, k, v)
		if (*k == '_' && strcmp(k, "_NetworkingConfig")) /* the engine's bookkeeping */
			json_object_del(rec, k);
	engine_container_links_public(req->eng, rec);
	api_reply_json(req, 200, api_container_inspect_json(req, rec));
}

/* before/since: an ID or name; the list is newest first. */
static int list_bound(struct api_req *req, const json_t *f, const char *name, char **id,
		      struct err *e)
{
	json_t *v = api_filters_get(f, name);
	if (!v || !json_array_size(v))
		return 0;
	*id = engine_container_resolve(req->eng, json_string_value(json_array_get(v, 0)), e);
	return *id ? 0 : -1;
}

void api_containers_list(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *f = api_filters_parse(api_query(req, "filters"), &e);
	_cleanup_free_ char *before = NULL, *since = NULL;
	int64_t limit = 0;
	const char *ls = api_query(req, "limit");
	if (!f || api_container_filters_check(f, &e) < 0 ||
	    (ls && *ls && str_to_i64(ls, &limit, "limit", &e) < 0) ||
	    list_bound(req, f, "before", &before, &e) < 0 ||
	    list_bound(req, f, "since", &since, &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	bool all = api_query_bool(req, "all") || limit > 0 || before || since;
	_cleanup_json_ json_t *recs = engine_container_list(req->eng);
	engine_container_link_names(recs);
	json_t *out = json_array();
	int64_t now = store_time_now();
	bool past_before = !before;
	size_t i;
	json_t *rec;
	json_array_foreach (recs, i, rec) {
		const char *id = json_string_value(json_object_get(rec, "Id"));
		if (since && str_eq(id, since))
			break;
		if (!past_before) {
			past_before = str_eq(id, before);
			continue;
		}
		const json_t *st = json_object_get(rec, "State");
		if (!all && !json_is_true(json_object_get(st, "Running")) &&
		    !json_is_true(json_object_get(st, "Restarting")))
			continue;
		if (!api_container_filter_match(req, f, rec))
			continue;
		json_array_append_new(out, api_container_summary_json(req, rec, now));
		if (limit > 0 && (int64_t)json_array_size(out) >= limit)
			break;
	}
	api_reply_json(req, 200, out);
}

void api_container_delete(struct api_req *req)
{
	struct err e = ERR_INIT;
	int r = engine_container_remove(req->eng, api_param(req, "id"),
					api_query_bool(req, "force"), api_query_bool(req, "v"), &e);
	api_reply_result(req, r, &e, 204);
}

void api_container_rename(struct api_req *req)
{
	struct err e = ERR_INIT;
	int r = engine_container_rename(req->eng, api_param(req, "id"), api_query(req, "name"), &e);
	api_reply_result(req, r, &e, 204);
}

void api_container_start(struct api_req *req)
{
	struct err e = ERR_INIT;
	int r = engine_container_start(req->eng, api_param(req, "id"), &e);
	api_reply_result(req, r, &e, 204);
}

static int query_timeout(struct api_req *req, int *t, struct err *e)
{
	*t = -1;
	return api_query_int(req, "t", t, e);
}

static const char *query_signal(struct api_req *req)
{
	return api_version_ge(req, 1, 42) ? api_query(req, "signal") : NULL;
}

void api_container_stop(struct api_req *req)
{
	struct err e = ERR_INIT;
	int t;
	int r = query_timeout(req, &t, &e);
	if (r == 0)
		r = engine_container_stop(req->eng, api_param(req, "id"), t, query_signal(req), &e);
	api_reply_result(req, r, &e, 204);
}

void api_container_restart(struct api_req *req)
{
	struct err e = ERR_INIT;
	int t;
	int r = query_timeout(req, &t, &e);
	if (r == 0)
		r = engine_container_restart(req->eng, api_param(req, "id"), t, query_signal(req),
					     &e);
	api_reply_result(req, r, &e, 204);
}

void api_container_kill(struct api_req *req)
{
	struct err e = ERR_INIT;
	int r = engine_container_kill(req->eng, api_param(req, "id"), api_query(req, "signal"), &e);
	api_reply_result(req, r, &e, 204);
}

void api_container_pause(struct api_req *req)
{
	struct err e = ERR_INIT;
	int r = engine_container_pause(req->eng, api_param(req, "id"), true, &e);
	api_reply_result(req, r, &e, 204);
}

void api_container_unpause(struct api_req *req)
{
	struct err e = ERR_INIT;
	int r = engine_container_pause(req->eng, api_param(req, "id"), false, &e);
	api_reply_result(req, r, &e, 204);
}

void api_container_resize(struct api_req *req)
{
	struct err e = ERR_INIT;
	int h = 0, w = 0;
	int r = api_query_int(req, "h", &h, &e) < 0 || api_query_int(req, "w", &w, &e) < 0 ? -1 : 0;
	if (r == 0)
		r = engine_container_resize(req->eng, api_param(req, "id"), h, w, &e);
	api_reply_result(req, r, &e, 200);
}

struct wait_stream {
	struct container_waiter *w;
	int sock;
	bool done;
};

static ssize_t wait_read(void *arg, char *buf, size_t max)
{
	struct wait_stream *ws = arg;
	if (ws->done)
		return API_STREAM_END;
	int code = 0;
	for (;;) {
		int r = engine_container_wait_end(ws->w, store_time_now() + 1000000000, &code);
		if (r < 0)
			return API_STREAM_ERROR;
		if (r > 0)
			break;
		if (api_socket_gone(ws->sock))
			return API_STREAM_ERROR;
	}
	ws->done = true;
	int n = snprintf(buf, max, "{\"Error\":null,\"StatusCode\":%d}\n", code);
	return n;
}

static void wait_free(void *arg)
{
	struct wait_stream *ws = arg;
	engine_container_wait_free(ws->w);
	free(ws);
}

void api_container_wait(struct api_req *req)
{
	struct err e = ERR_INIT;
	const char *c = api_query(req, "condition");
	enum container_wait_cond cond = WAIT_NOT_RUNNING;
	if (c && !strcmp(c, "next-exit"))
		cond = WAIT_NEXT_EXIT;
	else if (c && !strcmp(c, "removed"))
		cond = WAIT_REMOVED;
	else if (c && *c && strcmp(c, "not-running") != 0 && api_version_ge(req, 1, 42)) {
		api_reply_message(req, 400, "invalid condition: \"%s\"", c);
		return;
	}
	struct container_waiter *w =
	    engine_container_wait_begin(req->eng, api_param(req, "id"), cond, &e);
	if (!w) {
		api_reply_error(req, &e);
		return;
	}
	struct wait_stream *ws = xcalloc(1, sizeof(*ws));
	ws->w = w;
	ws->sock = api_req_socket(req);
	api_reply_stream(req, 200, "application/json", wait_read, ws, wait_free);
}

void api_container_update(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = api_body_json(req, &e);
	if (!body && e.kind != ERR_NONE) {
		api_reply_error(req, &e);
		return;
	}
	if (engine_container_update(req->eng, api_param(req, "id"), body, &e) < 0)
		api_reply_error(req, &e);
	else
		api_reply_json(req, 200, json_pack("{s:[]}", "Warnings"));
}

void api_container_changes(struct api_req *req)
{
	struct err e = ERR_INIT;
	json_t *j = engine_container_changes(req->eng, api_param(req, "id"), &e);
	api_reply_result_json(req, j, &e, 200);
}

void api_container_top(struct api_req *req)
{
	struct err e = ERR_INIT;
	json_t *j =
	    engine_container_top(req->eng, api_param(req, "id"), api_query(req, "ps_args"), &e);
	api_reply_result_json(req, j, &e, 200);
}

struct stats_stream {
	struct engine *eng;
	char *id;
	json_t *prev;
	int sock;
	bool first;
};

static ssize_t stats_read(void *arg, char *buf, size_t max)
{
	struct stats_stream *ss = arg;
	if (!ss->first) {
		for (int i = 0; i < 10; i++) {
			if (api_socket_gone(ss->sock))
				return API_STREAM_ERROR;
			usleep(100000);
		}
	}
	bool first = ss->first;
	ss->first = false;
	json_t *j =
	    first ? json_incref(ss->prev) : engine_container_stats(ss->eng, ss->id, ss->prev, NULL);
	if (!j)
		return API_STREAM_END;
	json_decref(ss->prev);
	ss->prev = j;
	_cleanup_free_ char *s = jx_dumps(j);
	int n = snprintf(buf, max, "%s\n", s);
	return n < 0 || (size_t)n >= max ? API_STREAM_ERROR : n;
}

static void stats_free(void *arg)
{
	struct stats_stream *ss = arg;
	json_decref(ss->prev);
	free(ss->id);
	free(ss);
}

void api_container_stats(struct api_req *req)
{
	struct err e = ERR_INIT;
	const char *id = api_param(req, "id");
	const char *stream = api_query(req, "stream");
	bool streaming = !stream || api_query_bool(req, "stream");
	json_t *first = engine_container_stats(req->eng, id, NULL, &e);
	if (!first) {
		api_reply_error(req, &e);
		return;
	}
	if (!streaming) {
		if (!api_query_bool(req, "one-shot")) {
			/* a second sample ~1 s later fills precpu_stats, as dockerd */
			usleep(1000000);
			json_t *second = engine_container_stats(req->eng, id, first, NULL);
			if (second) {
				json_decref(first);
				first = second;
			}
		}
		api_reply_json(req, 200, first);
		return;
	}
	struct stats_stream *ss = xcalloc(1, sizeof(*ss));
	ss->eng = req->eng;
	ss->id = str_dup(id);
	ss->prev = first;
	ss->sock = api_req_socket(req);
	ss->first = true;
	api_reply_stream(req, 200, "application/json", stats_read, ss, stats_free);
}

static bool prune_until_ok(const json_t *f, const json_t *rec, struct err *e, bool *ok)
{
	json_t *vals = api_filters_get(f, "until");
	*ok = true;
	if (!vals || !json_array_size(vals))
		return true;
	int64_t until = 0, created = 0;
	const char *s = json_string_value(json_array_get(vals, 0));
	if (store_time_parse_unix(s, &until, NULL) < 0 && store_time_parse(s, &until, NULL) < 0) {
		err_invalid(e, "invalid filter 'until=%s'", s);
		return false;
	}
	store_time_parse(json_string_value(json_object_get(rec, "Created")), &created, NULL);
	*ok = created < until;
	return true;
}

void api_containers_prune(struct api_req *req)
{
	static const char *const accepted[] = {"label", "label!", "until", NULL};
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *f = api_filters_parse(api_query(req, "filters"), &e);
	if (!f || api_filters_validate(f, accepted, &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	_cleanup_json_ json_t *recs = engine_container_list(req->eng);
	json_t *deleted = json_array();
	json_int_t reclaimed = 0;
	size_t i;
	json_t *rec;
	json_array_foreach (recs, i, rec) {
		const char *id = json_string_value(json_object_get(rec, "Id"));
		bool ok;
		if (json_is_true(json_object_get(json_object_get(rec, "State"), "Running")))
			continue;
		if (!prune_until_ok(f, rec, &e, &ok)) {
			json_decref(deleted);
			api_reply_error(req, &e);
			return;
		}
		const json_t *labels = json_object_get(json_object_get(rec, "Config"), "Labels");
		json_t *neg = api_filters_get(f, "label!");
		if (!ok || !api_filters_match_labels(f, "label", labels) ||
		    (neg && json_array_size(neg) && api_filters_match_labels(f, "label!", labels)))
			continue;
		int64_t rw = 0, rootfs = 0;
		engine_container_size(req->eng, id, &rw, &rootfs);
		if (engine_container_remove(req->eng, id, false, false, NULL) == 0) {
			json_array_append_new(deleted, json_string(id));
			reclaimed += rw;
		}
	}
	api_reply_json(
	    req, 200,
	    json_pack("{s:o, s:I}", "ContainersDeleted",
		      json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
		      "SpaceReclaimed", reclaimed));
}
