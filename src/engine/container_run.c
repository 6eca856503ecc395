/* engine/container_run: starting a container (rootfs, config.json, berth-monitor with a
 * ready pipe) and its exit path (the monitor's end noticed through a pidfd, exit.json read,
 * rootfs unmounted, die event, AutoRemove); recovery of containers after a daemon restart. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/container_health.h"
#include "engine/container_mounts.h"
#include "engine/container_priv.h"
#include "engine/container_restart.h"
#include "engine/ocispec.h"
#include "engine/userns.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static char **monitor_argv(struct engine *eng, const json_t *rec, const char *rdir)
{
	const json_t *cfg = json_object_get(rec, "Config");
	const json_t *lc = json_object_get(json_object_get(rec, "HostConfig"), "LogConfig");
	const json_t *lopt = json_object_get(lc, "Config");
	char **argv = NULL;
	strv_push_take(&argv, container_monitor_bin());
	strv_push(&argv, "run");
	strv_push(&argv, "--runtime-root");
	strv_push_take(&argv, container_runtime_root(eng));
	strv_push(&argv, "--id");
	strv_push(&argv, json_string_value(json_object_get(rec, "Id")));
	strv_push(&argv, "--bundle");
	strv_push(&argv, rdir);
	strv_push(&argv, "--state-dir");
	strv_push(&argv, rdir);
	if (json_is_true(json_object_get(cfg, "Tty")))
		strv_push(&argv, "--tty");
	if (json_is_true(json_object_get(cfg, "OpenStdin")))
		strv_push(&argv, "--stdin");
	if (json_is_true(json_object_get(cfg, "StdinOnce")))
		strv_push(&argv, "--stdin-once");
	if (str_eq(json_string_value(json_object_get(lc, "Type")), "json-file")) {
		strv_push(&argv, "--log-path");
		strv_push(&argv, json_string_value(json_object_get(rec, "LogPath")));
		const char *ms = json_string_value(json_object_get(lopt, "max-size"));
		const char *mf = json_string_value(json_object_get(lopt, "max-file"));
		if (ms) {
			strv_push(&argv, "--log-max-size");
			strv_push(&argv, ms);
		}
		if (mf) {
			strv_push(&argv, "--log-max-file");
			strv_push(&argv, mf);
		}
	}
	strv_push(&argv, "--ready-fd");
	strv_push(&argv, "3");
	strv_push(&argv, "--attach-fd");
	strv_push(&argv, "4");
	strv_push(&argv, "--control-fd");
	strv_push(&argv, "5");
	return argv;
}

static json_t *read_ready(int fd)
{
	char buf[4096];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (len += (size_t)n) == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	return len ? json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
}

static int write_bundle(struct engine *eng, struct container *c, const char *cdir, const char *rdir,
			struct err *e)
{
	_cleanup_free_ char *merged = str_printf("%s/merged", cdir);
	const json_t *cfg = json_object_get(c->rec, "Config");
	const json_t *hc = json_object_get(c->rec, "HostConfig");
	_cleanup_free_ char *netns = NULL;
	struct ocispec_input in = {.rec = c->rec, .rootfs = merged, .cdir = cdir};
	if (container_net_start(eng, c, rdir, &netns, e) < 0)
		return -1;
	in.netns = netns;
	gid_t *gids = NULL;
	if (rootfs_write_etc(c->rec, cdir, e) < 0 || container_net_write_etc(eng, c, cdir, e) < 0 ||
	    engine_userns_prepare(eng, c->rec, cdir, e) < 0 ||
	    rootfs_make_workdir(merged, json_string_value(json_object_get(cfg, "WorkingDir")), e) <
		0 ||
	    ocispec_user(merged, json_string_value(json_object_get(cfg, "User")),
			 json_object_get(hc, "GroupAdd"), &in.uid, &in.gid, &gids, &in.ngids,
			 e) < 0) {
		free(gids);
		return -1;
	}
	in.gids = gids;
	in.have_cgroupns = fs_exists("/proc/self/ns/cgroup");
	in.swap_ok = cgroup_host_mode() == CGROUP_MODE_V2 ||
		     fs_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
	_cleanup_json_ json_t *spec = ocispec_build(&in, e);
	free(gids);
	if (!spec)
		return -1;
	container_net_link_env(eng, c, spec);
	engine_userns_apply(eng, hc, spec);
	/* the bundle is in the run dir (a tmpfs) and made again at every start: no fsync */
	_cleanup_free_ char *path = str_printf("%s/config.json", rdir);
	_cleanup_free_ char *text = jx_dumps(spec);
	return fs_write_replace(path, text, strlen(text), 0600, e);
}

