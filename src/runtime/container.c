/* container: create/start/delete/kill/pause of runtime containers. */
#include "runtime/container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/launch.h"
#include "runtime/proc.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

struct container_state *container_load(const char *root, const char *id, enum container_status *st,
				       struct err *e)
{
	struct container_state *s = state_load(root, id, e);
	if (s && st)
		*st = state_status(s);
	return s;
}

static int write_pid_file(const char *path, pid_t pid, struct err *e)
{
	if (!path)
		return 0;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	return fs_write_atomic(path, buf, (size_t)n, 0644, e);
}

static int check_console_flags(const struct spec_process *p, const struct container_opts *o,
			       bool detached, struct err *e)
{
	if (p->terminal && detached && !o->console_socket)
		return err_invalid(e, "cannot allocate tty if runc will detach without setting "
				      "console socket");
	if (!p->terminal && o->console_socket)
		return err_invalid(e, "cannot use console socket if runc will not detach or "
				      "allocate tty");
	return 0;
}

static int make_state_dir(const struct container_opts *o, char **dir, struct err *e)
{
	if (!id_valid_runtime(o->id))
		return err_invalid(e, "invalid id format: %s", o->id);
	if (fs_mkdir_p(o->root, 0700, e) < 0)
		return -1;
	_cleanup_free_ char *d = path_join(o->root, o->id);
	if (mkdir(d, 0711) < 0) {
		if (errno == EEXIST)
			return err_conflict(e, "container with id exists: %s", o->id);
		return err_sys(e, "create state directory %s", d);
	}
	*dir = TAKE_PTR(d);
	return 0;
}

/* Everything a failed create must undo, in one place. */
struct create_ctx {
	char *dir;
	struct cgroup *cg;
	pid_t pid;
};

static void create_rollback(struct create_ctx *c)
{
	struct err ignore = ERR_INIT;
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		for (int i = 0; i < 1000 && kill(c->pid, 0) == 0; i++) {
			bool dead;
			state_pid_start(c->pid, &dead);
			if (dead)
				break;
			usleep(1000);
		}
	}
	/* Only the directories create made (cgroup_open_unified's too) are removed. */
	if (c->cg)
		cgroup_undo_create(c->cg, &ignore);
	if (c->dir)
		fs_rm_rf(c->dir, &ignore);
}

static int prepare_fifo(const char *dir, int *fd, struct err *e)
{
	_cleanup_free_ char *fifo = path_join(dir, EXEC_FIFO);
	mode_t old = umask(0);
	int r = mkfifo(fifo, 0622);
	umask(old);
	if (r < 0)
		return err_sys(e, "create %s", fifo);
	*fd = open(fifo, O_PATH | O_CLOEXEC);
	if (*fd < 0)
		return err_sys(e, "open %s", fifo);
	return 0;
}

/* A frozen cgroup would hang the container's setup; a populated one is shared. */
static int check_cgroup_usable(struct cgroup *cg, struct err *e)
{
	struct err tmp = ERR_INIT;
	if (cgroup_is_frozen(cg, &tmp) == 1)
		return err_conflict(e, "container's cgroup unexpectedly frozen");
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (cgroup_pids(cg, &pids, &n, &tmp) == 0 && n > 0)
		log_warn("container's cgroup is not empty: %zu process(es) found", n);
	return 0;
}

struct cgroup_job {
	struct create_ctx *c;
	const struct spec *s;
};

/* launch calls this when the cgroup is needed (overlapping the child's setup). */
static int create_cgroup(void *arg, struct err *e)
{
	struct cgroup_job *j = arg;
	return cgroup_create(j->c->cg, e);
}

static int configure_cgroup(void *arg, struct err *e)
{
	struct cgroup_job *j = arg;
	if (!cgroup_is_fresh(j->c->cg) && check_cgroup_usable(j->c->cg, e) < 0)
		return -1;
	return cgroup_apply_spec(j->c->cg, j->s, e);
}

/* run: the process is started already (it didn't wait for `start`). */
static int run_poststart(const struct spec *s, const struct launch *l, pid_t pid, struct err *e)
{
	const struct spec_hooks *h = &s->hooks;
	if (!h->n[HOOK_POSTSTART])
		return 0;
	_cleanup_free_ char *st =
	    launch_hook_state(l->id, l->bundle, s->annotations, pid, "running");
	if (hooks_run(h->list[HOOK_POSTSTART], h->n[HOOK_POSTSTART], st, e) < 0)
		return err_wrap(e, "poststart hook");
	return 0;
}

