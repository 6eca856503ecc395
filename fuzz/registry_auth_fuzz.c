/* registry_auth_fuzz: libFuzzer target for X-Registry-Auth headers (base64url JSON from any
 * client): decoding never fails on junk (anonymous), and what decodes is well-formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/registry.h"
#include "util/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = strndup((const char *)data, size);
	struct registry_auth a;
	struct err e = ERR_INIT;
	if (registry_auth_decode(s, &a, &e) == 0) {
		/* strings only, each NUL-terminated (strlen would fault on garbage) */
		size_t n = (a.username ? strlen(a.username) : 0) +
			   (a.password ? strlen(a.password) : 0) +
			   (a.server ? strlen(a.server) : 0);
		(void)n;
	} else if (!e.msg[0] || a.username || a.password) {
		abort();
	}
	registry_auth_release(&a);
	(void)registry_is_insecure(s, NULL);
	return 0;
}
