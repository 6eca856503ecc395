/* engine/container_health: health checks as dockerd runs them: one scheduler thread (made at
 * the first check) starts each due probe on a short-lived thread, as an exec whose output is
 * read through its attach; the result goes into State.Health and status changes are events. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/container_health.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

#define NS		  1000000000LL
#define MIN_DURATION	  1000000LL /* moby's MinimumDuration: 1 ms */
#define DEFAULT_INTERVAL  (30 * NS)
#define DEFAULT_TIMEOUT	  (30 * NS)
#define DEFAULT_START_INT (5 * NS)
#define DEFAULT_RETRIES	  3
#define MAX_OUTPUT	  4096
#define MAX_LOG_ENTRIES	  5
#define PROBE_STACK	  (128 * 1024)

struct health_sched {
	pthread_t thread;
	int probes; /* in flight (guarded by the store's mutex) */
};

struct probe {
	struct engine *eng;
	struct container *c; /* held */
	uint64_t gen;
	json_t *hc;   /* the Healthcheck (a copy) */
	json_t *args; /* the exec's Cmd */
};

struct probe_result {
	int64_t start, end;
	int code;
	char *output;
};

static int64_t hc_ns(const json_t *hc, const char *key, int64_t dflt)
{
	json_int_t v = json_integer_value(json_object_get(hc, key));
	return v > 0 ? (int64_t)v : dflt;
}

int container_health_validate(const json_t *cfg, struct err *e)
{
	const json_t *hc = json_object_get(cfg, "Healthcheck");
	if (!json_is_object(hc))
		return 0;
	static const char *const durations[] = {"Interval", "Timeout", "StartPeriod",
						"StartInterval"};
	for (size_t i = 0; i < sizeof(durations) / sizeof(*durations); i++) {
		const json_t *v = json_object_get(hc, durations[i]);
		if (v && !json_is_null(v) && !json_is_integer(v))
			return err_invalid(e, "Healthcheck.%s: expected an integer (ns), got %s",
					   durations[i], jx_type_name(v));
		json_int_t d = json_integer_value(v);
		if (d != 0 && d < MIN_DURATION)
			return err_invalid(e, "%s in Healthcheck cannot be less than 1ms",
					   durations[i]);
	}
	const json_t *r = json_object_get(hc, "Retries");
	if (r && !json_is_null(r) && !json_is_integer(r))
		return err_invalid(e, "Healthcheck.Retries: expected an integer, got %s",
				   jx_type_name(r));
	if (json_integer_value(r) < 0)
		return err_invalid(e, "Retries in Healthcheck cannot be negative");
	const json_t *t = json_object_get(hc, "Test"), *v;
	size_t i;
	if (t && !json_is_null(t) && !json_is_array(t))
		return err_invalid(e, "Healthcheck.Test: expected an array of strings, got %s",
				   jx_type_name(t));
	json_array_foreach (t, i, v)
		if (!json_is_string(v))
			return err_invalid(e, "Healthcheck.Test[%zu]: expected a string", i);
	return 0;
}

void container_health_merge(json_t *cfg, const json_t *img)
{
	const json_t *ih = json_object_get(img, "Healthcheck");
	if (!json_is_object(ih))
		return;
	json_t *h = json_object_get(cfg, "Healthcheck");
	if (!json_is_object(h)) {
		json_object_set_new(cfg, "Healthcheck", json_deep_copy(ih));
		return;
	}
	static const char *const keys[] = {"Test",	  "Interval", "Timeout",
					   "StartPeriod", "Retries",  "StartInterval"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		const json_t *v = json_object_get(h, keys[i]);
		bool unset = !v || json_is_null(v) ||
			     (json_is_integer(v) && !json_integer_value(v)) ||
			     (json_is_array(v) && !json_array_size(v));
		if (unset && json_object_get(ih, keys[i]))
			json_object_set_new(h, keys[i],
					    json_deep_copy(json_object_get(ih, keys[i])));
	}
}

void container_health_duration(int64_t ns, char *out, size_t len)
{
	if (ns == 0) {
		snprintf(out, len, "0s");
		return;
	}
	if (ns < NS) {
		const char *unit = ns < 1000 ? "ns" : ns < 1000000 ? "µs" : "ms";
		int64_t div = ns < 1000 ? 1 : ns < 1000000 ? 1000 : 1000000;
		char frac[16] = "";
		if (ns % div) {
			snprintf(frac, sizeof(frac), ".%0*lld", div == 1000 ? 3 : 6,
				 (long long)(ns % div));
			for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
				frac[n - 1] = '\0';
		}
		snprintf(out, len, "%lld%s%s", (long long)(ns / div), frac, unit);
		return;
	}
	long long h = ns / (3600 * NS), m = ns / (60 * NS) % 60, s = ns / NS % 60;
	char frac[16] = "";
	if (ns % NS) {
		snprintf(frac, sizeof(frac), ".%09lld", (long long)(ns % NS));
		for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
	}
	if (h)
		snprintf(out, len, "%lldh%lldm%lld%ss", h, m, s, frac);
	else if (m)
		snprintf(out, len, "%lldm%lld%ss", m, s, frac);
	else
		snprintf(out, len, "%lld%ss", s, frac);
}

