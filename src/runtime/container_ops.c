/* container_ops: start, kill, delete, pause/resume and hooks read back from the record. */
#include "runtime/container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/launch.h"
#include "runtime/proc.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static const char *const hook_names[HOOK_KIND_COUNT] = {
    [HOOK_POSTSTART] = "poststart",
    [HOOK_POSTSTOP] = "poststop",
};

/* Hooks from the config as it was at create: the bundle may have changed since. */
static int run_stored_hooks(const struct container_state *s, enum hook_kind k, const char *status,
			    struct err *e)
{
	struct spec_hooks h = {0};
	int r = spec_hooks_parse(json_object_get(s->config, "hooks"), &h, e);
	if (r == 0 && h.n[k] > 0) {
		json_t *ann = json_object_get(s->config, "annotations");
		_cleanup_free_ char *st = launch_hook_state(s->id, s->bundle, ann, s->pid, status);
		r = hooks_run(h.list[k], h.n[k], st, e);
		if (r < 0)
			err_wrap(e, "%s hook", hook_names[k]);
	}
	spec_hooks_release(&h);
	return r;
}

/* Waits for pid to be gone (or a zombie), up to ms milliseconds. */
static bool wait_gone(pid_t pid, uint64_t start, int ms)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (int i = 0; i < ms; i++) {
		bool dead;
		uint64_t st = state_pid_start(pid, &dead);
		if (dead || (start && st != start)) {
			if (pfd >= 0)
				close(pfd);
			return true;
		}
		if (pfd >= 0) {
			struct pollfd p = {.fd = pfd, .events = POLLIN};
			poll(&p, 1, 1);
		} else {
			usleep(1000);
		}
	}
	if (pfd >= 0)
		close(pfd);
	return false;
}

int container_start(const char *root, const char *id, struct err *e)
{
	enum container_status st;
	_cleanup_state_ struct container_state *s = container_load(root, id, &st, e);
	if (!s)
		return -1;
	if (st == STATUS_STOPPED)
		return err_conflict(e, "cannot start a container that has stopped");
	if (st != STATUS_CREATED)
		return err_conflict(e, "cannot start an already running container");
	_cleanup_free_ char *fifo = path_join(s->dir, EXEC_FIFO);
	_cleanup_close_ int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "open exec fifo for %s", id);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, 10);
		char c;
		if (r > 0 && read(fd, &c, 1) == 1)
			break;
		bool dead;
		uint64_t now = state_pid_start(s->pid, &dead);
		if (dead || now != s->pid_start)
			return err_set(e, ERR_CONFLICT, 0,
				       "cannot start a container that has stopped");
	}
	unlink(fifo);
	if (run_stored_hooks(s, HOOK_POSTSTART, "running", e) < 0) {
		kill(s->pid, SIGKILL);
		return -1;
	}
	return 0;
}

int container_kill(const char *root, const char *id, int sig, bool all, struct err *e)
{
	enum container_status st;
	_cleanup_state_ struct container_state *s = container_load(root, id, &st, e);
	if (!s)
		return -1;
	if (st == STATUS_STOPPED && !all)
		return err_conflict(e, "container not running");
	if (all) {
		struct cgroup *cg = state_cgroup(s, e);
		if (!cg)
			return -1;
		int r = cgroup_kill_all(cg, sig, e);
		cgroup_free(cg);
		return r;
	}
	if (kill(s->pid, sig) < 0)
		return err_sys(e, "kill container %s", id);
	return 0;
}

/* Whether the container has a pid namespace of its own: then its init's death took every
 * process of the container with it. */
static bool own_pid_namespace(const struct container_state *s)
{
	json_t *nss = json_object_get(json_object_get(s->config, "linux"), "namespaces");
	size_t i;
	json_t *ns;
	json_array_foreach (nss, i, ns) {
		if (str_eq(json_string_value(json_object_get(ns, "type")), "pid"))
			return !json_is_string(json_object_get(ns, "path"));
	}
	return false;
}

/* The container's init is dead (or was never started) when this runs. */
static int destroy(struct container_state *s, struct err *e)
{
	struct err tmp = ERR_INIT;
	struct cgroup *cg = s->cgroup ? state_cgroup(s, &tmp) : NULL;
	if (cg) {
		/* Leftovers are possible without a pid namespace; freezing costs, so look first. */
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		if (!own_pid_namespace(s) && (cgroup_pids(cg, &pids, &n, &tmp) < 0 || n > 0))
			cgroup_kill_all(cg, SIGKILL, &tmp);
		if (cgroup_destroy(cg, &tmp) < 0)
			log_warn("%s", tmp.msg);
		cgroup_free(cg);
	}
	if (run_stored_hooks(s, HOOK_POSTSTOP, "stopped", &tmp) < 0)
		log_warn("%s", tmp.msg);
	return fs_rm_rf(s->dir, e);
}

/* A state directory without state.json is what a create killed half-way leaves; as runc,
 * delete removes it, and only --force makes that a success. */
static int delete_leftover(const char *root, const char *id)
{
	if (!id_valid_runtime(id))
		return -1;
	_cleanup_free_ char *dir = path_join(root, id);
	struct err ignore = ERR_INIT;
	return fs_is_dir(dir) ? fs_rm_rf(dir, &ignore) : -1;
}

int container_delete(const char *root, const char *id, bool force, struct err *e)
{
	enum container_status st;
	_cleanup_state_ struct container_state *s = container_load(root, id, &st, e);
	if (!s) {
		if (e->kind != ERR_NOT_FOUND || delete_leftover(root, id) < 0 || !force)
			return -1;
		err_clear(e);
		return 0;
	}
	if (st == STATUS_RUNNING || st == STATUS_PAUSED) {
		if (!force)
			return err_conflict(e, "cannot delete container %s that is not stopped: %s",
					    id, state_status_name(st));
	}
	if (st != STATUS_STOPPED) {
		struct err tmp = ERR_INIT;
		struct cgroup *cg = state_cgroup(s, &tmp);
		if (cg) {
			cgroup_kill_all(cg, SIGKILL, &tmp);
			cgroup_free(cg);
		}
		kill(s->pid, SIGKILL);
		if (!wait_gone(s->pid, s->pid_start, 10000))
			return err_set(e, ERR_INTERNAL, 0, "container %s did not die", id);
	}
	return destroy(s, e);
}

int container_delete_saved(struct container_state *s, struct err *e)
{
	_cleanup_free_ char *file = path_join(s->dir, STATE_FILE);
	if (!fs_exists(file))
		return 0;
	if (state_status(s) != STATUS_STOPPED)
		return container_delete(s->root, s->id, true, e);
	return destroy(s, e);
}

int container_pause(const char *root, const char *id, bool pause, struct err *e)
{
	enum container_status st;
	_cleanup_state_ struct container_state *s = container_load(root, id, &st, e);
	if (!s)
		return -1;
	if (pause && st != STATUS_RUNNING && st != STATUS_CREATED)
		return err_conflict(e, "container not running");
	if (!pause && st != STATUS_PAUSED)
		return err_conflict(e, "container not paused");
	struct cgroup *cg = state_cgroup(s, e);
	if (!cg)
		return -1;
	int r = cgroup_freeze(cg, pause, e);
	cgroup_free(cg);
	return r;
}
