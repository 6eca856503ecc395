/* launch_child: stage 1 (namespaces) and stage 2 (container setup, exec). */
#include "runtime/launch_child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/proc.h"
#include "runtime/rootfs.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/str.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

__attribute__((noreturn)) static void die(int fd, struct err *e)
{
	sync_send_error(fd, e);
	_exit(1);
}

static void reset_signals(void)
{
	sigset_t all;
	sigemptyset(&all);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static const char *const ns_files[NS_COUNT] = {
    [NS_PID] = "pid", [NS_NET] = "net",	  [NS_IPC] = "ipc",	  [NS_UTS] = "uts",
    [NS_MNT] = "mnt", [NS_USER] = "user", [NS_CGROUP] = "cgroup", [NS_TIME] = "time",
};

/* Same namespace as ours? Joining our own user namespace is EINVAL, so skip those. */
static bool ns_is_ours(int fd, enum ns_type t)
{
	struct stat a, b;
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_files[t]);
	return fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

void launch_reset_signals(void)
{
	reset_signals();
}

/* Whether the namespace behind fd belongs to another user namespace than userfd's. */
static bool owned_elsewhere(int fd, int userfd)
{
	if (userfd < 0)
		return false;
	_cleanup_close_ int owner = ioctl(fd, NS_GET_USERNS);
	struct stat a, b;
	return owner >= 0 && fstat(owner, &a) == 0 && fstat(userfd, &b) == 0 &&
	       (a.st_ino != b.st_ino || a.st_dev != b.st_dev);
}

/* Opens every namespace to join before entering any: paths may vanish after setns. */
static int join_namespaces(struct launch *l, struct err *e)
{
	int fds[NS_COUNT];
	for (int t = 0; t < NS_COUNT; t++) {
		fds[t] = -1;
		const char *path = NULL;
		_cleanup_free_ char *tmp = NULL;
		if (l->is_exec) {
			tmp = str_printf("/proc/%d/ns/%s", (int)l->join_pid, ns_files[t]);
			path = tmp;
		} else if (l->spec->ns[t].enabled) {
			path = l->spec->ns[t].path;
		}
		if (!path)
			continue;
		fds[t] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[t] < 0) {
			if (l->is_exec && errno == ENOENT)
				continue;
			return err_sys(e, "open namespace %s", path);
		}
		if (ns_is_ours(fds[t], (enum ns_type)t)) {
			close(fds[t]);
			fds[t] = -1;
		}
	}
	/* The user namespace first: it owns the others. One it does not own (the network
	 * namespace the daemon made for a --userns-remap container, joined by an exec) is
	 * joined before it, while the caller still has its privileges there. */
	static const enum ns_type order[] = {NS_USER, NS_IPC,	 NS_UTS,  NS_NET,
					     NS_PID,  NS_CGROUP, NS_TIME, NS_MNT};
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
			int t = order[i];
			if (fds[t] < 0 ||
			    (pass == 0 && (t == NS_USER || !owned_elsewhere(fds[t], fds[NS_USER]))))
				continue;
			if (setns(fds[t], spec_ns_clone_flag((enum ns_type)t)) < 0)
				return err_sys(e, "join %s namespace",
					       spec_ns_name((enum ns_type)t));
			/* as runc: root of a joined user namespace, not the host's root that it
			 * can't map (an exec's /dev/console then failed with EOVERFLOW) */
			if (t == NS_USER && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
				return err_sys(e, "become root in the user namespace");
			close(fds[t]);
			fds[t] = -1;
		}
	}
	return 0;
}

