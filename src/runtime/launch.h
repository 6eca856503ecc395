/* launch: starting a process inside a container: the container's init (new namespaces,
 * root filesystem, hooks) or an exec'd process (joining an existing container's ones). */
#ifndef BERTH_RUNTIME_LAUNCH_H
#define BERTH_RUNTIME_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "util/err.h"

struct launch {
	const struct spec *spec;	 /* the container's config */
	const struct spec_process *proc; /* what to run */
	struct seccomp_filter *seccomp;	 /* may be NULL */
	struct cgroup *cg;		 /* joined before any namespace is entered */
	char *const *sub_cgroups;	 /* exec --cgroup "[ctl[,ctl]:]path" specs, or NULL */
	const char *id, *bundle;	 /* for hook state */
	bool is_exec;			 /* join join_pid's namespaces instead of creating */
	pid_t join_pid;
	bool no_pivot, no_new_keyring;
	int fifo_fd;	  /* init: O_PATH fd of exec.fifo to block on until start */
	bool start_now;	  /* init: don't wait for start (run creates and starts in one go) */
	int preserve_fds; /* fds 3..3+n-1 stay open in the container */

	int *mount_fds;		    /* stage 1 (user namespace): bind sources opened early */
	bool oom_done;		    /* stage 1 set oom_score_adj (before a user namespace hid it) */
	bool netns_late;	    /* direct init: gets a new network namespace after the clone */
	struct launch_netns *netns; /* its maker, started early (NULL: the init makes it) */
	bool netns_by_msg;	    /* the maker's namespace comes with SYNC_CGROUP_DIRS */
	bool self_join;		    /* direct init, v1/hybrid host: joins its v1 cgroups itself */
	/* Create cg's directories, then configure them (limits, device rules); each called
	 * once, before cg is joined; may be NULL. Late joins call them after forking, so
	 * the work overlaps the child's own setup, and tell the child after each step. */
	int (*cgroup_prepare)(void *arg, struct err *e);
	int (*cgroup_configure)(void *arg, struct err *e);
	void *cgroup_arg;

	/* outputs */
	pid_t pid;   /* the container process, in our pid namespace */
	int console; /* pty master when proc->terminal, else -1 */
	int sync_fd; /* exec: still open; EOF means the exec succeeded */
};

/* Brings lo up in the current network namespace. */
int launch_loopback_up(struct err *e);
/* A new network namespace for the calling process, with lo up (runc's "loopback"). */
int launch_netns_new(struct err *e);
/* The same made by a task of its own while the caller goes on (launch_netns.c); finish
 * waits for it and returns its fd (or -1 with e set); release finishes and closes it. Every
 * start needs a release before m goes out of scope (the task shares our memory). */
struct launch_netns {
	pid_t pid;
	void *stack;
	int fd, errnum;
	const char *what;
};
int launch_netns_start(struct launch_netns *m, struct err *e);
int launch_netns_finish(struct launch_netns *m, struct err *e);
void launch_netns_release(struct launch_netns *m);
/* Whether a create of s takes the direct launch with a new network namespace, which an
 * early maker can then provide. */
bool launch_netns_early(const struct spec *s);

/* Whether the init joins its cgroup late, while it prepares its root (see launch.c). */
bool launch_late_cgroup(const struct launch *l);
/* Whether the init must stop for the runtime's prestart/createRuntime hooks or needs its
 * pid for createContainer hooks. */
bool launch_hooks_sync(const struct launch *l);

/* Forks, sets the process up and returns once it is ready (init: waiting for start;
 * exec: about to execve). On failure nothing of the process is left. */
int launch_process(struct launch *l, struct err *e);
/* exec: waits for the execve to happen (EOF) or an error reported by the child. */
int launch_wait_exec(struct launch *l, struct err *e);
/* The OCI state JSON that hooks get on stdin. */
char *launch_hook_state(const char *id, const char *bundle, const json_t *annotations, pid_t pid,
			const char *status);

#endif