/* The probe's command, or NULL when there is no check (no Test, NONE, unknown kind). */
static json_t *probe_args(const json_t *cfg)
{
	const json_t *t = json_object_get(json_object_get(cfg, "Healthcheck"), "Test");
	const char *kind = json_string_value(json_array_get(t, 0));
	if (str_eq(kind, "CMD") && json_array_size(t) > 1) {
		json_t *a = json_deep_copy(t);
		json_array_remove(a, 0);
		return a;
	}
	if (!str_eq(kind, "CMD-SHELL") || json_array_size(t) < 2)
		return NULL;
	const json_t *shell = json_object_get(cfg, "Shell");
	json_t *a =
	    json_array_size(shell) ? json_deep_copy(shell) : json_pack("[s,s]", "/bin/sh", "-c");
	json_array_append(a, json_array_get(t, 1));
	return a;
}

/* The exec's output as the monitor's attach socket frames it ([stream][4 bytes big-endian
 * length][payload], docs/monitor-protocol.md), as one text. */
struct frames {
	unsigned char hdr[5];
	size_t hlen, plen; /* header bytes seen; payload bytes still to come */
	char text[MAX_OUTPUT + 1];
	size_t len;
	bool trunc;
};

static void frames_feed(struct frames *f, const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n;) {
		if (f->plen == 0) {
			f->hdr[f->hlen++] = buf[i++];
			if (f->hlen == sizeof(f->hdr)) {
				f->plen = (size_t)f->hdr[1] << 24 | (size_t)f->hdr[2] << 16 |
					  (size_t)f->hdr[3] << 8 | f->hdr[4];
				f->hlen = 0;
			}
			continue;
		}
		size_t take = n - i < f->plen ? n - i : f->plen;
		size_t room = MAX_OUTPUT - f->len, copy = take < room ? take : room;
		memcpy(f->text + f->len, buf + i, copy);
		f->len += copy;
		f->trunc = f->trunc || copy < take;
		i += take;
		f->plen -= take;
	}
}

/* Reads fd until EOF or the deadline (or the daemon's shutdown): false when not EOF. */
static bool probe_read(struct engine *eng, int fd, int64_t deadline, struct frames *f)
{
	unsigned char buf[4096];
	for (;;) {
		int64_t left = deadline - store_time_now();
		pthread_mutex_lock(&eng->containers->mu);
		bool closing = eng->containers->closing;
		pthread_mutex_unlock(&eng->containers->mu);
		if (left <= 0 || closing)
			return false;
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, left > 200000000 ? 200 : (int)(left / 1000000) + 1) <= 0)
			continue;
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return true;
		frames_feed(f, buf, (size_t)r);
	}
}

static void probe_exec(struct engine *eng, const char *cid, const struct probe *p,
		       struct probe_result *r)
{
	int64_t timeout = hc_ns(p->hc, "Timeout", DEFAULT_TIMEOUT);
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body =
	    json_pack("{s:O, s:b, s:b}", "Cmd", p->args, "AttachStdout", 1, "AttachStderr", 1);
	_cleanup_free_ char *xid = engine_exec_create(eng, cid, body, &e);
	int fd = -1;
	bool tty = false;
	_cleanup_free_ struct frames *f = xcalloc(1, sizeof(*f));
	if (!xid || engine_exec_start(eng, xid,
				      "{\"stdin\":false,\"stdout\":true,\"stderr\":true,"
				      "\"logs\":false}\n",
				      &fd, &tty, &e) < 0) {
		r->code = -1;
		r->output = str_dup(e.msg);
	} else {
		bool done = fd < 0 || probe_read(eng, fd, r->start + timeout, f);
		if (fd >= 0)
			close(fd);
		if (!done) {
			_cleanup_json_ json_t *x = engine_exec_inspect(eng, xid, NULL);
			pid_t pid = (pid_t)json_integer_value(json_object_get(x, "Pid"));
			if (pid > 0)
				kill(pid, SIGKILL);
		}
		int code = engine_exec_wait(eng, xid, store_time_now() + 10 * NS);
		if (done) {
			r->code = code;
			f->text[f->len] = '\0';
			r->output = str_printf("%s%s", f->text, f->trunc ? "..." : "");
		} else {
			char d[32];
			container_health_duration(timeout, d, sizeof(d));
			r->output = str_printf("Health check exceeded timeout (%s)", d);
			r->code = -1;
		}
	}
	if (xid)
		container_exec_forget(eng, xid);
	r->end = store_time_now();
}