static int save_new_state(const struct container_opts *o, const struct spec *s,
			  struct create_ctx *c, struct container_state **out, struct err *e)
{
	_cleanup_state_ struct container_state *st = state_new();
	bool dead;
	_cleanup_free_ char *bundle = realpath(o->bundle, NULL);
	st->root = str_dup(o->root);
	st->dir = str_dup(c->dir);
	st->id = str_dup(o->id);
	st->pid = c->pid;
	st->pid_start = state_pid_start(c->pid, &dead);
	st->bundle = str_dup(bundle ? bundle : o->bundle);
	st->rootfs = str_dup(s->root_path);
	st->created = state_now_rfc3339();
	st->owner = str_dup("");
	st->config = json_incref(s->json);
	st->cgroup = cgroup_to_json(c->cg);
	st->userns = s->ns[NS_USER].enabled;
	if (state_save(st, e) < 0)
		return -1;
	if (out)
		*out = TAKE_PTR(st);
	return 0;
}

/* Creates the container; with console_out the pty master is returned instead of being
 * sent to the console socket (foreground run). */
int container_create_internal(const struct container_opts *o, bool detached, bool start_now,
			      int *console_out, pid_t *pid_out, struct container_state **state_out,
			      struct err *e)
{
	_cleanup_spec_ struct spec *s = spec_load(o->bundle, e);
	if (!s)
		return -1;
	if (check_console_flags(&s->process, o, detached, e) < 0 || rootfs_validate(s, e) < 0)
		return -1;
	/* The new netns is made meanwhile (launch_direct_process); without a maker the
	 * container process makes it. Released on every path below. */
	struct launch_netns nm;
	struct err ignore = ERR_INIT;
	bool maker = launch_netns_early(s) && launch_netns_start(&nm, &ignore) == 0;
	struct seccomp_filter *sf =
	    seccomp_filter_compile_cached(s->seccomp, "linux.seccomp", o->root, e);
	if (!sf && s->seccomp) {
		if (maker)
			launch_netns_release(&nm);
		return -1;
	}
	struct create_ctx c = {0};
	_cleanup_close_ int fifo = -1;
	_cleanup_free_ char *bundle = realpath(o->bundle, NULL);
	struct launch l = {
	    .spec = s,
	    .proc = &s->process,
	    .seccomp = sf,
	    .id = o->id,
	    .bundle = bundle ? bundle : o->bundle,
	    .no_pivot = o->no_pivot,
	    .no_new_keyring = o->no_new_keyring,
	    .preserve_fds = o->preserve_fds,
	    .netns = maker ? &nm : NULL,
	};
	int r = make_state_dir(o, &c.dir, e);
	if (r == 0 && !(c.cg = cgroup_new(s->cgroups_path, o->id, o->systemd_cgroup, e)))
		r = -1;
	if (r == 0 && !start_now)
		r = prepare_fifo(c.dir, &fifo, e);
	struct cgroup_job job = {.c = &c, .s = s};
	if (r == 0) {
		l.cg = c.cg;
		l.cgroup_prepare = create_cgroup;
		l.cgroup_configure = configure_cgroup;
		l.cgroup_arg = &job;
		l.fifo_fd = fifo;
		l.start_now = start_now;
		r = launch_process(&l, e);
		c.pid = l.pid;
	}
	if (r == 0 && l.console >= 0) {
		if (console_out)
			*console_out = TAKE_FD(l.console);
		else
			r = console_send(o->console_socket, l.console, e);
	}
	if (l.console >= 0)
		close(l.console);
	if (l.sync_fd >= 0)
		close(l.sync_fd);
	_cleanup_state_ struct container_state *saved = NULL;
	if (r == 0)
		r = save_new_state(o, s, &c, state_out ? &saved : NULL, e);
	if (r == 0)
		r = write_pid_file(o->pid_file, c.pid, e);
	if (r == 0 && start_now)
		r = run_poststart(s, &l, c.pid, e);
	if (r == 0 && pid_out)
		*pid_out = c.pid;
	if (r == 0 && state_out)
		*state_out = TAKE_PTR(saved);
	if (maker)
		launch_netns_release(&nm);
	if (r < 0)
		create_rollback(&c);
	seccomp_filter_free(sf);
	if (c.cg)
		cgroup_free(c.cg);
	free(c.dir);
	return r;
}

int container_create(const struct container_opts *o, struct err *e)
{
	return container_create_internal(o, true, false, NULL, NULL, NULL, e);
}
