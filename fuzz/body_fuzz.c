/* body_fuzz: libFuzzer target for the JSON request bodies the API decodes besides create's
 * (create_fuzz): POST /volumes/create (Name, Driver, DriverOpts checked), POST /commit's
 * Config (normalised into Go's container.Config), POST /containers/{id}/update (the body's
 * resources merged into a HostConfig and checked as create does), and the SecurityOpt a
 * HostConfig carries. Any bytes: a result or an ERR_INVALID, never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>

#include "engine/container_config.h"
#include "engine/ocispec.h"
#include "engine/volume.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect_invalid(int r, const struct err *e)
{
	if (r < 0 && e->kind != ERR_INVALID)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = jx_loads((const char *)data, size, &e);
	if (!body)
		return 0;
	const char *name = json_string_value(json_object_get(body, "Name"));
	const char *driver = json_string_value(json_object_get(body, "Driver"));
	struct err ve = ERR_INIT;
	/* an unknown driver is dockerd's 404 (no such plugin) */
	if (volume_check(name ? name : "", driver ? driver : "local",
			 json_object_get(body, "DriverOpts"), &ve) < 0 &&
	    ve.kind != ERR_INVALID && ve.kind != ERR_NOT_FOUND)
		abort();
	_cleanup_json_ json_t *cfg = image_config_normalize(body);
	if (!json_is_object(cfg))
		abort();
	_cleanup_json_ json_t *wrapped = json_pack("{s:O}", "HostConfig", body);
	struct err he = ERR_INIT;
	_cleanup_json_ json_t *hc = container_hostconfig_parse(wrapped, true, &he);
	expect_invalid(hc ? 0 : -1, &he);
	if (hc) {
		struct err se = ERR_INIT;
		expect_invalid(ocispec_security_check(hc, &se), &se);
	}
	return 0;
}
