/* engine/container_attach: connections to a container's attach socket (the monitor's). An
 * attach to a container that is not running yet (docker run attaches before the start) is
 * parked; the start connects it to the monitor's socket before the monitor runs (the
 * monitor accepts it before the process starts), so the client misses no output. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/str.h"
#include "util/unixsock.h"

struct container_attach {
	struct container_attach *next;
	char *hello;
	int fd;
	bool done, parked;
	struct engine *eng;
	struct container *c; /* held */
	int64_t log_offset;
	uint64_t exits0; /* the container's exits when parked */
	FILE *log;	 /* opened once connected: readable even after an AutoRemove */
};

/* Connects to dir/name; through /proc/self/fd when the path is longer than sun_path allows
 * (deep --run-dir). */
int container_sock_connect(const char *dir, const char *name, struct err *e)
{
	struct sockaddr_un sa;
	_cleanup_close_ int dfd = -1;
	if (unixsock_addr(&sa, dir, name, &dfd, e) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(e, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_sys(e, "connect to %s/%s", dir, name);
		close(fd);
		return -1;
	}
	return fd;
}

static int attach_connect(const char *dir, const char *hello, struct err *e)
{
	int fd = container_sock_connect(dir, "attach.sock", e);
	if (fd < 0)
		return -1;
	size_t len = strlen(hello);
	if (send(fd, hello, len, MSG_NOSIGNAL) != (ssize_t)len) {
		err_sys(e, "attach to %s", dir);
		close(fd);
		return -1;
	}
	return fd;
}

static void pending_unlink(struct container *c, struct container_attach *p)
{
	for (struct container_attach **pp = &c->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

struct container_attach *engine_container_attach_begin(struct engine *eng, const char *name,
						       const char *hello, struct err *e)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct container *c = cstore_find_locked(s, name, e);
	if (!c) {
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	struct container_attach *p = xcalloc(1, sizeof(*p));
	*p = (struct container_attach){
	    .hello = str_dup(hello), .fd = -1, .eng = eng, .c = c, .log_offset = -1};
	bool running = container_running(c);
	if (!running) {
		struct stat lst;
		const char *lp = json_string_value(json_object_get(c->rec, "LogPath"));
		p->log_offset = lp && stat(lp, &lst) == 0 ? lst.st_size : 0;
		p->parked = true;
		p->exits0 = c->exits;
		p->next = c->pending;
		c->pending = p;
	}
	pthread_mutex_unlock(&s->mu);
	if (running) {
		_cleanup_free_ char *dir = container_run_dir(eng, c->id);
		p->fd = attach_connect(dir, hello, NULL);
		p->done = true;
	}
	return p;
}

int engine_container_attach_end(struct container_attach *p, bool (*gone)(void *), void *arg,
				int64_t *log_offset)
{
	struct container_store *s = p->eng->containers;
	struct container *c = p->c;
	pthread_mutex_lock(&s->mu);
	while (!p->done && !c->gone && !s->closing) {
		struct timespec ts;
		int64_t dl = store_time_now() + 1000000000;
		ts.tv_sec = dl / 1000000000;
		ts.tv_nsec = dl % 1000000000;
		if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT && gone && gone(arg))
			break;
	}
	if (!p->done)
		pending_unlink(c, p);
	p->done = true;
	int fd = TAKE_FD(p->fd);
	*log_offset = p->log_offset;
	pthread_mutex_unlock(&s->mu);
	return fd;
}

void engine_container_attach_settle(struct container_attach *p, int64_t deadline_ns)
{
	struct container_store *s = p->eng->containers;
	struct timespec ts = {deadline_ns / 1000000000, deadline_ns % 1000000000};
	pthread_mutex_lock(&s->mu);
	while (p->parked && p->c->exits <= p->exits0 && !p->c->gone && !s->closing)
		if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s->mu);
}

void engine_container_attach_free(struct container_attach *p)
{
	if (!p)
		return;
	struct container_store *s = p->eng->containers;
	pthread_mutex_lock(&s->mu);
	if (!p->done)
		pending_unlink(p->c, p);
	pthread_mutex_unlock(&s->mu);
	if (p->fd >= 0)
		close(p->fd);
	if (p->log)
		fclose(p->log);
	container_put(p->eng, p->c);
	free(p->hello);
	free(p);
}

/* Start: connects every parked attach to the monitor's attach socket (made listening by
 * the start before the monitor runs, so nothing waits here). */
void container_attach_pending(struct engine *eng, struct container *c, const char *rdir)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	for (struct container_attach *p = c->pending; p; p = p->next) {
		struct err ce = ERR_INIT;
		/* the log too: whatever the socket misses (a process done before the monitor
		 * serves it) is there, and an open file survives an AutoRemove */
		const char *lp = json_string_value(json_object_get(c->rec, "LogPath"));
		if (lp && !p->log)
			p->log = fopen(lp, "re");
		p->fd = attach_connect(rdir, p->hello, &ce);
		if (p->fd < 0)
			log_warn("attach %.12s: %s", c->id, ce.msg);
		p->done = true;
	}
	c->pending = NULL;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

/* A failed start or a removal: parked attaches end without a stream. */
void container_attach_release(struct engine *eng, struct container *c)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	for (struct container_attach *p = c->pending; p; p = p->next)
		p->done = true;
	c->pending = NULL;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

int engine_container_attach_tail(struct container_attach *p, const size_t skip[3],
				 bool (*fn)(void *arg, int stream, const char *data, size_t len),
				 void *arg)
{
	if (!p->log || fseeko(p->log, p->log_offset, SEEK_SET) < 0)
		return -1;
	size_t left[3] = {0, skip[1], skip[2]};
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, p->log) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		const json_t *lg = json_object_get(j, "log");
		int s = str_eq(json_string_value(json_object_get(j, "stream")), "stderr") ? 2 : 1;
		size_t len = json_string_length(lg), cut = left[s] < len ? left[s] : len;
		left[s] -= cut;
		bool ok = len == cut || fn(arg, s, json_string_value(lg) + cut, len - cut);
		json_decref(j);
		if (!ok)
			break;
	}
	return 0;
}
