/* engine/container_ops: operations on existing containers: stop, kill, restart, pause,
 * remove, rename, wait, resize, and what attach/logs need to know. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "engine/container_restart.h"
#include "runtime/container.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static const char *short_name(const struct container *c)
{
	const char *n = json_string_value(json_object_get(c->rec, "Name"));
	return n ? n + (*n == '/') : "";
}

/* Signals the container's init (runtime library: checks the pid is still the container's);
 * a paused container is thawed for SIGKILL/stop so that the signal is delivered. */
static int signal_locked(struct engine *eng, struct container *c, int sig, struct err *e)
{
	_cleanup_free_ char *rt = container_runtime_root(eng);
	if (container_kill(rt, c->id, sig, false, e) < 0)
		return -1;
	char s[16];
	snprintf(s, sizeof(s), "%d", sig);
	container_emit(eng, c, "kill", json_pack("{s:s}", "signal", s));
	return 0;
}

static void thaw_locked(struct engine *eng, struct container *c)
{
	if (!container_paused(c))
		return;
	_cleanup_free_ char *rt = container_runtime_root(eng);
	if (container_pause(rt, c->id, false, NULL) == 0) {
		pthread_mutex_lock(&eng->containers->mu);
		container_set_state(c, "running");
		pthread_mutex_unlock(&eng->containers->mu);
		container_emit(eng, c, "unpause", NULL);
	}
}

/* A stop by hand: no restart for this exit, none for unless-stopped after a daemon restart
 * either (saved); a pending restart's wait ends. Busy held. */
static void container_stop_by_hand(struct engine *eng, struct container *c)
{
	pthread_mutex_lock(&eng->containers->mu);
	c->stopping = true;
	container_restart_mark_locked(c, true);
	pthread_cond_broadcast(&eng->containers->cond);
	pthread_mutex_unlock(&eng->containers->mu);
	container_save(eng, c, NULL);
}

/* Waits until exits passes seq; deadline 0 = forever. true when it did. */
static bool wait_exit(struct engine *eng, struct container *c, uint64_t seq, int64_t deadline)
{
	struct container_store *s = eng->containers;
	struct timespec ts = {deadline / 1000000000, deadline % 1000000000};
	pthread_mutex_lock(&s->mu);
	while (c->exits <= seq && !s->closing && !c->gone) {
		if (deadline && pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT)
			break;
		if (!deadline)
			pthread_cond_wait(&s->cond, &s->mu);
	}
	bool done = c->exits > seq || c->gone;
	pthread_mutex_unlock(&s->mu);
	return done;
}

static int stop_container(struct engine *eng, struct container *c, int timeout, const char *signal,
			  struct err *e)
{
	container_lock_busy(eng, c); /* busy: the record can be read */
	const json_t *cfg = json_object_get(c->rec, "Config");
	int sig = SIGTERM;
	const char *ss =
	    signal && *signal ? signal : json_string_value(json_object_get(cfg, "StopSignal"));
	if (ss && *ss && container_signal_parse(ss, &sig, e) < 0) {
		container_unlock_busy(eng, c);
		return -1;
	}
	if (timeout < 0)
		timeout = json_is_integer(json_object_get(cfg, "StopTimeout"))
			      ? (int)json_integer_value(json_object_get(cfg, "StopTimeout"))
			      : 10;
	if (!container_running(c)) {
		/* a stop ends a restart policy's pending restart */
		if (json_is_true(json_object_get(json_object_get(c->rec, "State"), "Restarting")))
			container_stop_by_hand(eng, c);
		container_unlock_busy(eng, c);
		return err_set(e, ERR_NOT_MODIFIED, 0, "container already stopped");
	}
	uint64_t seq = c->exits;
	container_stop_by_hand(eng, c);
	struct err ke = ERR_INIT;
	if (signal_locked(eng, c, sig, &ke) < 0)
		log_warn("stop %.12s: %s", c->id, ke.msg);
	thaw_locked(eng, c);
	container_unlock_busy(eng, c);
	int64_t deadline = timeout < 0 ? 0 : store_time_now() + (int64_t)timeout * 1000000000;
	if (!wait_exit(eng, c, seq, deadline ? deadline : 0) || timeout == 0) {
		container_lock_busy(eng, c);
		if (c->exits <= seq && container_running(c))
			signal_locked(eng, c, SIGKILL, NULL);
		container_unlock_busy(eng, c);
		wait_exit(eng, c, seq, 0);
	}
	container_emit(eng, c, "stop", NULL);
	return 0;
}

