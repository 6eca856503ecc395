/* launch: the parent side of starting a container process, and stage 1 (namespaces).
 * Stage 1 is a plain fork that joins or creates namespaces and forks the real process
 * (which must be a child to land in a new pid namespace); see launch_child.c. */
#include "runtime/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/launch_child.h"
#include "runtime/proc.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static json_t *hook_state(const char *id, const char *bundle, const json_t *annotations, pid_t pid,
			  const char *status)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s}", "ociVersion", "1.0.2-dev", "id", id,
			      "status", status, "pid", (json_int_t)pid, "bundle", bundle);
	if (json_is_object(annotations))
		json_object_set(j, "annotations", (json_t *)annotations);
	return j;
}

char *launch_hook_state(const char *id, const char *bundle, const json_t *annotations, pid_t pid,
			const char *status)
{
	_cleanup_json_ json_t *j = hook_state(id, bundle, annotations, pid, status);
	return jx_dumps(j);
}

static int write_id_map(pid_t pid, const char *file, const struct spec_id_map *m, size_t n,
			struct err *e)
{
	if (n == 0)
		return 0;
	_cleanup_free_ char *buf = xcalloc(n, 64);
	size_t off = 0;
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, 64, "%u %u %u\n", m[i].container_id,
					m[i].host_id, m[i].size);
	_cleanup_free_ char *path = str_printf("/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "open %s", path);
	if (write(fd, buf, off) != (ssize_t)off)
		return err_sys(e, "write %s", path);
	return 0;
}

static int run_parent_hooks(struct launch *l, pid_t pid, struct err *e)
{
	const struct spec_hooks *h = &l->spec->hooks;
	if (!h->n[HOOK_PRESTART] && !h->n[HOOK_CREATE_RUNTIME])
		return 0;
	_cleanup_free_ char *st =
	    launch_hook_state(l->id, l->bundle, l->spec->annotations, pid, "creating");
	if (hooks_run(h->list[HOOK_PRESTART], h->n[HOOK_PRESTART], st, e) < 0)
		return err_wrap(e, "prestart hook");
	if (hooks_run(h->list[HOOK_CREATE_RUNTIME], h->n[HOOK_CREATE_RUNTIME], st, e) < 0)
		return err_wrap(e, "createRuntime hook");
	return 0;
}

/* Moving a process between cgroups waits for an RCU grace period (the kernel's
 * threadgroup rwsem), a millisecond or more. Without a new cgroup namespace (which must be
 * created inside the cgroup) the init is moved instead of stage 1, while it prepares its
 * root filesystem; it waits for SYNC_CGROUP_DONE before anything of the container's runs.
 * Each wait for another process costs a cross-CPU wake-up, so messages the other side
 * only needs later are sent unasked (GO is not needed then at all). */
bool launch_late_cgroup(const struct launch *l)
{
	if (!l->cg || l->is_exec)
		return false;
	const struct spec_namespace *cns = &l->spec->ns[NS_CGROUP];
	return !(cns->enabled && !cns->path);
}

/* No stage 1 when nothing is joined by path and no user or time namespace is made: one
 * clone() creates the namespaces and the container process at once. */
static bool launch_direct(const struct launch *l)
{
	if (!launch_late_cgroup(l))
		return false;
	for (int t = 0; t < NS_COUNT; t++)
		if (l->spec->ns[t].enabled && (l->spec->ns[t].path || t == NS_USER || t == NS_TIME))
			return false;
	return true;
}

static int clone_flags(const struct launch *l)
{
	int flags = 0;
	for (int t = 0; t < NS_COUNT; t++)
		if (l->spec->ns[t].enabled)
			flags |= spec_ns_clone_flag((enum ns_type)t);
	return flags;
}

/* Creates the cgroup's directories and, with announce, tells the process (CGROUP_DIRS,
 * which its cgroup mount waits for), then configures them. The early maker's network
 * namespace comes with that message (netns_by_msg): the process was cloned without
 * waiting for it and joins it before it mounts sysfs. */
static int make_cgroup(struct launch *l, int fd, bool announce, struct err *e)
{
	if (l->cgroup_prepare && l->cgroup_prepare(l->cgroup_arg, e) < 0)
		return -1;
	l->cgroup_prepare = NULL;
	if (announce && !l->netns_by_msg && sync_send(fd, SYNC_CGROUP_DIRS, 0, e) < 0)
		return -1;
	if (announce && l->netns_by_msg) {
		int nsfd = launch_netns_finish(l->netns, e);
		if (nsfd < 0 || sync_send_fd(fd, SYNC_CGROUP_DIRS, nsfd, e) < 0)
			return -1;
	}
	if (l->cgroup_configure && l->cgroup_configure(l->cgroup_arg, e) < 0)
		return -1;
	l->cgroup_configure = NULL;
	return 0;
}

/* Direct launch on a v1/hybrid host (cgroup_open_unified): the init joins its v1 cgroups
 * itself on CGROUP_MADE; the unified one is ours to join only when clone3 could not. */
