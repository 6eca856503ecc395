/* commit_fuzz: libFuzzer target for POST /commit's Config: the first line is the JSON body,
 * the others are `changes`; the result is merged with a container Config that sets every
 * field the merge looks at, then normalised as the image config stores it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/image_priv.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cconf_json[] =
    "{\"User\":\"u\",\"Env\":[\"PATH=/bin\",\"A=1\"],\"Cmd\":[\"sh\"],\"Entrypoint\":null,"
    "\"Labels\":{\"l\":\"v\"},\"ExposedPorts\":{\"80/tcp\":{}},\"Volumes\":{\"/v\":{}},"
    "\"WorkingDir\":\"/w\",\"StopSignal\":\"TERM\",\"ArgsEscaped\":true,"
    "\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],\"Interval\":1,\"Retries\":2},"
    "\"Image\":\"busybox\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = strndup((const char *)data, size);
	char *nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	_cleanup_strv_ char **changes = nl ? strv_split(nl + 1, "\n") : NULL;
	_cleanup_json_ json_t *body = *s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
	_cleanup_json_ json_t *cconf = json_loads(cconf_json, 0, NULL);
	if (!cconf)
		abort();
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *cfg = engine_commit_config(body, changes, cconf, &e);
	if (!cfg) {
		if (e.kind != ERR_INVALID)
			abort(); /* bad input is a 400 */
		return 0;
	}
	if (!json_is_object(cfg) || !json_is_object(json_object_get(cfg, "Labels")))
		abort(); /* Labels is always an object after the merge */
	_cleanup_json_ json_t *norm = image_config_normalize(cfg);
	_cleanup_free_ char *dump = json_dumps(norm, JSON_COMPACT);
	if (!dump || strncmp(dump, "{\"Hostname\":", 12) != 0)
		abort();
	return 0;
}
