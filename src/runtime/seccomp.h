/* seccomp: compiles linux.seccomp of an OCI config into a libseccomp filter and loads it.
 * Compile early (errors surface before the container starts), load last before exec. */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H

#include <jansson.h>

#include "util/err.h"

struct seccomp_filter;

/* Validates and compiles; NULL j gives NULL without error. ctx names the field in errors. */
struct seccomp_filter *seccomp_filter_compile(const json_t *j, const char *ctx, struct err *e);
/* Loads into the calling thread (and with TSYNC where needed). */
int seccomp_filter_load(struct seccomp_filter *f, struct err *e);
void seccomp_filter_free(struct seccomp_filter *f);

#endif
