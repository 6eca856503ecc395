/* create_fuzz: libFuzzer target for the POST /containers/create body as the engine decodes
 * it (build_record's steps): body JSON as api_body_json loads it, Config and HostConfig
 * (cgroup v1 and v2 defaults), the merge of an image's config, the command, the mount specs.
 * An "__image" member, when present, is taken out and used as the image's config (it comes
 * from image archives, also untrusted); else a busybox-like config is merged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/container_config.h"
#include "engine/container_mounts.h"
#include "util/cleanup.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char busybox_config[] =
    "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,"
    "\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],"
    "\"Cmd\":[\"sh\"],\"Image\":\"sha256:1\",\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"\","
    "\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{\"a\":\"b\"},"
    "\"ExposedPorts\":{\"80/tcp\":{}},\"Healthcheck\":{\"Test\":[\"NONE\"]}}";

/* Absent, null, or an array of strings. */
static bool strings_or_absent(const json_t *o, const char *key)
{
	const json_t *a = json_object_get(o, key), *v;
	size_t i;
	if (!a || json_is_null(a) || !json_is_array(a))
		return true;
	json_array_foreach (a, i, v)
		if (!json_is_string(v))
			return false;
	return true;
}

static json_t *no_container(void *arg, const char *name, struct err *e)
{
	err_invalid(e, "No such container: %s", name);
	return NULL;
}

static void decode(const json_t *body, bool cgroup2, const json_t *img)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *cfg = container_config_parse(body, &e);
	_cleanup_json_ json_t *hc = cfg ? container_hostconfig_parse(body, cgroup2, &e) : NULL;
	if (!hc) {
		if (e.kind != ERR_INVALID)
			abort(); /* a bad body is a 400, never anything else */
		return;
	}
	if (!json_is_object(cfg) || !json_is_object(hc))
		abort();
	container_config_merge(cfg, img);
	json_t *path = NULL, *args = NULL;
	if (container_config_command(cfg, &path, &args, &e) == 0) {
		/* Cmd and Entrypoint of the body are checked to be strings; the image's are
		 * merged as they are (reported: a non-string Path reaches the record). */
		if ((!json_is_string(path) && strings_or_absent(img, "Cmd") &&
		     strings_or_absent(img, "Entrypoint")) ||
		    !json_is_array(args))
			abort();
		json_decref(path);
		json_decref(args);
	}
	/* the mount specs (Binds, Mounts, Tmpfs, VolumesFrom, image VOLUMEs): a list or a 400 */
	static const struct mounts_src ms = {"/v", no_container, NULL};
	_cleanup_json_ json_t *mounts = container_mounts_parse(&ms, cfg, hc, &e);
	if ((!mounts && e.kind != ERR_INVALID) || (mounts && !json_is_array(mounts)))
		abort();
	_cleanup_free_ char *dump = json_dumps(cfg, JSON_COMPACT);
	if (!dump)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *busybox;
	if (!busybox)
		busybox = json_loads(busybox_config, 0, NULL);
	json_error_t je;
	_cleanup_json_ json_t *body = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
	if (!body)
		return 0;
	_cleanup_json_ json_t *img = json_incref(json_object_get(body, "__image"));
	if (img)
		json_object_del(body, "__image");
	decode(body, true, img ? img : busybox);
	decode(body, false, img ? img : busybox);
	return 0;
}