int engine_container_stop(struct engine *eng, const char *name, int timeout, const char *signal,
			  struct err *e)
{
	struct container *c = container_get(eng, name, e);
	if (!c)
		return -1;
	int r = stop_container(eng, c, timeout, signal, e);
	container_put(eng, c);
	return r;
}

int engine_container_restart(struct engine *eng, const char *name, int timeout, const char *signal,
			     struct err *e)
{
	struct container *c = container_get(eng, name, e);
	if (!c)
		return -1;
	int r = stop_container(eng, c, timeout, signal, e);
	if (r < 0 && e->kind == ERR_NOT_MODIFIED) {
		err_clear(e);
		r = 0;
	}
	_cleanup_free_ char *id = str_dup(c->id);
	container_put(eng, c);
	if (r == 0 && (r = engine_container_start(eng, id, e)) == 0)
		engine_container_event(eng, id, "restart");
	return r;
}

int engine_container_kill(struct engine *eng, const char *name, const char *signal, struct err *e)
{
	int sig = SIGKILL;
	if (signal && *signal && container_signal_parse(signal, &sig, e) < 0)
		return -1;
	struct container *c = container_get(eng, name, e);
	if (!c)
		return -1;
	container_lock_busy(eng, c);
	int r = 0;
	uint64_t seq0 = c->exits;
	if (!container_running(c)) {
		r = err_conflict(e, "Cannot kill container: %s: Container %s is not running", name,
				 c->id);
	} else {
		if (sig == SIGKILL)
			c->stopping = true;
		pthread_mutex_lock(&eng->containers->mu);
		container_restart_mark_locked(c, true); /* moby: any kill is a stop by hand */
		pthread_mutex_unlock(&eng->containers->mu);
		r = signal_locked(eng, c, sig, e);
		if (r == 0 && sig == SIGKILL)
			thaw_locked(eng, c);
	}
	container_unlock_busy(eng, c);
	/* as moby: SIGKILL returns once the container is down */
	if (r == 0 && sig == SIGKILL)
		wait_exit(eng, c, seq0, store_time_now() + 10 * 1000000000LL);
	container_put(eng, c);
	return r;
}

int engine_container_pause(struct engine *eng, const char *name, bool pause, struct err *e)
{
	struct container *c = container_get(eng, name, e);
	if (!c)
		return -1;
	container_lock_busy(eng, c);
	int r;
	if (!container_running(c))
		r = err_conflict(e, "Container %s is not running", c->id);
	else if (pause && container_paused(c))
		r = err_conflict(e, "Container %s is already paused", c->id);
	else if (!pause && !container_paused(c))
		r = err_conflict(e, "Container %s is not paused", c->id);
	else {
		_cleanup_free_ char *rt = container_runtime_root(eng);
		r = container_pause(rt, c->id, pause, e);
		if (r == 0) {
			pthread_mutex_lock(&eng->containers->mu);
			container_set_state(c, pause ? "paused" : "running");
			pthread_mutex_unlock(&eng->containers->mu);
			container_save(eng, c, NULL);
			container_emit(eng, c, pause ? "pause" : "unpause", NULL);
		}
	}
	container_unlock_busy(eng, c);
	container_put(eng, c);
	return r;
}

