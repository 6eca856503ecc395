/* manifest_fuzz: libFuzzer target for registry manifests (what a registry sends a pull):
 * whatever parses must name only valid sha256 digests, and an index exactly one child. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/manifest.h"
#include "image/ref.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_digest(const char *d)
{
	if (!str_has_prefix(d, "sha256:") || image_digest_validate(d, NULL) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {NULL, "application/vnd.oci.image.index.v1+json",
					    "application/vnd.docker.distribution.manifest.v2+json"};
	struct image_manifest m;
	struct err e = ERR_INIT;
	const char *mt = types[size % 3];
	if (image_manifest_parse((const char *)data, size, mt, "amd64", &m, &e) < 0) {
		if (!e.msg[0] || m.layers || m.n)
			abort(); /* an error names itself and leaves nothing allocated */
		return 0;
	}
	if (m.index) {
		check_digest(m.child);
		if (m.n)
			abort();
	} else {
		check_digest(m.config);
		for (size_t i = 0; i < m.n; i++) {
			check_digest(m.layers[i].digest);
			if (m.layers[i].size < -1)
				abort();
		}
	}
	image_manifest_release(&m);
	return 0;
}
