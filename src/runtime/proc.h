/* proc: the last steps of a container process before exec, in order: rlimits, oom score,
 * user and groups, capabilities, no_new_privs, seccomp, umask; PATH lookup; hooks. */
#ifndef BERTH_RUNTIME_PROC_H
#define BERTH_RUNTIME_PROC_H

#include <stdbool.h>

#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "util/err.h"

int proc_set_rlimits(const struct spec_process *p, struct err *e);
int proc_set_oom_score_adj(const struct spec_process *p, struct err *e);
/* Everything from user switch to seccomp, for a process already inside the container
 * (after pivot_root). seccomp may be NULL. On success the caller just execs. */
int proc_finalize(const struct spec_process *p, struct seccomp_filter *seccomp, struct err *e);
/* Resolves args[0] against PATH from env (the container's), as runc does; malloc'd. */
char *proc_find_exec(const char *arg0, char *const *env, struct err *e);
/* Looks up a user "name|uid[:group|gid]" in the container's /etc/passwd and /etc/group
 * (paths relative to the current root), filling uid, gid and additional gids. */
int proc_lookup_user(const char *spec, struct spec_user *u, struct err *e);

/* Runs hooks in order, each with state_json on stdin; a failing or timed-out hook is an
 * error naming it. */
int hooks_run(const struct spec_hook *hooks, size_t n, const char *state_json, struct err *e);

#endif
