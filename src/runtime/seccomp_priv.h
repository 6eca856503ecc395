/* seccomp_priv: what seccomp.c shares with seccomp_bpf.c: the compiled filter (a final cBPF
 * program) and the post-processing of libseccomp's output (export, the -ENOSYS stub). */
#ifndef BERTH_RUNTIME_SECCOMP_PRIV_H
#define BERTH_RUNTIME_SECCOMP_PRIV_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/seccomp.h"
#include "util/err.h"

struct seccomp_filter {
	struct sock_filter *prog; /* NULL: seccomp disabled (empty profile), load is a no-op */
	size_t len;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* passed to seccomp(2) */
	/* SCMP_ACT_NOTIFY rules: flags has NEW_LISTENER; the agent's socket and metadata */
	bool notify;
	char *listener_path, *listener_metadata;
	seccomp_listener_fn listener_fn; /* NULL: the listener is closed after loading */
	void *listener_arg;
};

/* The largest syscall number (>= 0) the profile names on one architecture. */
struct seccomp_arch_max {
	uint32_t arch; /* SCMP_ARCH_* token */
	int max_nr;    /* 0: none known, the arch gets no stub */
};

/* libseccomp's program for ctx, copied into memory. */
int seccomp_bpf_export(scmp_filter_ctx ctx, struct sock_filter **prog, size_t *len, struct err *e);
/* Prepends a stub that answers ENOSYS for syscalls numbered above the largest one the
 * profile names on the calling architecture (runc's patchbpf): a newer libc then falls
 * back to older syscalls instead of failing with the profile's default errno. */
int seccomp_bpf_prepend_enosys(struct sock_filter **prog, size_t *len,
			       const struct seccomp_arch_max *archs, size_t n, struct err *e);

#endif
