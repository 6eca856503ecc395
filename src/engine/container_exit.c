/* engine/container_exit: the exit path: a thread per running container polls the monitor's
 * pidfd; when it ends, exit.json gives the status (a monitor killed without one: the
 * container is killed and deleted, 137), the rootfs is unmounted, die is published, and
 * AutoRemove removes the container. Also removal and start-up recovery. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/container_health.h"
#include "engine/container_oom.h"
#include "engine/container_mounts.h"
#include "engine/container_priv.h"
#include "engine/container_recover.h"
#include "engine/container_restart.h"
#include "runtime/container.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

struct watch {
	struct engine *eng;
	struct container *c;
	pid_t pid;
	int pidfd;
};

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* What exit.json says, or 137 after killing what the monitor left behind. */
static void read_exit(struct engine *eng, const char *id, const char *rdir, json_t *st)
{
	_cleanup_free_ char *path = str_printf("%s/exit.json", rdir);
	_cleanup_json_ json_t *ex = fs_exists(path) ? jx_load_file(path, NULL) : NULL;
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	if (!ex) {
		_cleanup_free_ char *rt = container_runtime_root(eng);
		container_kill(rt, id, SIGKILL, true, NULL);
		struct err e = ERR_INIT;
		for (int i = 0;
		     i < 100 && container_delete(rt, id, true, &e) < 0 && e.kind != ERR_NOT_FOUND;
		     i++)
			usleep(10000);
		json_object_set_new(st, "ExitCode", json_integer(137));
		json_object_set_new(st, "FinishedAt", json_string(now));
		return;
	}
	json_object_set_new(st, "ExitCode",
			    json_integer(json_integer_value(json_object_get(ex, "ExitCode"))));
	const char *fin = json_string_value(json_object_get(ex, "FinishedAt"));
	json_object_set_new(st, "FinishedAt", json_string(fin && *fin ? fin : now));
	json_object_set_new(st, "OOMKilled",
			    json_boolean(json_is_true(json_object_get(ex, "OOMKilled"))));
	const char *err = json_string_value(json_object_get(ex, "Error"));
	json_object_set_new(st, "Error", json_string(err ? err : ""));
}

static void exit_record(struct engine *eng, struct container *c, const char *rdir)
{
	container_save(eng, c, NULL);
	/* only now: a crash before the save finds exit.json there again at the next start */
	fs_rm_rf(rdir, NULL);
}

/* The container's process is gone: record it, clean up, tell everyone (oom first, unless
 * the watch published it when it happened). */
