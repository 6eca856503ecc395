/* api/events: GET /events: buffered events replayed from `since`, then live ones until
 * `until` (or the client leaves, or the daemon stops), one JSON line per event, chunked. */
#include <stdlib.h>
#include <string.h>

#include "api/filters.h"
#include "api/http.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

struct ev_stream {
	struct engine *eng;
	int sock;
	uint64_t seq;
	int64_t since, until; /* ns; 0 = unset */
	json_t *filters;
	char *pending;
	size_t len, off;
};

static bool match_any(const json_t *vals, const char *a, const char *b)
{
	if (!vals)
		return true;
	size_t i;
	json_t *v;
	json_array_foreach (vals, i, v) {
		const char *s = json_string_value(v);
		if ((a && !strcmp(s, a)) || (b && !strcmp(s, b)))
			return true;
	}
	return false;
}

/* moby (#25798): "health_status", "exec_create" and "exec_start" also match the actions that
 * carry a suffix ("health_status: healthy"). */
static bool match_action(const json_t *vals, const char *action)
{
	if (match_any(vals, action, NULL))
		return true;
	const char *colon = strchr(action, ':');
	if (!colon)
		return false;
	size_t i;
	json_t *v;
	json_array_foreach (vals, i, v) {
		const char *s = json_string_value(v);
		if ((!strcmp(s, "health_status") || !strcmp(s, "exec_create") ||
		     !strcmp(s, "exec_start")) &&
		    strlen(s) == (size_t)(colon - action) && !strncmp(s, action, strlen(s)))
			return true;
	}
	return false;
}

static bool event_wanted(const struct ev_stream *st, const struct engine_event *ev)
{
	if (st->since && ev->time < st->since)
		return false;
	const json_t *f = st->filters;
	const char *name = json_string_value(json_object_get(ev->attrs, "name"));
	const char *image = json_string_value(json_object_get(ev->attrs, "image"));
	if (!match_any(api_filters_get(f, "type"), ev->type, NULL) ||
	    !match_action(api_filters_get(f, "event"), ev->action))
		return false;
	if (api_filters_get(f, "image") &&
	    !(!strcmp(ev->type, "image") ? match_any(api_filters_get(f, "image"), ev->id, name)
					 : match_any(api_filters_get(f, "image"), image, NULL)))
		return false;
	if (api_filters_get(f, "container") &&
	    (strcmp(ev->type, "container") ||
	     !match_any(api_filters_get(f, "container"), ev->id, name)))
		return false;
	/* moby's fuzzyMatchName: the volume's name is its Actor ID */
	if (api_filters_get(f, "volume") && !match_any(api_filters_get(f, "volume"), ev->id, name))
		return false;
	return api_filters_match_labels(f, "label", ev->attrs);
}

static char *event_line(const struct engine_event *ev)
{
	json_t *j = json_object();
	bool legacy = !strcmp(ev->type, "container") || !strcmp(ev->type, "image");
	if (legacy) {
		json_object_set_new(j, "status", json_string(ev->action));
		json_object_set_new(j, "id", json_string(ev->id));
		if (ev->from)
			json_object_set_new(j, "from", json_string(ev->from));
	}
	json_object_update_new(j, json_pack("{s:s, s:s, s:{s:s, s:O}, s:s, s:I, s:I}", "Type",
					    ev->type, "Action", ev->action, "Actor", "ID", ev->id,
					    "Attributes", ev->attrs, "scope", "local", "time",
					    (json_int_t)(ev->time / 1000000000), "timeNano",
					    (json_int_t)ev->time));
	char *s = jx_dumps(j);
	json_decref(j);
	char *line = str_printf("%s\n", s);
	free(s);
	return line;
}

/* Blocks until there is something to send; then copies as much as fits. */
static ssize_t events_read(void *arg, char *buf, size_t max)
{
	struct ev_stream *st = arg;
	while (st->off == st->len) {
		free(st->pending);
		st->pending = NULL;
		st->len = st->off = 0;
		struct engine_event **evs;
		bool closed;
		/* wake up every second to notice a client that went away */
		int64_t wake = store_time_now() + 1000000000;
		engine_events_next(st->eng, &st->seq,
				   st->until && st->until < wake ? st->until : wake, &evs, &closed);
		bool past_until = st->until && store_time_now() >= st->until;
		for (struct engine_event **p = evs; *p; p++) {
			past_until = past_until || (st->until && (*p)->time > st->until);
			if (!(st->until && (*p)->time > st->until) && event_wanted(st, *p)) {
				_cleanup_free_ char *line = event_line(*p);
				size_t n = strlen(line);
				st->pending = xrealloc(st->pending, st->len + n);
				memcpy(st->pending + st->len, line, n);
				st->len += n;
			}
			engine_event_free(*p);
		}
		free(evs);
		if (st->len == 0 && (closed || past_until))
			return API_STREAM_END;
		if (st->len == 0 && api_socket_gone(st->sock))
			return API_STREAM_ERROR;
	}
	size_t n = st->len - st->off < max ? st->len - st->off : max;
	memcpy(buf, st->pending + st->off, n);
	st->off += n;
	return (ssize_t)n;
}

static void events_free(void *arg)
{
	struct ev_stream *st = arg;
	engine_events_listener(st->eng, -1);
	json_decref(st->filters);
	free(st->pending);
	free(st);
}

static const char *const event_filters[] = {"config", "container", "daemon", "event",  "image",
					    "label",  "network",   "node",   "plugin", "scope",
					    "secret", "service",   "type",   "volume", NULL};

void api_events(struct api_req *req)
{
	struct err e = ERR_INIT;
	struct ev_stream *st = xcalloc(1, sizeof(*st));
	st->eng = req->eng;
	st->sock = api_req_socket(req);
	const char *since = api_query(req, "since"), *until = api_query(req, "until");
	st->filters = api_filters_parse(api_query(req, "filters"), &e);
	if (!st->filters || api_filters_validate(st->filters, event_filters, &e) < 0 ||
	    (since && *since && store_time_parse_unix(since, &st->since, &e) < 0) ||
	    (until && *until && store_time_parse_unix(until, &st->until, &e) < 0)) {
		json_decref(st->filters);
		free(st);
		api_reply_error(req, &e);
		return;
	}
	/* without since only new events; with it the buffer is replayed from the start */
	st->seq = since && *since ? 0 : engine_events_seq(req->eng); /* since=0 replays all */
	engine_events_listener(req->eng, 1);
	api_reply_stream(req, 200, "application/json", events_read, st, events_free);
}
