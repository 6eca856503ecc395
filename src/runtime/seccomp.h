/* seccomp: compiles linux.seccomp of an OCI config into a libseccomp filter and loads it.
 * Compile early (errors surface before the container starts), load last before exec. */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/err.h"

struct seccomp_filter;

/* Validates and compiles; NULL j gives NULL without error. ctx names the field in errors. */
struct seccomp_filter *seccomp_filter_compile(const json_t *j, const char *ctx, struct err *e);
/* The same, through a cache of compiled filters in cache_dir (the runtime's root; NULL:
 * no cache): an entry is used only for the very same profile on the same kernel. */
struct seccomp_filter *seccomp_filter_compile_cached(const json_t *j, const char *ctx,
						     const char *cache_dir, struct err *e);
/* Loads into the calling thread (and with TSYNC where needed). */
int seccomp_filter_load(struct seccomp_filter *f, struct err *e);
void seccomp_filter_free(struct seccomp_filter *f);

/* SCMP_ACT_NOTIFY (runc's seccomp agent protocol). Loading such a filter creates a listener
 * fd; the container process hands it to the runtime, which sends it to the agent at
 * linux.seccomp.listenerPath. The profile can't notify write(2) (the hand-over uses it) and
 * can't have NOTIFY as default action. */
bool seccomp_filter_notifies(const struct seccomp_filter *f);
/* Called by seccomp_filter_load right after loading, with the listener fd (fn owns it):
 * nothing else runs in between, since the caller's next syscalls may already wait for the
 * agent. Without fn the listener is closed (notified syscalls then fail with ENOSYS). */
typedef int (*seccomp_listener_fn)(int listener, void *arg, struct err *e);
void seccomp_filter_set_listener_fn(struct seccomp_filter *f, seccomp_listener_fn fn, void *arg);
/* Connects to the agent (listenerPath; "@name" is an abstract socket) and sends, in one
 * message with listener attached, the container process state: ociVersion, fds
 * ["seccompFd"], pid (the process the filter is in), metadata (listenerMetadata), state
 * (the container's OCI state, as hooks get it). */
int seccomp_agent_send(const struct seccomp_filter *f, int listener, pid_t pid, const json_t *state,
		       struct err *e);

#endif
