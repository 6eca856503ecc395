/* proc: the last steps of a container process before exec (rlimits, oom score, then seccomp,
 * capabilities, user and groups, umask, no_new_privs); PATH and user lookup; hooks. */
#ifndef BERTH_RUNTIME_PROC_H
#define BERTH_RUNTIME_PROC_H

#include <stdbool.h>

#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "util/err.h"

int proc_set_rlimits(const struct spec_process *p, struct err *e);
int proc_set_oom_score_adj(const struct spec_process *p, struct err *e);
/* Everything from user switch to seccomp, for a process already inside the container
 * (after pivot_root). seccomp may be NULL. On success the caller just execs. In runc's order:
 * seccomp first if !noNewPrivileges (it needs CAP_SYS_ADMIN), bounding set, keep-caps,
 * stdio chowned to the user (not /dev/null), groups (skipped when setgroups is "deny"),
 * gid, uid, parent-death signal restored, caps and ambient caps, umask (0022 if unset),
 * no_new_privs, then seccomp last if noNewPrivileges. cwd is the caller's (runc's chdir
 * before and, on EACCES, after this). Absent process.capabilities drops all, as runc. */
int proc_finalize(const struct spec_process *p, struct seccomp_filter *seccomp, struct err *e);
/* Resolves args[0] against PATH from env (the container's), as runc does (Go's LookPath: no
 * PATH searches nothing; then an eaccess(X_OK) check, best done after proc_finalize so it
 * runs as the container user); Go's error texts ("exec: \"x\": executable file not found in
 * $PATH"); malloc'd. */
char *proc_find_exec(const char *arg0, char *const *env, struct err *e);
/* Looks up a user "name|uid[:group|gid]" in the container's /etc/passwd and /etc/group
 * (paths relative to the current root), filling uid, gid and additional gids. */
int proc_lookup_user(const char *spec, struct spec_user *u, struct err *e);
/* The parsing behind proc_lookup_user (runc's GetExecUser): passwd and group are the files'
 * contents, NULL when absent. Numeric ids need not be listed, names must; supplementary gids
 * come from group membership only when no group is given. u->additional_gids (NULL or
 * malloc'd) is replaced. */
int proc_user_resolve(const char *spec, const char *passwd, const char *group, struct spec_user *u,
		      struct err *e);
/* The home directory of uid in passwd contents, "/" when not listed; malloc'd. */
char *proc_passwd_home(const char *passwd, uid_t uid);
/* As runc: adds HOME (from the current root's /etc/passwd) to *env when it has none. */
void proc_env_default_home(char ***env, uid_t uid);

/* Runs hooks in order, each with state_json on stdin; a failing or timed-out hook is an
 * error naming it. As runc, the hook's stdout and stderr are captured (first 1 KiB of each)
 * for the error message ("error running hook #1: error running hook /x: exit status 2,
 * stdout: ..., stderr: ...") and dropped on success; env NULL inherits ours. */
int hooks_run(const struct spec_hook *hooks, size_t n, const char *state_json, struct err *e);

#endif