static int new_namespaces(struct launch *l, int fd, struct err *e)
{
	const struct spec *s = l->spec;
	if (s->ns[NS_USER].enabled && !s->ns[NS_USER].path) {
		struct sync_msg m;
		if (unshare(CLONE_NEWUSER) < 0)
			return err_sys(e, "create user namespace");
		if (sync_send(fd, SYNC_USERMAP, 0, e) < 0 ||
		    sync_expect(fd, SYNC_USERMAP_ACK, &m, e) < 0)
			return -1;
	}
	if (s->ns[NS_USER].enabled) {
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return err_sys(e, "become root in the user namespace");
	}
	int flags = 0;
	for (int t = 0; t < NS_COUNT; t++)
		if (t != NS_USER && s->ns[t].enabled && !s->ns[t].path)
			flags |= spec_ns_clone_flag((enum ns_type)t);
	if (flags && unshare(flags) < 0)
		return err_sys(e, "create namespaces");
	if ((flags & CLONE_NEWNET) && launch_loopback_up(e) < 0)
		return -1;
	return 0;
}

void launch_stage1(struct launch *l, int fd)
{
	struct err e = ERR_INIT;
	struct sync_msg m;
	reset_signals();
	if (!launch_late_cgroup(l) && sync_expect(fd, SYNC_GO, &m, &e) < 0)
		_exit(1);
	/* The debug texts runc's nsexec prints; its conformance tests look for them. */
	log_debug("nsexec container setup");
	/* Bind sources must be opened while we may still reach them (runc's mountFds). */
	if (!l->is_exec && l->spec->ns[NS_USER].enabled)
		l->mount_fds = rootfs_open_mount_sources(l->spec);
	/* runc's nsexec too: in a user namespace /proc/self/oom_score_adj belongs to the host's
	 * root (the process is not dumpable), so it is set here and inherited (an exec has no
	 * spec: it joins the container's namespaces, a user namespace among them maybe) */
	if (l->is_exec || l->spec->ns[NS_USER].enabled) {
		if (proc_set_oom_score_adj(l->proc, &e) < 0)
			die(fd, &e);
		l->oom_done = true;
	}
	if (join_namespaces(l, &e) < 0)
		die(fd, &e);
	if (!l->is_exec && new_namespaces(l, fd, &e) < 0)
		die(fd, &e);
	pid_t pid = fork();
	if (pid < 0) {
		err_sys(&e, "fork container process");
		die(fd, &e);
	}
	if (pid == 0)
		launch_stage2(l, fd);
	if (sync_send(fd, SYNC_PID, pid, &e) < 0)
		_exit(1);
	_exit(0);
}

static int hook_in_container(struct launch *l, enum hook_kind k, pid_t pid, struct err *e)
{
	const struct spec_hooks *h = &l->spec->hooks;
	if (!h->n[k])
		return 0;
	_cleanup_free_ char *st =
	    launch_hook_state(l->id, l->bundle, l->spec->annotations, pid,
			      k == HOOK_START_CONTAINER ? "created" : "creating");
	if (hooks_run(h->list[k], h->n[k], st, e) < 0)
		return err_wrap(e, "%s hook",
				k == HOOK_START_CONTAINER ? "startContainer" : "createContainer");
	return 0;
}

/* The direct init's new network namespace when there is no early maker: one of its own
 * (the maker's comes with SYNC_CGROUP_DIRS, see wait_cgroup_dirs). */
static int join_new_netns(struct launch *l, struct err *e)
{
	if (!l->netns_late || l->netns_by_msg)
		return 0;
	return launch_netns_new(e);
}