/* The output as a JSON string: invalid UTF-8 becomes U+FFFD, as Go's encoder does. */
static json_t *output_string(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	_cleanup_free_ char *out = xmalloc(strlen(s) * 3 + 1);
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t k = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
		json_t *t =
		    strnlen((const char *)p, k) == k ? json_stringn((const char *)p, k) : NULL;
		if (t) {
			memcpy(out + o, p, k);
			o += k;
			p += k;
			json_decref(t);
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
		}
	}
	out[o] = '\0';
	return json_string(out);
}

/* moby's handleProbeResult; returns whether Status changed. Mutex held. */
static bool health_apply_locked(struct container *c, const json_t *hc, const struct probe_result *r)
{
	json_t *st = json_object_get(c->rec, "State");
	json_t *h = json_object_get(st, "Health");
	if (!json_is_object(h)) {
		h = json_pack("{s:s, s:i, s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
		json_object_set_new(st, "Health", h);
	}
	_cleanup_free_ char *old = str_dup(json_string_value(json_object_get(h, "Status")));
	char start[STORE_TIME_MAX], end[STORE_TIME_MAX];
	store_time_format(r->start, start);
	store_time_format(r->end, end);
	json_t *log = json_object_get(h, "Log");
	if (!json_is_array(log)) {
		log = json_array();
		json_object_set_new(h, "Log", log);
	}
	json_array_append_new(log,
			      json_pack("{s:s, s:s, s:i, s:o}", "Start", start, "End", end,
					"ExitCode", r->code, "Output", output_string(r->output)));
	while (json_array_size(log) > MAX_LOG_ENTRIES)
		json_array_remove(log, 0);
	json_int_t streak = json_integer_value(json_object_get(h, "FailingStreak"));
	if (r->code == 0) {
		json_object_set_new(h, "FailingStreak", json_integer(0));
		json_object_set_new(h, "Status", json_string("healthy"));
	} else {
		int64_t started = 0;
		store_time_parse(json_string_value(json_object_get(st, "StartedAt")), &started,
				 NULL);
		/* failures within the start period don't count until a first success */
		bool count =
		    !str_eq(old, "starting") || r->start - started >= hc_ns(hc, "StartPeriod", 0);
		if (count) {
			json_object_set_new(h, "FailingStreak", json_integer(++streak));
			if (streak >= hc_ns(hc, "Retries", DEFAULT_RETRIES))
				json_object_set_new(h, "Status", json_string("unhealthy"));
		}
	}
	return !str_eq(old, json_string_value(json_object_get(h, "Status")));
}

/* The wait before the next probe: StartInterval while starting within the start period. */
static int64_t next_interval_locked(const struct container *c, const json_t *hc, int64_t now)
{
	const json_t *st = json_object_get(c->rec, "State");
	int64_t started = 0;
	store_time_parse(json_string_value(json_object_get(st, "StartedAt")), &started, NULL);
	const char *status =
	    json_string_value(json_object_get(json_object_get(st, "Health"), "Status"));
	if (now - started < hc_ns(hc, "StartPeriod", 0) && str_eq(status, "starting"))
		return hc_ns(hc, "StartInterval", DEFAULT_START_INT);
	return hc_ns(hc, "Interval", DEFAULT_INTERVAL);
}

/* The result into State.Health (the record changes: busy and the mutex), saved, and the
 * event when the status changed. */
static void probe_record(struct probe *p, struct probe_result *r)
{
	struct engine *eng = p->eng;
	struct container *c = p->c;
	struct container_store *s = eng->containers;
	container_lock_busy(eng, c);
	pthread_mutex_lock(&s->mu);
	c->health_probing = false;
	bool current = !s->closing && !c->gone && c->exits == p->gen && container_running(c);
	bool changed = current && health_apply_locked(c, p->hc, r);
	if (current)
		c->health_due = store_time_now() + next_interval_locked(c, p->hc, store_time_now());
	const char *status = json_string_value(
	    json_object_get(json_object_get(json_object_get(c->rec, "State"), "Health"), "Status"));
	_cleanup_free_ char *action = str_printf("health_status: %s", status ? status : "");
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	if (current)
		container_save(eng, c, NULL);
	container_unlock_busy(eng, c);
	if (changed)
		container_emit(eng, c, action, NULL);
}

static void *probe_thread(void *arg)
{
	struct probe *p = arg;
	struct probe_result r = {.start = store_time_now()};
	probe_exec(p->eng, p->c->id, p, &r);
	probe_record(p, &r);
	free(r.output);
	struct container_store *s = p->eng->containers;
	container_put(p->eng, p->c);
	json_decref(p->hc);
	json_decref(p->args);
	pthread_mutex_lock(&s->mu);
	s->health->probes--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	free(p);
	return NULL;
}

/* Starts c's probe on its own thread. Mutex held. */
static void probe_launch_locked(struct engine *eng, struct container *c)
{
	const json_t *cfg = json_object_get(c->rec, "Config");
	json_t *args = probe_args(cfg);
	if (!args) {
		c->health_due = 0;
		return;
	}
	struct probe *p = xcalloc(1, sizeof(*p));
	*p = (struct probe){eng, c, c->health_gen,
			    json_deep_copy(json_object_get(cfg, "Healthcheck")), args};
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, PROBE_STACK);
	pthread_t t;
	c->refs++;
	if (pthread_create(&t, &attr, probe_thread, p) != 0) {
		log_warn("container %.12s: cannot start a health probe thread", c->id);
		c->refs--;
		json_decref(p->hc);
		json_decref(p->args);
		free(p);
		c->health_due = store_time_now() + hc_ns(json_object_get(cfg, "Healthcheck"),
							 "Interval", DEFAULT_INTERVAL);
	} else {
		c->health_probing = true;
		eng->containers->health->probes++;
	}
	pthread_attr_destroy(&attr);
}