int engine_container_remove(struct engine *eng, const char *name, bool force, bool volumes,
			    struct err *e)
{
	struct container *c = container_get(eng, name, e);
	if (!c)
		return -1;
	container_lock_busy(eng, c);
	int r = 0;
	bool restarting =
	    json_is_true(json_object_get(json_object_get(c->rec, "State"), "Restarting"));
	if (restarting)
		c->stopping = force; /* a removal stops the restart policy */
	if (c->gone) {
		r = err_notfound(e, "No such container: %s", name);
	} else if (restarting && !force) {
		r = err_conflict(e,
				 "You cannot remove a restarting container %s. Stop the "
				 "container before attempting removal or force remove",
				 c->id);
	} else if (container_running(c) && !force) {
		r = err_conflict(e,
				 "You cannot remove a %s container %s. %s before attempting "
				 "removal or force remove",
				 container_paused(c) ? "paused" : "running", c->id,
				 container_paused(c) ? "Unpause and then stop the container"
						     : "Stop the container");
	} else if (container_running(c)) {
		uint64_t seq = c->exits;
		c->stopping = true;
		signal_locked(eng, c, SIGKILL, NULL);
		thaw_locked(eng, c);
		container_unlock_busy(eng, c);
		wait_exit(eng, c, seq, store_time_now() + 30 * 1000000000LL);
		container_lock_busy(eng, c);
		if (container_running(c))
			r = err_set(e, ERR_INTERNAL, 0,
				    "Could not kill running container %s, cannot remove", c->id);
	}
	c->rm_volumes = volumes;
	if (r == 0 && !c->gone)
		r = container_destroy(eng, c, e);
	container_unlock_busy(eng, c);
	container_put(eng, c);
	return r;
}

int engine_container_rename(struct engine *eng, const char *name, const char *newname,
			    struct err *e)
{
	if (!newname || !*newname)
		return err_invalid(e, "Neither old nor new names may be empty");
	if (!container_name_valid(newname))
		return err_invalid(e,
				   "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
				   "are allowed",
				   newname);
	struct container_store *s = eng->containers;
	struct container *c = container_get(eng, name, e);
	if (!c)
		return -1;
	container_lock_busy(eng, c); /* the record changes: busy and the mutex */
	pthread_mutex_lock(&s->mu);
	const char *bare = newname + (*newname == '/');
	_cleanup_free_ char *old = str_printf("/%s", short_name(c));
	struct container *o = cstore_by_name_locked(s, bare);
	int r = 0;
	if (c->gone)
		r = err_notfound(e, "No such container: %s", name);
	else if (!strcmp(old + 1, bare))
		r = err_invalid(e, "Renaming a container with the same name as its current name");
	else if (o)
		r = err_conflict(
		    e,
		    "Error when allocating new name: Conflict. The container name "
		    "\"/%s\" is already in use by container \"%s\". You have to remove "
		    "(or rename) that container to be able to reuse that name.",
		    bare, o->id);
	else
		json_object_set_new(c->rec, "Name", json_sprintf("/%s", bare));
	pthread_mutex_unlock(&s->mu);
	if (r == 0) {
		container_save(eng, c, NULL);
		container_net_rename(eng, c->id, bare);
	}
	container_unlock_busy(eng, c);
	if (r == 0)
		container_emit(eng, c, "rename", json_pack("{s:s}", "oldName", old));
	container_put(eng, c);
	return r;
}

struct container_waiter {
	struct engine *eng;
	struct container *c;
	enum container_wait_cond cond;
	uint64_t seq;
};

struct container_waiter *engine_container_wait_begin(struct engine *eng, const char *name,
						     enum container_wait_cond cond, struct err *e)
{
	struct container *c = container_get(eng, name, e);
	if (!c)
		return NULL;
	struct container_waiter *w = xcalloc(1, sizeof(*w));
	pthread_mutex_lock(&eng->containers->mu);
	*w = (struct container_waiter){eng, c, cond, c->exits};
	pthread_mutex_unlock(&eng->containers->mu);
	return w;
}