static int setup_identity(struct launch *l, struct err *e)
{
	const struct spec *s = l->spec;
	if (!l->no_new_keyring)
		syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	if (s->hostname && s->ns[NS_UTS].enabled &&
	    sethostname(s->hostname, strlen(s->hostname)) < 0)
		return err_sys(e, "set hostname %s", s->hostname);
	if (s->domainname && s->ns[NS_UTS].enabled &&
	    setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return err_sys(e, "set domainname %s", s->domainname);
	return 0;
}

struct cgroup_wait {
	int fd;
	bool dirs;  /* CGROUP_DIRS received (or not to come: no late join) */
	bool netns; /* the early maker's network namespace comes with it */
};

/* rootfs_opts.cgroup_ready and netns_ready: SYNC_CGROUP_DIRS, usually queued by the time
 * it's needed, and the network namespace that comes with it joined. */
static int wait_cgroup_dirs(void *arg, struct err *e)
{
	struct cgroup_wait *w = arg;
	struct sync_msg m;
	if (w->dirs)
		return 0;
	w->dirs = true;
	int nsfd = -1;
	if (sync_expect_fd(w->fd, SYNC_CGROUP_DIRS, &m, w->netns ? &nsfd : NULL, e) < 0)
		return -1;
	if (!w->netns)
		return 0;
	if (nsfd < 0)
		return err_set(e, ERR_INTERNAL, EPROTO, "no network namespace from the runtime");
	int r = setns(nsfd, CLONE_NEWNET) < 0 ? err_sys(e, "join the new network namespace") : 0;
	close(nsfd);
	return r;
}

/* After the root's mounts: the directories (at the latest), then SYNC_CGROUP_MADE, sent
 * once the limits and device rules are written, before the cgroup is joined. */
static int wait_cgroup_made(struct launch *l, struct cgroup_wait *w, struct err *e)
{
	struct sync_msg m;
	if (!launch_late_cgroup(l))
		return 0;
	if (wait_cgroup_dirs(w, e) < 0)
		return -1;
	return sync_expect(w->fd, SYNC_CGROUP_MADE, &m, e);
}

/* SYNC_CGROUP_DONE: the parent moves the init into its cgroup while it sets up its root
 * (each cgroup.procs write is slow); it must be in before anything of the container runs:
 * before the createContainer hooks when there are any (before_hooks), else before its
 * credentials, capabilities and seccomp filter are set, the last steps before exec. With
 * self_join the process joined on CGROUP_MADE, before its root was pivoted. */
static int wait_cgroup_done(struct launch *l, int fd, bool before_hooks, struct err *e)
{
	struct sync_msg m;
	if (l->is_exec || l->self_join || !launch_late_cgroup(l) ||
	    launch_hooks_sync(l) != before_hooks)
		return 0;
	return sync_expect(fd, SYNC_CGROUP_DONE, &m, e);
}

/* Init only: mounts, hooks around them, pivot_root, console, final mount fixes. */
static int setup_rootfs(struct launch *l, int fd, struct err *e)
{
	const struct spec *s = l->spec;
	struct rootfs_opts ro = {
	    .cgroup = l->cg,
	    .no_pivot = l->no_pivot,
	    .userns = s->ns[NS_USER].enabled,
	    .new_cgroupns = s->ns[NS_CGROUP].enabled && !s->ns[NS_CGROUP].path,
	    .mount_fds = l->mount_fds,
	};
	struct cgroup_wait w = {.fd = fd, .dirs = !launch_late_cgroup(l), .netns = l->netns_by_msg};
	ro.cgroup_ready = wait_cgroup_dirs;
	ro.cgroup_ready_arg = &w;
	if (w.netns)
		ro.netns_ready = wait_cgroup_dirs;
	struct sync_msg m = {0};
	if (rootfs_prepare(s, &ro, e) < 0)
		return -1;
	if (wait_cgroup_made(l, &w, e) < 0 ||
	    (l->self_join && cgroup_enter_self_v1(l->cg, e) < 0) ||
	    wait_cgroup_done(l, fd, true, e) < 0)
		return -1;
	if (launch_hooks_sync(l)) {
		if (sync_send(fd, SYNC_HOOKS, 0, e) < 0 ||
		    sync_expect(fd, SYNC_HOOKS_ACK, &m, e) < 0)
			return -1;
		if (chdir(s->root_path) < 0)
			return err_sys(e, "chdir %s", s->root_path);
		if (hook_in_container(l, HOOK_CREATE_CONTAINER, m.value, e) < 0)
			return -1;
	}
	return rootfs_pivot(s, &ro, e);
}

static int setup_console(struct launch *l, int fd, struct err *e)
{
	if (!l->proc->terminal)
		return 0;
	_cleanup_close_ int master = -1;
	if (console_setup(l->proc->console_height, l->proc->console_width, &master, e) < 0)
		return err_wrap(e, "set up console");
	return sync_send_fd(fd, SYNC_CONSOLE, master, e);
}

/* seccomp_listener_fn (runc's syncParentSeccomp): the runtime takes the listener with
 * pidfd_getfd and passes it to the agent. Only the fd number travels, by write(2), the one
 * syscall a profile may not notify; the wait for the answer may be notified, as the agent
 * has the listener by then. */
static int send_seccomp_listener(int listener, void *arg, struct err *e)
{
	int fd = *(int *)arg;
	struct sync_msg m = {.type = SYNC_SECCOMP, .value = listener};
	size_t len = offsetof(struct sync_msg, text) + 1;
	ssize_t n;
	do
		n = write(fd, &m, len);
	while (n < 0 && errno == EINTR);
	int r = n == (ssize_t)len ? sync_expect(fd, SYNC_SECCOMP_DONE, &m, e)
				  : err_sys(e, "sync parent seccomp");
	close(listener);
	return r;
}

/* After READY: block until `start` reads the fifo (init only). */
static int wait_for_start(struct launch *l, struct err *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", l->fifo_fd);
	_cleanup_close_ int w = open(path, O_WRONLY | O_CLOEXEC);
	if (w < 0)
		return err_sys(e, "open exec fifo");
	if (write(w, "0", 1) != 1)
		return err_sys(e, "write exec fifo");
	close(l->fifo_fd);
	return 0;
}

void launch_stage2(struct launch *l, int fd)
{
	struct err e = ERR_INIT;
	const struct spec_process *p = l->proc;
	log_debug("child process in init()");
	if (!l->is_exec) {
		/* Before the root's mounts: sysfs shows the mounter's network namespace (the
		 * maker's is joined just before, rootfs_opts.netns_ready). */
		if (join_new_netns(l, &e) < 0 || setup_identity(l, &e) < 0 ||
		    setup_rootfs(l, fd, &e) < 0)
			die(fd, &e);
	}
	if (setup_console(l, fd, &e) < 0)
		die(fd, &e);
	if (!l->is_exec && rootfs_finalize(l->spec, &e) < 0)
		die(fd, &e);
	if (proc_set_rlimits(p, &e) < 0 || (!l->oom_done && proc_set_oom_score_adj(p, &e) < 0))
		die(fd, &e);
	bool cwd_done = chdir(p->cwd ? p->cwd : "/") == 0;
	if (!cwd_done && errno != EACCES && errno != EPERM) {
		err_sys(&e, "chdir to cwd (\"%s\") set in config.json", p->cwd);
		die(fd, &e);
	}
	_cleanup_free_ char *path = proc_find_exec(p->args[0], p->env, &e);
	if (!path)
		die(fd, &e);
	if (wait_cgroup_done(l, fd, false, &e) < 0)
		die(fd, &e);
	syscall(SYS_close_range, 3 + l->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
	seccomp_filter_set_listener_fn(l->seccomp, send_seccomp_listener, &fd);
	if (proc_finalize(p, l->seccomp, &e) < 0)
		die(fd, &e);
	if (!cwd_done && chdir(p->cwd) < 0) {
		err_sys(&e, "chdir to cwd (\"%s\") set in config.json", p->cwd);
		die(fd, &e);
	}
	log_debug("%s: about to exec", l->is_exec ? "setns_init" : "standard_init");
	if (!l->is_exec)
		log_debug("init: closing the pipe to signal completion");
	if (sync_send(fd, SYNC_READY, 0, &e) < 0)
		_exit(1);
	if (!l->is_exec) {
		if ((!l->start_now && wait_for_start(l, &e) < 0) ||
		    hook_in_container(l, HOOK_START_CONTAINER, getpid(), &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			_exit(1);
		}
	}
	char **env = strv_copy(p->env);
	proc_env_default_home(&env, p->user.uid);
	execve(path, p->args, env);
	err_sys(&e, "exec %s", path);
	sync_send_error(fd, &e);
	fprintf(stderr, "berth: %s\n", e.msg);
	_exit(127);
}