static int prepare_for_self_join(struct launch *l, pid_t pid, bool unified_left, int fd,
				 struct err *e)
{
	if (make_cgroup(l, fd, true, e) < 0)
		return -1;
	if (unified_left && cgroup_enter_unified(l->cg, pid, e) < 0)
		return err_wrap(e, "join cgroup");
	return sync_send(fd, SYNC_CGROUP_MADE, 0, e);
}

static int prepare_and_join(struct launch *l, pid_t pid, bool announce, int fd, struct err *e)
{
	if (make_cgroup(l, fd, announce, e) < 0)
		return -1;
	if (announce && sync_send(fd, SYNC_CGROUP_MADE, 0, e) < 0)
		return -1;
	if (cgroup_enter(l->cg, pid, e) < 0)
		return err_wrap(e, "join cgroup");
	return announce ? sync_send(fd, SYNC_CGROUP_DONE, pid, e) : 0;
}

bool launch_hooks_sync(const struct launch *l)
{
	const struct spec_hooks *h = &l->spec->hooks;
	return !l->is_exec &&
	       (h->n[HOOK_PRESTART] || h->n[HOOK_CREATE_RUNTIME] || h->n[HOOK_CREATE_CONTAINER]);
}

static int got_pid(struct launch *l, pid_t pid, int fd, struct err *e)
{
	l->pid = pid;
	/* Late join (see launch_process): the init is setting up its root meanwhile; it can't
	 * pass SYNC_HOOKS before we answer it. */
	if (launch_late_cgroup(l) && prepare_and_join(l, l->pid, true, fd, e) < 0)
		return -1;
	return 0;
}

/* SYNC_SECCOMP: the container process's listener (child_fd there) goes to the seccomp
 * agent, then the process may go on. The state is the one runc sends: an init is
 * "creating", an exec'd process joins a "running" container (whose config launch doesn't
 * have: no annotations then). */
static int forward_seccomp_listener(struct launch *l, int fd, int child_fd, struct err *e)
{
	struct sync_msg m;
	/* Staged: stage 1 sends SYNC_PID right after its fork; the process now waits for us. */
	if (!l->pid && (sync_expect(fd, SYNC_PID, &m, e) < 0 || got_pid(l, m.value, fd, e) < 0))
		return -1;
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, l->pid, 0);
	if (pidfd < 0)
		return err_sys(e, "seccomp listener: pidfd_open %d", (int)l->pid);
	_cleanup_close_ int listener = (int)syscall(SYS_pidfd_getfd, pidfd, child_fd, 0);
	if (listener < 0)
		return err_sys(e, "seccomp listener: pidfd_getfd");
	_cleanup_json_ json_t *st =
	    l->is_exec ? hook_state(l->id, l->bundle, NULL, l->join_pid, "running")
		       : hook_state(l->id, l->bundle, l->spec->annotations, l->pid, "creating");
	if (seccomp_agent_send(l->seccomp, listener, l->pid, st, e) < 0)
		return -1;
	return sync_send(fd, SYNC_SECCOMP_DONE, 0, e);
}

/* Answers the child's requests until it is ready. */
static int parent_converse(struct launch *l, int fd, pid_t stage1, struct err *e)
{
	for (;;) {
		struct sync_msg m;
		int passfd = -1;
		if (sync_recv(fd, &m, &passfd, e) < 0)
			return -1;
		switch (m.type) {
		case SYNC_USERMAP:
			if (write_id_map(stage1, "uid_map", l->spec->uid_mappings,
					 l->spec->n_uid_mappings, e) < 0 ||
			    write_id_map(stage1, "gid_map", l->spec->gid_mappings,
					 l->spec->n_gid_mappings, e) < 0)
				return -1;
			if (sync_send(fd, SYNC_USERMAP_ACK, 0, e) < 0)
				return -1;
			break;
		case SYNC_PID:
			if (got_pid(l, m.value, fd, e) < 0)
				return -1;
			break;
		case SYNC_SECCOMP:
			if (forward_seccomp_listener(l, fd, m.value, e) < 0)
				return -1;
			break;
		case SYNC_HOOKS:
			if (run_parent_hooks(l, l->pid, e) < 0)
				return -1;
			if (sync_send(fd, SYNC_HOOKS_ACK, l->pid, e) < 0)
				return -1;
			break;
		case SYNC_CONSOLE:
			if (l->console >= 0)
				close(l->console);
			l->console = passfd;
			break;
		case SYNC_READY:
			/* Staged: the process may get here before stage 1 (which forked it)
			 * has sent its pid: that message is still to come. */
			if (!l->pid && (sync_expect(fd, SYNC_PID, &m, e) < 0 ||
					got_pid(l, m.value, fd, e) < 0))
				return -1;
			return 0;
		case SYNC_ERROR:
			return err_set(e, m.value ? (enum err_kind)m.value : ERR_INTERNAL, 0, "%s",
				       m.text);
		default:
			if (passfd >= 0)
				close(passfd);
			return err_set(e, ERR_INTERNAL, EPROTO, "unexpected message %u", m.type);
		}
	}
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* clone3 into the unified hierarchy (cgfd) when there is one; *unified_left tells that the
 * process is not in it yet. */
static pid_t clone_container(int flags, int cgfd, bool *unified_left)
{
	*unified_left = cgfd >= 0;
	if (cgfd >= 0) {
		struct clone_args ca = {.flags = (uint64_t)flags | CLONE_INTO_CGROUP,
					.exit_signal = SIGCHLD,
					.cgroup = (uint64_t)cgfd};
		pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid >= 0) {
			*unified_left = false;
			return pid;
		}
		/* An older kernel, or a unified hierarchy that refuses: join it the slow way
		 * (which reports a refusal as before, naming the cgroup.procs file). */
		if (errno != ENOSYS && errno != EINVAL && errno != E2BIG && errno != EOPNOTSUPP &&
		    errno != EBUSY && errno != EPERM && errno != EACCES)
			return -1;
	}
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
}

