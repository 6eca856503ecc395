/* proc_priv: the steps proc_finalize() is made of, shared between the proc_*.c files
 * (capability sets, identity switch); not for use outside them. */
#ifndef BERTH_RUNTIME_PROC_PRIV_H
#define BERTH_RUNTIME_PROC_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/spec.h"
#include "util/err.h"

/* The highest capability number the kernel knows. */
int proc_cap_last(void);
/* Drops every capability not in keep from the bounding set. */
int proc_caps_drop_bounding(uint64_t keep, struct err *e);
/* Sets effective, permitted and inheritable, then raises the ambient ones. */
int proc_caps_apply(const struct spec_caps *caps, struct err *e);
/* stdio ownership, supplementary groups, gid and uid, in runc's order. */
int proc_user_switch(const struct spec_user *u, struct err *e);
/* strerror as Go spells it, in lower case ("no such file or directory"): runc's error texts
 * carry Go's wording and docker maps exec failures to exit codes 126/127 by it. */
void proc_go_strerror(int errnum, char *buf, size_t size);

#endif
