/* engine/container_recover: a container recorded as not running whose start the daemon died
 * in: the monitor it spawned may be alive and the container's process running in its cgroup.
 * Both go (the start's caller got an error, as with dockerd), then the usual cleanup runs. */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "engine/container_recover.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

/* A berth-monitor of this daemon (--runtime-root rt) for container id. */
static bool is_monitor_of(pid_t pid, const char *rt, const char *id)
{
	_cleanup_free_ char *path = str_printf("/proc/%d/cmdline", (int)pid);
	size_t len = 0;
	_cleanup_free_ char *cmd = fs_read_file(path, &len, NULL);
	if (!cmd || !str_has_suffix(cmd, "berth-monitor"))
		return false;
	bool ours = false, it = false;
	for (const char *a = cmd, *prev = ""; a < cmd + len; prev = a, a += strlen(a) + 1) {
		ours = ours || (!strcmp(prev, "--runtime-root") && !strcmp(a, rt));
		it = it || (!strcmp(prev, "--id") && !strcmp(a, id));
	}
	return ours && it;
}

/* SIGKILL, then wait (bounded) for it to be gone: it is not our child. */
static void kill_wait(pid_t pid)
{
	_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 || syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0)
		return;
	struct pollfd p = {fd, POLLIN, 0};
	poll(&p, 1, 5000);
}

/* Its monitors (run and exec) by command line: the pid file may not be written yet. */
static void kill_monitors(const char *rt, const char *id)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid_t pid = atoi(de->d_name);
		if (is_monitor_of(pid, rt, id))
			kill_wait(pid);
	}
	if (d)
		closedir(d);
}

/* A cgroup left without its runtime state (a create killed half-way): emptied, removed. */
static void remove_cgroup(const char *id)
{
	_cleanup_free_ char *path = str_printf("/berth/%s", id);
	struct cgroup *cg = cgroup_new(path, id, false, NULL);
	const struct cgroup_hier *h = NULL;
	size_t n = cg ? cgroup_hierarchies(cg, &h) : 0;
	bool exists = false;
	for (size_t i = 0; i < n && !exists; i++)
		exists = fs_is_dir(h[i].path);
	if (exists) {
		cgroup_kill_all(cg, SIGKILL, NULL);
		/* killed members leave only once reaped by whoever inherited them */
		for (int i = 0; i < 150; i++) {
			pid_t *pids = NULL;
			size_t np = 0;
			int r = cgroup_pids(cg, &pids, &np, NULL);
			free(pids);
			if (r < 0 || np == 0)
				break;
			usleep(20000);
		}
		cgroup_destroy(cg, NULL);
	}
	cgroup_free(cg);
}

/* A cheap first look (a few stats, no mountinfo parsing) for every stopped container. */
static bool cgroup_maybe(const char *id)
{
	static const char *const where[] = {"", "pids/", "memory/", "devices/", "unified/"};
	for (size_t i = 0; i < ARRAY_SIZE(where); i++) {
		_cleanup_free_ char *p = str_printf("/sys/fs/cgroup/%sberth/%s", where[i], id);
		if (fs_exists(p))
			return true;
	}
	return false;
}

void container_recover_orphan(struct engine *eng, const char *id, const char *rdir)
{
	_cleanup_free_ char *rt = container_runtime_root(eng);
	_cleanup_free_ char *state = str_printf("%s/%s", rt, id);
	if (fs_exists(rdir) || fs_exists(state))
		kill_monitors(rt, id); /* a clean stop leaves neither: no scan then */
	if (fs_exists(state)) {
		container_kill(rt, id, SIGKILL, true, NULL);
		struct err e = ERR_INIT;
		for (int i = 0;
		     i < 100 && container_delete(rt, id, true, &e) < 0 && e.kind != ERR_NOT_FOUND;
		     i++) {
			err_clear(&e);
			usleep(10000);
		}
		if (fs_exists(state))
			fs_rm_rf(state, NULL); /* a state directory without a state.json */
	}
	if (cgroup_maybe(id))
		remove_cgroup(id);
}

void container_recover_unrecorded(struct engine *eng, const char *id)
{
	_cleanup_free_ char *cdir = container_dir(eng, id);
	_cleanup_free_ char *rdir = container_run_dir(eng, id);
	_cleanup_free_ char *tmp =
	    str_printf("%s/containers/" STORE_TMP_PREFIX "rm-%s", eng->root, id);
	container_recover_orphan(eng, id, rdir);
	rootfs_unmount(cdir, NULL);
	/* renamed first: a crash while removing leaves a temporary, never a half directory */
	if (rename(cdir, tmp) == 0)
		fs_rm_rf(tmp, NULL);
	fs_rm_rf(rdir, NULL);
}

void container_recover_thaw(struct engine *eng, const char *id)
{
	_cleanup_free_ char *rt = container_runtime_root(eng);
	container_pause(rt, id, false, NULL); /* an error: it was not frozen */
}
