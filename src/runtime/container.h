/* container: the runtime's operations on a container by id under a state root:
 * create, start, run, exec, kill, delete, pause/resume, update, and the OCI state. */
#ifndef BERTH_RUNTIME_CONTAINER_H
#define BERTH_RUNTIME_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/spec.h"
#include "runtime/state.h"
#include "util/err.h"

struct container_opts {
	const char *root; /* state root (runc --root) */
	const char *id;
	const char *bundle;
	const char *console_socket;
	const char *pid_file;
	bool no_pivot, no_new_keyring, systemd_cgroup;
	bool detach; /* run/exec: return once started */
	bool keep;   /* run: keep the container after it exits */
	int preserve_fds;
};

int container_create(const struct container_opts *o, struct err *e);
/* create for run: attached (console_out gets the pty master) or detached; with start_now
 * the process doesn't wait for `start` (no exec fifo) and poststart hooks run here;
 * state_out (optional) gets the state it saved. */
int container_create_internal(const struct container_opts *o, bool detached, bool start_now,
			      int *console_out, pid_t *pid_out, struct container_state **state_out,
			      struct err *e);
int container_start(const char *root, const char *id, struct err *e);
/* create + start; in the foreground waits and sets *status to the exit status
 * (128+signal when killed), then deletes the container. */
int container_run(const struct container_opts *o, int *status, struct err *e);
int container_kill(const char *root, const char *id, int sig, bool all, struct err *e);
int container_delete(const char *root, const char *id, bool force, struct err *e);
/* run's forced delete with the state its create saved (s), not read again while the init
 * is gone (else as container_delete); nothing is done when it was deleted meanwhile. */
int container_delete_saved(struct container_state *s, struct err *e);
int container_pause(const char *root, const char *id, bool pause, struct err *e);

struct exec_opts {
	struct container_opts c;   /* root, id, console_socket, pid_file, detach, preserve_fds */
	struct spec_process *proc; /* fully built process (defaults merged by the caller) */
	bool ignore_paused;
	char **sub_cgroups; /* runc exec --cgroup "[ctrl[,ctrl]:]path" (relative); optional */
};
/* Foreground: waits and sets *status; detached: returns once started. */
int container_exec(const struct exec_opts *o, int *status, struct err *e);

/* Loads the state of a container that exists; status filled in. */
struct container_state *container_load(const char *root, const char *id, enum container_status *st,
				       struct err *e);

#endif
