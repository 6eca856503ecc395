/* engine/container_attach: connections to a container's attach socket (the monitor's). An
 * attach to a container that is not running yet (docker run attaches before the start) is
 * parked; the start connects it between the monitor's listen and the process start, so the
 * client misses no output. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

struct attach_pending {
	struct attach_pending *next;
	char *hello;
	int fd;
	bool done;
};

/* Connects to dir/name; through /proc/self/fd when the path is longer than sun_path allows
 * (deep --run-dir). */
int container_sock_connect(const char *dir, const char *name, struct err *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *path = str_printf("%s/%s", dir, name);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return err_sys(e, "open %s", dir);
		free(path);
		path = str_printf("/proc/self/fd/%d/%s", dfd, name);
	}
	strcpy(sa.sun_path, path);
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

static void pending_unlink(struct container *c, struct attach_pending *p)
{
	for (struct attach_pending **pp = &c->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

int engine_container_attach(struct engine *eng, const char *name, const char *hello,
			    bool (*gone)(void *), void *arg, struct err *e)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct container *c = cstore_find_locked(s, name, e);
	if (!c) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	if (container_running(c)) {
		_cleanup_free_ char *path = container_run_dir(eng, c->id);
		c->refs--;
		pthread_mutex_unlock(&s->mu);
		return attach_connect(path, hello, e);
	}
	struct attach_pending p = {c->pending, str_dup(hello), -1, false};
	c->pending = &p;
	while (!p.done && !c->gone && !s->closing) {
		struct timespec ts;
		int64_t dl = store_time_now() + 1000000000;
		ts.tv_sec = dl / 1000000000;
		ts.tv_nsec = dl % 1000000000;
		if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT && gone && gone(arg))
			break;
	}
	if (!p.done)
		pending_unlink(c, &p);
	int fd = p.fd;
	pthread_mutex_unlock(&s->mu);
	free(p.hello);
	container_put(eng, c);
	if (fd < 0)
		err_notfound(e, "container %s did not start", name);
	return fd;
}

/* Start: connects every parked attach once the monitor listens (or gives up when the
 * monitor reports first: then it failed or is already running). */
void container_attach_pending(struct engine *eng, struct container *c, const char *rdir,
			      int ready_fd)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	bool any = c->pending != NULL;
	pthread_mutex_unlock(&s->mu);
	if (!any)
		return;
	_cleanup_free_ char *path = str_printf("%s/attach.sock", rdir);
	for (int i = 0; i < 20000 && !fs_exists(path); i++) {
		struct pollfd p = {ready_fd, POLLIN, 0};
		if (poll(&p, 1, 0) > 0)
			break;
		usleep(100);
	}
	pthread_mutex_lock(&s->mu);
	for (struct attach_pending *p = c->pending; p; p = p->next) {
		p->fd = attach_connect(rdir, p->hello, NULL);
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
	for (struct attach_pending *p = c->pending; p; p = p->next)
		p->done = true;
	c->pending = NULL;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}
