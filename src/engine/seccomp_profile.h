/* engine/seccomp_profile: Docker-format seccomp profiles (archMap, includes/excludes by arch,
 * capability and kernel version) resolved into linux.seccomp of an OCI config, as moby does. */
#ifndef BERTH_ENGINE_SECCOMP_PROFILE_H
#define BERTH_ENGINE_SECCOMP_PROFILE_H

#include <jansson.h>

#include "util/err.h"

/* Docker's default profile (moby profiles/seccomp/default.json), as JSON text. */
extern const char seccomp_default_profile[];

/* profile: Docker-format JSON text (NULL: the default); caps: the container's bounding set.
 * *out is the OCI linux.seccomp object, or NULL when the profile disables seccomp (no
 * default action and no rules). */
int seccomp_profile_resolve(const char *profile, char *const *caps, json_t **out, struct err *e);
/* The same checks without a container (create time): the text parses as a profile. */
int seccomp_profile_check(const char *profile, struct err *e);

#endif
