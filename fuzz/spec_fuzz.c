/* spec_fuzz: libFuzzer target for the OCI config parser (config.json is untrusted input
 * for the runtime): any bytes must give a spec or an error, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>

#include "runtime/spec.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = ERR_INIT;
	json_t *j = jx_loads((const char *)data, size, &e);
	if (!j)
		return 0;
	/* spec_from_json takes the reference; "/" as bundle: relative root paths resolve. */
	struct spec *s = spec_from_json(j, "/", &e);
	if (s)
		spec_free(s);
	return 0;
}
