/* cli/security_opt: --security-opt seccomp=FILE as the docker CLI sends it: the profile's
 * JSON in place of the file name (the daemon never reads the client's files); "unconfined"
 * and "builtin" stay as they are. */
#include <string.h>

#include "cli/run_opts.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

static int load_profile(const char *file, char **out, struct err *e)
{
	size_t len;
	_cleanup_free_ char *raw = fs_read_file(file, &len, e);
	if (!raw)
		return err_wrap(e, "opening seccomp profile (%s) failed", file);
	struct err je = ERR_INIT;
	_cleanup_json_ json_t *j = jx_loads(raw, len, &je);
	if (!j)
		return err_invalid(e, "parsing seccomp profile (%s) failed: %s", file, je.msg);
	*out = jx_dumps(j);
	return 0;
}

int run_security_opts(json_t *body, struct err *e)
{
	json_t *opts = json_object_get(json_object_get(body, "HostConfig"), "SecurityOpt"), *v;
	size_t i;
	json_array_foreach (opts, i, v) {
		const char *s = json_string_value(v);
		if (!s || (!str_has_prefix(s, "seccomp=") && !str_has_prefix(s, "seccomp:")))
			continue;
		const char *file = s + 8;
		if (!strcmp(file, "unconfined") || !strcmp(file, "builtin"))
			continue;
		_cleanup_free_ char *profile = NULL;
		if (load_profile(file, &profile, e) < 0)
			return -1;
		json_array_set_new(opts, i, json_sprintf("seccomp=%s", profile));
	}
	return 0;
}
