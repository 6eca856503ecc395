/* container_run: run (create + start, attached or detached) and exec. */
#include "runtime/container.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/foreground.h"
#include "runtime/launch.h"
#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

int container_run(const struct container_opts *o, int *status, struct err *e)
{
	*status = 0;
	/* One process creates and starts: the init needn't wait for a `start`. */
	if (o->detach)
		return container_create_internal(o, true, true, NULL, NULL, NULL, e);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigset_t old;
	fg_block_signals(&old);
	_cleanup_close_ int console = -1;
	pid_t pid = 0;
	_cleanup_state_ struct container_state *st = NULL;
	if (container_create_internal(o, false, true, &console, &pid, &st, e) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	int r = fg_wait(pid, console, &old, status, e);
	/* The init is reaped (normally): the state create saved needn't be read again. */
	struct err ignore = ERR_INIT;
	if (!o->keep && container_delete_saved(st, &ignore) < 0)
		log_warn("delete %s: %s", o->id, ignore.msg);
	return r;
}

static int exec_check(const struct exec_opts *o, enum container_status st, struct err *e)
{
	if (st == STATUS_STOPPED)
		return err_conflict(e, "cannot exec in a stopped container");
	if (st == STATUS_PAUSED && !o->ignore_paused)
		return err_conflict(e, "cannot exec in a paused container (use --ignore-paused "
				       "to override)");
	if (o->proc->terminal && o->c.detach && !o->c.console_socket)
		return err_invalid(e, "cannot allocate tty if runc will detach without setting "
				      "console socket");
	if (!o->proc->terminal && o->c.console_socket)
		return err_invalid(e, "cannot use console socket if runc will not detach or "
				      "allocate tty");
	return 0;
}

static int exec_launch(const struct exec_opts *o, struct container_state *s, struct launch *l,
		       struct err *e)
{
	json_t *linux_ = json_object_get(s->config, "linux");
	json_t *sc = json_object_get(linux_, "seccomp");
	if (json_is_null(sc))
		sc = NULL;
	l->seccomp = seccomp_filter_compile_cached(sc, "linux.seccomp", o->c.root, e);
	if (!l->seccomp && sc)
		return -1;
	l->cg = state_cgroup(s, e);
	if (!l->cg)
		return -1;
	l->sub_cgroups = o->sub_cgroups;
	int r = launch_process(l, e);
	if (r == 0 && l->console >= 0 && o->c.detach)
		r = console_send(o->c.console_socket, l->console, e);
	if (r == 0 && o->c.pid_file) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", (int)l->pid);
		r = fs_write_atomic(o->c.pid_file, buf, (size_t)n, 0644, e);
	}
	if (r == 0)
		r = launch_wait_exec(l, e);
	if (r < 0 && l->pid > 0)
		kill(l->pid, SIGKILL);
	return r;
}

int container_exec(const struct exec_opts *o, int *status, struct err *e)
{
	enum container_status st;
	*status = 0;
	_cleanup_state_ struct container_state *s = container_load(o->c.root, o->c.id, &st, e);
	if (!s || exec_check(o, st, e) < 0)
		return -1;
	struct launch l = {
	    .proc = o->proc,
	    .id = s->id,
	    .bundle = s->bundle,
	    .is_exec = true,
	    .join_pid = s->pid,
	    .preserve_fds = o->c.preserve_fds,
	};
	sigset_t old;
	if (!o->c.detach) {
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		fg_block_signals(&old);
	}
	int r = exec_launch(o, s, &l, e);
	if (r == 0 && !o->c.detach)
		r = fg_wait(l.pid, l.console, &old, status, e);
	else if (!o->c.detach)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (l.console >= 0)
		close(l.console);
	if (l.sync_fd >= 0)
		close(l.sync_fd);
	seccomp_filter_free(l.seccomp);
	if (l.cg)
		cgroup_free(l.cg);
	return r;
}