static void handle_exit(struct engine *eng, struct container *c, bool oom_published)
{
	struct container_store *s = eng->containers;
	container_lock_busy(eng, c);
	_cleanup_free_ char *cdir = container_dir(eng, c->id);
	_cleanup_free_ char *rdir = container_run_dir(eng, c->id);
	pthread_mutex_lock(&s->mu); /* the record changes under the lock only */
	_cleanup_json_ json_t *st = json_deep_copy(json_object_get(c->rec, "State"));
	pthread_mutex_unlock(&s->mu);
	read_exit(eng, c->id, rdir, st);
	bool autorm =
	    json_is_true(json_object_get(json_object_get(c->rec, "HostConfig"), "AutoRemove"));
	/* An AutoRemove container's rootfs is unmounted by its removal, after the container is
	 * gone (the unmount waits for an RCU grace period: not in docker run --rm's wait) */
	bool rm_now = autorm && !c->gone;
	struct err e = ERR_INIT;
	if (!rm_now && rootfs_unmount(cdir, &e) < 0)
		log_warn("container %.12s: %s", c->id, e.msg);
	container_volumes_release(eng, c->rec);
	container_net_stop(eng, c, rdir);
	pthread_mutex_lock(&s->mu);
	json_object_set(c->rec, "State", st);
	container_set_state(c, "exited");
	json_object_set_new(st, "Pid", json_integer(0));
	c->monitor = 0;
	c->last_exit = (int)json_integer_value(json_object_get(st, "ExitCode"));
	c->exits++;
	char code[16];
	int clen = snprintf(code, sizeof(code), "%d", c->last_exit);
	/* restarting from this very moment on, as dockerd's SetRestarting: never seen exited */
	int64_t delay = autorm ? -1 : container_restart_delay(c);
	if (delay >= 0) {
		json_object_set_new(st, "Restarting", json_true());
		json_object_set_new(st, "Status", json_string("restarting"));
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	/* An AutoRemove container's record is removed right away, not saved first: a crash
	 * before the removal finds it running with its monitor gone at the next start, and its
	 * exit is handled (and the container removed) then, from exit.json */
	if (!rm_now)
		exit_record(eng, c, rdir);
	if (!oom_published && json_is_true(json_object_get(st, "OOMKilled")))
		container_emit(eng, c, "oom", NULL);
	container_emit(eng, c, "die", json_pack("{s:s%}", "exitCode", code, (size_t)clen));
	if (rm_now && container_destroy(eng, c, NULL) < 0) {
		rootfs_unmount(cdir, NULL);
		exit_record(eng, c, rdir);
	}
	container_unlock_busy(eng, c);
	if (delay >= 0)
		container_restart_after(eng, c, delay);
}

/* An OOM kill while running: State.OOMKilled and the event, as dockerd on containerd's. */
static bool container_oom_event(struct engine *eng, struct container *c)
{
	struct container_store *s = eng->containers;
	container_lock_busy(eng, c); /* the record changes: busy and the mutex */
	pthread_mutex_lock(&s->mu);
	bool live = !s->closing && !c->gone;
	if (live)
		json_object_set_new(json_object_get(c->rec, "State"), "OOMKilled", json_true());
	pthread_mutex_unlock(&s->mu);
	container_unlock_busy(eng, c);
	if (live)
		container_emit(eng, c, "oom", NULL);
	return live;
}

static void *watch_thread(void *p)
{
	struct watch *w = p;
	struct container_store *s = w->eng->containers;
	struct container_oom oom;
	container_oom_open(w->eng, w->c->id, &oom);
	bool oom_published = false;
	/* a kill before the watch began (a hog is quick): the cgroup is the container's alone,
	 * so any count is its own; one the record already has was published before */
	pthread_mutex_lock(&s->mu);
	bool known =
	    json_is_true(json_object_get(json_object_get(w->c->rec, "State"), "OOMKilled"));
	pthread_mutex_unlock(&s->mu);
	if (oom.fd >= 0 && oom.count > 0 && !known)
		oom_published = container_oom_event(w->eng, w->c);
	for (;;) {
		struct pollfd pfd[3] = {
		    {w->pidfd, POLLIN, 0}, {s->stop_fd, POLLIN, 0}, {oom.fd, POLLIN, 0}};
		int r = poll(pfd, oom.fd >= 0 ? 3 : 2, container_oom_timeout(&oom));
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && (pfd[0].revents || pfd[1].revents))
			break;
		bool check = r == 0 || (r > 0 && pfd[2].revents);
		if (check && container_oom_fired(&oom, r > 0))
			oom_published |= container_oom_event(w->eng, w->c);
	}
	container_oom_close(&oom);
	close(w->pidfd);
	pthread_mutex_lock(&s->mu);
	bool closing = s->closing;
	pthread_mutex_unlock(&s->mu);
	if (!closing)
		handle_exit(w->eng, w->c, oom_published);
	container_put(w->eng, w->c);
	free(w);
	cstore_watcher_done(s);
	return NULL;
}