static void *sched_thread(void *arg)
{
	struct engine *eng = arg;
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	while (!s->closing) {
		int64_t now = store_time_now(), next = 0;
		for (size_t i = 0; i < s->n; i++) {
			struct container *c = s->v[i];
			if (!c->health_due || c->health_probing)
				continue;
			if (!container_running(c) || c->exits != c->health_gen) {
				c->health_due = 0;
				continue;
			}
			if (c->health_due <= now) {
				if (container_paused(c))
					c->health_due =
					    now +
					    hc_ns(json_object_get(json_object_get(c->rec, "Config"),
								  "Healthcheck"),
						  "Interval", DEFAULT_INTERVAL);
				else
					probe_launch_locked(eng, c);
			}
			if (c->health_due && !c->health_probing && (!next || c->health_due < next))
				next = c->health_due;
		}
		if (!next) {
			pthread_cond_wait(&s->cond, &s->mu);
		} else {
			struct timespec ts = {next / NS, next % NS};
			pthread_cond_timedwait(&s->cond, &s->mu, &ts);
		}
	}
	while (s->health->probes > 0)
		pthread_cond_wait(&s->cond, &s->mu);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

void container_health_start(struct engine *eng, struct container *c)
{
	struct container_store *s = eng->containers;
	const json_t *cfg = json_object_get(c->rec, "Config");
	_cleanup_json_ json_t *args = probe_args(cfg);
	if (!args)
		return;
	pthread_mutex_lock(&s->mu);
	json_t *st = json_object_get(c->rec, "State");
	json_t *h = json_object_get(st, "Health");
	if (!json_is_object(h)) {
		h = json_pack("{s:s, s:i, s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
		json_object_set_new(st, "Health", h);
	}
	json_object_set_new(h, "Status", json_string("starting"));
	json_object_set_new(h, "FailingStreak", json_integer(0));
	const json_t *hc = json_object_get(cfg, "Healthcheck");
	c->health_gen = c->exits;
	c->health_due = store_time_now() + next_interval_locked(c, hc, store_time_now());
	bool ok = true;
	if (!s->health && !s->closing) {
		s->health = xcalloc(1, sizeof(*s->health));
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, PROBE_STACK);
		ok = pthread_create(&s->health->thread, &attr, sched_thread, eng) == 0;
		pthread_attr_destroy(&attr);
		if (!ok) {
			free(s->health);
			s->health = NULL;
			c->health_due = 0;
		}
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	if (!ok)
		log_error("container %.12s: cannot start the health check thread", c->id);
	container_save(eng, c, NULL);
}

void container_health_release(struct container_store *s)
{
	if (!s || !s->health)
		return;
	pthread_mutex_lock(&s->mu);
	s->closing = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->health->thread, NULL);
	free(s->health);
	s->health = NULL;
}