/* The start error as dockerd words it; 400 when the command can't run (the CLI maps the
 * text to 126/127), else 500. */
static int start_failed(struct engine *eng, struct container *c, const char *msg, int code,
			struct err *e)
{
	/* under the store's lock: lists and inspects copy the record meanwhile (the Error
	 * string replaced here was freed under a concurrent copy: found by the load test) */
	pthread_mutex_lock(&eng->containers->mu);
	json_t *st = json_object_get(c->rec, "State");
	json_object_set_new(st, "Error", json_string(msg));
	json_object_set_new(st, "ExitCode", json_integer(code));
	c->last_exit = code;
	pthread_mutex_unlock(&eng->containers->mu);
	err_set(e, code == 126 || code == 127 ? ERR_INVALID : ERR_INTERNAL, 0,
		"failed to create task for container: failed to create shim task: OCI runtime "
		"create failed: runc create failed: unable to start container process: %s: "
		"unknown",
		msg);
	return -1;
}

static pid_t read_pid_file(const char *rdir)
{
	_cleanup_free_ char *path = str_printf("%s/monitor.pid", rdir);
	_cleanup_free_ char *s = fs_read_file(path, NULL, NULL);
	int pid = 0;
	if (!s || str_to_int(s, &pid, "pid", NULL) < 0)
		return 0;
	return pid;
}

static void set_running(json_t *st, json_t *pid)
{
	json_object_set(st, "Pid", pid);
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	json_object_set_new(st, "StartedAt", json_string(now));
	json_object_set_new(st, "ExitCode", json_integer(0));
	json_object_set_new(st, "Error", json_string(""));
	json_object_set_new(st, "OOMKilled", json_false());
}

/* The running state made durable while the monitor starts the process, rather than after
 * (its fsyncs were on docker run's path): a daemon killed before the ready line finds the
 * container running at its next start, and its monitor (alive: adopted; gone: exit.json, or
 * 137). A failed start saves the failure over it. */
static void save_running(struct engine *eng, struct container *c)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	_cleanup_json_ json_t *rec = json_deep_copy(c->rec);
	pthread_mutex_unlock(&s->mu);
	json_t *st = json_object_get(rec, "State");
	json_object_set_new(st, "Status", json_string("running"));
	json_object_set_new(st, "Running", json_true());
	json_object_set_new(st, "Paused", json_false());
	json_object_set_new(st, "Dead", json_false());
	_cleanup_json_ json_t *zero = json_integer(0);
	set_running(st, zero);
	container_save_rec(eng, c->id, rec, true, NULL);
}