void container_watch(struct engine *eng, struct container *c)
{
	struct container_store *s = eng->containers;
	if (!cstore_watcher_add(s))
		return; /* shutting down: the next daemon start watches it */
	pthread_mutex_lock(&s->mu);
	pid_t pid = c->monitor;
	c->refs++;
	pthread_mutex_unlock(&s->mu);
	int fd = pid > 0 ? pidfd_open_(pid) : -1;
	struct watch *w = xcalloc(1, sizeof(*w));
	*w = (struct watch){eng, c, pid, fd};
	if (fd < 0) {
		/* already gone (or no pid file): handled on a thread all the same, since the
		 * caller holds busy */
		w->pidfd = eventfd(1, EFD_CLOEXEC);
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_t t;
	if (pthread_create(&t, &attr, watch_thread, w) != 0) {
		log_error("container %.12s: cannot start its watcher thread", c->id);
		close(w->pidfd);
		container_put(eng, c);
		free(w);
		cstore_watcher_done(s);
	}
	pthread_attr_destroy(&attr);
}

int container_destroy(struct engine *eng, struct container *c, struct err *e)
{
	struct container_store *s = eng->containers;
	_cleanup_free_ char *cdir = container_dir(eng, c->id);
	_cleanup_free_ char *rdir = container_run_dir(eng, c->id);
	_cleanup_free_ char *tmp =
	    str_printf("%s/containers/" STORE_TMP_PREFIX "rm-%s", eng->root, c->id);
	/* renamed with its rootfs still mounted (when the exit left that to us): the mount
	 * moves along, and is taken off once the container is gone; a crash meanwhile leaves it
	 * to the next start (container_store_open unmounts what is under a .tmp- directory) */
	if (rename(cdir, tmp) < 0 && errno != ENOENT)
		return err_sys(e, "remove container %.12s: rename %s", c->id, cdir);
	container_net_stop(eng, c, rdir);
	fs_rm_rf(rdir, NULL);
	pthread_mutex_lock(&s->mu);
	cstore_drop_locked(s, c);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	container_volumes_removed(
	    eng, c->rec,
	    c->rm_volumes ||
		json_is_true(json_object_get(json_object_get(c->rec, "HostConfig"), "AutoRemove")));
	container_attach_release(eng, c);
	container_emit(eng, c, "destroy", NULL);
	/* the rootfs and the files last: the container is gone once renamed (waits for its
	 * removal end meanwhile); a crash leaves the .tmp-rm directory to the next start */
	struct err le = ERR_INIT;
	if (rootfs_unmount(tmp, &le) < 0 || fs_rm_rf(tmp, &le) < 0)
		log_warn("container %.12s: %s", c->id, le.msg);
	return 0;
}

static bool is_monitor(pid_t pid)
{
	_cleanup_free_ char *path = str_printf("/proc/%d/cmdline", (int)pid);
	_cleanup_free_ char *cmd = fs_read_file(path, NULL, NULL);
	return cmd && str_has_suffix(cmd, "berth-monitor");
}

void container_recover(struct engine *eng, struct container *c)
{
	_cleanup_free_ char *cdir = container_dir(eng, c->id);
	_cleanup_free_ char *rdir = container_run_dir(eng, c->id);
	if (!container_running(c)) {
		container_recover_orphan(eng, c->id, rdir); /* a start the daemon died in */
		rootfs_unmount(cdir, NULL);
		container_net_stop(eng, c, rdir);
		fs_rm_rf(rdir, NULL);
		return;
	}
	_cleanup_free_ char *pidpath = str_printf("%s/monitor.pid", rdir);
	_cleanup_free_ char *s = fs_read_file(pidpath, NULL, NULL);
	int pid = 0;
	if (s && str_to_int(s, &pid, "pid", NULL) == 0 && pid > 0 && is_monitor(pid))
		c->monitor = pid;
	if (!container_paused(c))
		container_recover_thaw(eng, c->id); /* a commit's pause the daemon died in */
	container_net_restore(eng, c, rdir);
	container_watch(eng, c); /* a monitor already gone is handled at once */
	container_health_start(eng, c);
}
