/* seccomp_fuzz: libFuzzer target for `--security-opt seccomp=<profile>`, a Docker-format
 * seccomp profile from the client: resolved for a container's capabilities (archMap,
 * includes/excludes, minKernel) and compiled by the runtime; any bytes give a filter or an
 * ERR_INVALID naming the problem, never a crash, a leak or another kind of error. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/seccomp_profile.h"
#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = str_ndup((const char *)data, size);
	if (strlen(text) != size)
		return 0; /* an option string can't hold a NUL */
	struct err e = ERR_INIT;
	if (seccomp_profile_check(text, &e) < 0 && e.kind != ERR_INVALID)
		abort();
	/* Docker's default capabilities: fewer rules kept than the check's every-cap set */
	char *caps[] = {"CAP_CHOWN", "CAP_SYS_CHROOT", "CAP_KILL", NULL};
	json_t *oci = NULL;
	struct err e2 = ERR_INIT;
	if (seccomp_profile_resolve(text, caps, &oci, &e2) == 0 && oci) {
		/* the runtime's own error kinds are its business: no crash, no leak */
		struct err e3 = ERR_INIT;
		seccomp_filter_free(seccomp_filter_compile(oci, "fuzz", &e3));
		json_decref(oci);
	} else if (e2.kind != ERR_NONE && e2.kind != ERR_INVALID) {
		abort();
	}
	return 0;
}