static int start_monitor(struct engine *eng, struct container *c, const char *rdir, struct err *e)
{
	_cleanup_strv_ char **argv = monitor_argv(eng, c->rec, rdir);
	/* the log exists before the monitor appends to it: parked attaches open it at once */
	const char *lp = json_string_value(json_object_get(c->rec, "LogPath"));
	int lfd = lp ? open(lp, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640) : -1;
	if (lfd >= 0)
		close(lfd);
	/* parked attaches (docker run's) are connected to the sockets made here before the
	 * monitor runs: it accepts them before the process starts, so they miss nothing */
	struct monitor_socks ms;
	if (container_monitor_listen(rdir, &ms, e) < 0)
		return start_failed(eng, c, e->msg, 125, e);
	container_attach_pending(eng, c, rdir);
	pid_t first = 0;
	int fd = container_monitor_spawn(argv, &ms, &first, e);
	container_monitor_socks_close(&ms);
	if (fd < 0)
		return start_failed(eng, c, e->msg, 125, e);
	save_running(eng, c);
	json_t *ready = read_ready(fd);
	close(fd);
	container_monitor_reap(first);
	if (!ready || json_object_get(ready, "error")) {
		_cleanup_free_ char *msg =
		    str_dup(ready ? json_string_value(json_object_get(ready, "error"))
				  : "berth-monitor exited without reporting");
		int code =
		    ready ? (int)json_integer_value(json_object_get(ready, "exit_code")) : 125;
		json_decref(ready);
		return start_failed(eng, c, msg ? msg : "unknown error", code ? code : 125, e);
	}
	pid_t mon = read_pid_file(rdir);
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	container_set_state(c, "running");
	set_running(json_object_get(c->rec, "State"), json_object_get(ready, "pid"));
	c->monitor = mon;
	c->stopping = false;
	pthread_mutex_unlock(&s->mu);
	json_decref(ready);
	/* durable already (save_running): the pid and the time are worth no fsync (they mean
	 * nothing after the machine's crash) */
	container_save_rec(eng, c->id, c->rec, false, NULL);
	container_attach_pending(eng, c, rdir); /* any that came meanwhile */
	return 0;
}

/* With busy held. */
int container_start_locked(struct engine *eng, struct container *c, struct err *e)
{
	if (container_paused(c))
		return err_conflict(e, "cannot start a paused container, try unpause instead");
	if (container_running(c))
		return err_set(e, ERR_NOT_MODIFIED, 0, "container already started");
	if (c->removing)
		return err_conflict(e, "container is marked for removal and cannot be started");
	_cleanup_free_ char *cdir = container_dir(eng, c->id);
	_cleanup_free_ char *rdir = container_run_dir(eng, c->id);
	_cleanup_free_ char *stale = str_printf("%s/netns", rdir);
	container_netns_remove(stale);
	fs_rm_rf(rdir, NULL);
	if (fs_mkdir_p(rdir, 0700, e) < 0)
		return -1;
	if (rootfs_mount(eng, c->rec, cdir, e) < 0 ||
	    container_volumes_setup(eng, c->rec, cdir, e) < 0 ||
	    write_bundle(eng, c, cdir, rdir, e) < 0 || start_monitor(eng, c, rdir, e) < 0) {
		pthread_mutex_lock(&eng->containers->mu);
		if (c->rec &&
		    !*json_string_value(json_object_get(json_object_get(c->rec, "State"), "Error")))
			json_object_set_new(json_object_get(c->rec, "State"), "Error",
					    json_string(e->msg));
		pthread_mutex_unlock(&eng->containers->mu);
		rootfs_unmount(cdir, NULL);
		container_volumes_release(eng, c->rec);
		container_net_stop(eng, c, rdir);
		fs_rm_rf(rdir, NULL);
		container_save(eng, c, NULL);
		container_attach_release(eng, c);
		return -1;
	}
	container_watch(eng, c);
	container_health_start(eng, c);
	container_emit(eng, c, "start", NULL);
	return 0;
}

int engine_container_start(struct engine *eng, const char *name, struct err *e)
{
	struct container *c = container_get(eng, name, e);
	if (!c)
		return -1;
	container_lock_busy(eng, c);
	if (!c->gone && !container_running(c)) {
		pthread_mutex_lock(&eng->containers->mu);
		container_restart_mark_locked(c, false);
		pthread_mutex_unlock(&eng->containers->mu);
	}
	int r = c->gone ? err_notfound(e, "No such container: %s", name)
			: container_start_locked(eng, c, e);
	bool autorm =
	    r < 0 && e->kind != ERR_NOT_MODIFIED && !c->gone &&
	    json_is_true(json_object_get(json_object_get(c->rec, "HostConfig"), "AutoRemove"));
	if (autorm)
		container_destroy(eng, c, NULL);
	container_unlock_busy(eng, c);
	container_put(eng, c);
	return r;
}