/* The common case: the parent clones the container process straight into its new
 * namespaces, all but a new network namespace: making one costs ~0.4 ms (sysctl tables,
 * the loopback device), which a task started as soon as create has read the config
 * spends meanwhile (l->netns), or else the process itself while the parent creates its
 * cgroup. The clone doesn't wait for the maker: its namespace goes to the process with
 * CGROUP_DIRS, which the process needs anyway before its sysfs and cgroup mounts, so the
 * process's first mounts, our cgroup directories and the namespace are made at once.
 * Cgroups: see cgroup_open_unified (docs/design.md, "Runtime"). */
static int launch_direct_process(struct launch *l, int fd, int child_fd, struct err *e)
{
	int flags = clone_flags(l);
	l->netns_late = (flags & CLONE_NEWNET) != 0;
	flags &= ~CLONE_NEWNET;
	l->netns_by_msg = l->netns_late && l->netns;
	l->self_join = cgroup_mode(l->cg) != CGROUP_MODE_V2;
	int cgfd = -1;
	if (l->self_join && cgroup_open_unified(l->cg, &cgfd, e) < 0)
		return -1;
	bool unified_left;
	pid_t pid = clone_container(flags, cgfd, &unified_left);
	if (pid < 0) {
		err_sys(e, "clone container process");
		if (cgfd >= 0)
			close(cgfd);
		return -1;
	}
	if (pid == 0) {
		close(fd);
		if (cgfd >= 0)
			close(cgfd);
		launch_reset_signals();
		log_debug("nsexec container setup");
		launch_stage2(l, child_fd);
	}
	if (cgfd >= 0)
		close(cgfd);
	l->pid = pid;
	int r = l->self_join ? prepare_for_self_join(l, pid, unified_left, fd, e)
			     : prepare_and_join(l, pid, true, fd, e);
	if (r == 0)
		r = parent_converse(l, fd, 0, e);
	if (r < 0) {
		kill(pid, SIGKILL);
		reap(pid);
	}
	return r;
}

static int launch_staged_process(struct launch *l, int fd, int child_fd, struct err *e)
{
	pid_t stage1 = fork();
	if (stage1 < 0)
		return err_sys(e, "fork");
	if (stage1 == 0) {
		close(fd);
		launch_stage1(l, child_fd);
	}
	int r = 0;
	if (l->is_exec && l->cg)
		r = cgroup_enter_exec(l->cg, stage1, l->join_pid, l->sub_cgroups, e);
	else if (l->cg && !launch_late_cgroup(l))
		r = prepare_and_join(l, stage1, false, fd, e);
	if (r == 0 && !launch_late_cgroup(l))
		r = sync_send(fd, SYNC_GO, 0, e);
	if (r == 0)
		r = parent_converse(l, fd, stage1, e);
	if (r < 0 && l->pid > 0)
		kill(l->pid, SIGKILL);
	if (r < 0)
		kill(stage1, SIGKILL);
	reap(stage1);
	return r;
}

int launch_process(struct launch *l, struct err *e)
{
	int sp[2];
	l->pid = 0;
	l->console = -1;
	l->sync_fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return err_sys(e, "socketpair");
	_cleanup_close_ int fd = sp[0];
	log_debug("%s: starting %s process", l->id, l->is_exec ? "exec" : "init");
	int r = launch_direct(l) ? launch_direct_process(l, fd, sp[1], e)
				 : launch_staged_process(l, fd, sp[1], e);
	close(sp[1]);
	if (r < 0) {
		if (l->console >= 0)
			close(l->console);
		l->console = -1;
		return -1;
	}
	l->sync_fd = TAKE_FD(fd);
	return 0;
}

int launch_wait_exec(struct launch *l, struct err *e)
{
	struct sync_msg m;
	struct err ignore = ERR_INIT;
	int fd = TAKE_FD(l->sync_fd);
	int r = sync_recv(fd, &m, NULL, &ignore);
	close(fd);
	if (r < 0)
		return 0; /* EOF: execve closed the socket */
	if (m.type == SYNC_ERROR)
		return err_set(e, m.value ? (enum err_kind)m.value : ERR_INTERNAL, 0, "%s", m.text);
	return 0;
}