static bool wait_done(const struct container_waiter *w)
{
	const struct container *c = w->c;
	switch (w->cond) {
	case WAIT_NOT_RUNNING:
		return !container_running(c) || c->exits > w->seq || c->gone;
	case WAIT_NEXT_EXIT:
		return c->exits > w->seq || c->gone;
	case WAIT_REMOVED:
		return c->gone;
	}
	return true;
}

int engine_container_wait_end(struct container_waiter *w, int64_t deadline_ns, int *code)
{
	struct container_store *s = w->eng->containers;
	struct timespec ts = {deadline_ns / 1000000000, deadline_ns % 1000000000};
	int r = 0;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (wait_done(w)) {
			*code = w->c->last_exit;
			r = 1;
			break;
		}
		if (s->closing) {
			r = -1;
			break;
		}
		if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

void engine_container_wait_free(struct container_waiter *w)
{
	if (!w)
		return;
	container_put(w->eng, w->c);
	free(w);
}

int engine_container_io(struct engine *eng, const char *name, struct container_io *io,
			struct err *e)
{
	memset(io, 0, sizeof(*io));
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct container *c = cstore_find_locked(s, name, e);
	if (!c) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	const json_t *cfg = json_object_get(c->rec, "Config");
	snprintf(io->id, sizeof(io->id), "%s", c->id);
	io->name = str_dup(json_string_value(json_object_get(c->rec, "Name")));
	io->log_path = str_dup(json_string_value(json_object_get(c->rec, "LogPath")));
	io->tty = json_is_true(json_object_get(cfg, "Tty"));
	io->open_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
	io->stdin_once = json_is_true(json_object_get(cfg, "StdinOnce"));
	io->running = container_running(c);
	if (io->running)
		io->attach_sock = str_printf("%s/containers/%s/attach.sock", eng->run_dir, c->id);
	c->refs--;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void container_io_release(struct container_io *io)
{
	free(io->name);
	free(io->log_path);
	free(io->attach_sock);
	json_decref(io->attrs);
	memset(io, 0, sizeof(*io));
}

int container_control_request(const char *dir, const char *req, char *reply, size_t size,
			      struct err *e)
{
	reply[0] = '\0';
	_cleanup_close_ int fd = container_sock_connect(dir, "control.sock", e);
	if (fd < 0)
		return -1;
	size_t len = strlen(req);
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len)
		return err_sys(e, "send to %s/control.sock", dir);
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 5000) <= 0)
		return 0;
	ssize_t n = recv(fd, reply, size - 1, 0);
	reply[n > 0 ? n : 0] = '\0';
	return 0;
}

/* A container's monitor: the reply must say ok. */
static int control_request(const char *dir, const char *req, struct err *e)
{
	char buf[512];
	if (container_control_request(dir, req, buf, sizeof(buf), e) < 0)
		return -1;
	if (!buf[0])
		return err_set(e, ERR_INTERNAL, 0, "%s/control.sock: no reply", dir);
	if (!strstr(buf, "\"ok\":true") && !strstr(buf, "\"ok\": true"))
		return err_set(e, ERR_INTERNAL, 0, "%s/control.sock: %s", dir, buf);
	return 0;
}

int engine_container_resize(struct engine *eng, const char *name, int h, int w, struct err *e)
{
	struct container_io io;
	if (engine_container_io(eng, name, &io, e) < 0)
		return -1;
	int r = 0;
	if (!io.running) {
		r = err_conflict(e, "Container %s is not running", io.id);
	} else {
		_cleanup_free_ char *path = container_run_dir(eng, io.id);
		_cleanup_free_ char *req =
		    str_printf("{\"op\":\"resize\",\"height\":%d,\"width\":%d}\n", h, w);
		r = control_request(path, req, e);
	}
	container_io_release(&io);
	return r;
}
