/* engine/container_restart: restart policies as moby's restart manager applies them: the
 * policy check at create/update, the back-off (100 ms doubling to a minute, back to 100 ms
 * after 10 s of running), manual stops remembered for unless-stopped, and the containers a
 * daemon start brings back up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/container_restart.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

#define MANUAL_KEY    "_ManuallyStopped" /* moby's HasBeenManuallyStopped; not in inspect */
#define BACKOFF_FIRST 100000LL		 /* µs */
#define BACKOFF_MAX   60000000LL
#define RESET_AFTER   (10 * 1000000000LL) /* ns of running that end a series */

int container_restart_policy_check(const json_t *hc, struct err *e)
{
	const json_t *rp = json_object_get(hc, "RestartPolicy");
	if (!json_is_object(rp))
		return 0;
	const json_t *n = json_object_get(rp, "Name"),
		     *m = json_object_get(rp, "MaximumRetryCount");
	if (n && !json_is_null(n) && !json_is_string(n))
		return err_invalid(e, "HostConfig.RestartPolicy.Name: expected a string, got %s",
				   jx_type_name(n));
	if (m && !json_is_null(m) && !json_is_integer(m))
		return err_invalid(
		    e,
		    "HostConfig.RestartPolicy.MaximumRetryCount: expected an integer, "
		    "got %s",
		    jx_type_name(m));
	const char *name = n ? json_string_value(n) : "";
	json_int_t max = json_integer_value(m);
	bool none = !name || !*name || !strcmp(name, "no");
	if (!none && strcmp(name, "always") && strcmp(name, "unless-stopped") &&
	    strcmp(name, "on-failure"))
		return err_invalid(e,
				   "invalid restart policy: unknown policy '%s'; use one of 'no', "
				   "'always', 'on-failure', or 'unless-stopped'",
				   name);
	if (max < 0)
		return err_invalid(e, "invalid restart policy: maximum retry count cannot be "
				      "negative");
	if (max > 0 && (none || strcmp(name, "on-failure")))
		return err_invalid(e, "invalid restart policy: maximum retry count can only be "
				      "used with 'on-failure'");
	if (!none && json_is_true(json_object_get(hc, "AutoRemove")))
		return err_invalid(e, "can't create 'AutoRemove' container with restart policy");
	return 0;
}

void container_restart_mark_locked(struct container *c, bool manual_stop)
{
	if (manual_stop) {
		json_object_set_new(c->rec, MANUAL_KEY, json_true());
		return;
	}
	/* a start by hand (or at daemon start) begins a new series, as moby's
	 * ResetRestartManager */
	json_object_del(c->rec, MANUAL_KEY);
	json_object_set_new(c->rec, "RestartCount", json_integer(0));
	c->restart_backoff = 0;
}

/* Whether the policy restarts c after an exit with code (moby's ShouldRestart). */
static bool policy_says_restart(const struct container *c, int code)
{
	const json_t *rp = json_object_get(json_object_get(c->rec, "HostConfig"), "RestartPolicy");
	const char *name = json_string_value(json_object_get(rp, "Name"));
	json_int_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
	json_int_t count = json_integer_value(json_object_get(c->rec, "RestartCount"));
	bool manual = json_is_true(json_object_get(c->rec, MANUAL_KEY));
	if (!name)
		return false;
	return !strcmp(name, "always") || (!strcmp(name, "unless-stopped") && !manual) ||
	       (!strcmp(name, "on-failure") && code != 0 && (max <= 0 || count < max));
}

static int64_t state_ns(const json_t *st, const char *key)
{
	int64_t ns = 0;
	const char *s = json_string_value(json_object_get(st, key));
	if (s && store_time_parse(s, &ns, NULL) < 0)
		ns = 0;
	return ns;
}

int64_t container_restart_delay(struct container *c)
{
	if (c->stopping || c->gone)
		return -1;
	const json_t *st = json_object_get(c->rec, "State");
	int64_t ran = state_ns(st, "FinishedAt") - state_ns(st, "StartedAt");
	if (ran >= RESET_AFTER)
		c->restart_backoff = 0;
	c->restart_backoff = c->restart_backoff == 0 ? BACKOFF_FIRST : c->restart_backoff * 2;
	if (c->restart_backoff > BACKOFF_MAX)
		c->restart_backoff = BACKOFF_MAX;
	return policy_says_restart(c, c->last_exit) ? c->restart_backoff : -1;
}

void container_restart_after(struct engine *eng, struct container *c, int64_t delay_us)
{
	struct container_store *s = eng->containers;
	/* the exit's handling marked it restarting (with busy, as every change of the record) */
	pthread_mutex_lock(&s->mu);
	/* a stop, a removal or the daemon's shutdown ends the wait early */
	int64_t until = store_time_now() + delay_us * 1000;
	struct timespec ts = {until / 1000000000, until % 1000000000};
	while (!c->gone && !c->stopping && !s->closing && !container_running(c))
		if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT)
			break;
	bool closing = s->closing;
	pthread_mutex_unlock(&s->mu);
	if (closing)
		return; /* the record still says exited; the next daemon start decides */
	container_lock_busy(eng, c);
	pthread_mutex_lock(&s->mu);
	bool go = !c->gone && !c->stopping && !s->closing && !container_running(c);
	json_t *st = json_object_get(c->rec, "State"); /* an exit meanwhile replaced it */
	json_object_set_new(st, "Restarting", json_false());
	if (!container_running(c))
		json_object_set_new(st, "Status", json_string("exited"));
	json_int_t n = json_integer_value(json_object_get(c->rec, "RestartCount"));
	if (go)
		json_object_set_new(c->rec, "RestartCount", json_integer(n + 1));
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	struct err e = ERR_INIT;
	if (go && container_start_locked(eng, c, &e) < 0)
		log_warn("restart %.12s: %s", c->id, e.msg);
	if (!go && !c->gone)
		container_save(eng, c, NULL);
	container_unlock_busy(eng, c);
}

/* Stopped containers whose policy wants them up (moby's restore): always, unless-stopped
 * not stopped by hand, on-failure after a failure with retries left; started before. */
static char **autostart_candidates(struct container_store *s)
{
	char **ids = NULL;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++) {
		struct container *c = s->v[i];
		json_t *st = json_object_get(c->rec, "State");
		bool restarting = json_is_true(json_object_get(st, "Restarting"));
		if (restarting && !c->restart_backoff && !container_running(c) && !c->busy) {
			/* a restart the previous daemon was waiting for: now ours to decide */
			json_object_set_new(st, "Restarting", json_false());
			json_object_set_new(st, "Status", json_string("exited"));
			restarting = false;
		}
		if (container_running(c) || c->busy || restarting)
			continue;
		if (state_ns(st, "StartedAt") <= 0 || c->removing)
			continue;
		if (policy_says_restart(c,
					(int)json_integer_value(json_object_get(st, "ExitCode"))))
			strv_push(&ids, c->id);
	}
	pthread_mutex_unlock(&s->mu);
	return ids;
}

void engine_container_autostart(struct engine *eng)
{
	_cleanup_strv_ char **ids = autostart_candidates(eng->containers);
	for (char **id = ids; id && *id; id++) {
		struct err e = ERR_INIT;
		if (engine_container_start(eng, *id, &e) < 0 && e.kind != ERR_NOT_MODIFIED)
			log_warn("container %.12s: restart policy: start at daemon start: %s", *id,
				 e.msg);
		else if (e.kind == ERR_NONE)
			log_info("container %.12s: started by its restart policy", *id);
	}
}
