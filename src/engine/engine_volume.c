/* engine/engine_volume: volumes as the Engine API sees them: create from a request body,
 * inspect, list with usage (RefCount from the container records, Size on request) and
 * removal. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_priv.h"
#include "engine/volume.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/str.h"

json_t *engine_volume_create(struct engine *eng, const json_t *body, struct err *e)
{
	if (body && !json_is_object(body)) {
		err_invalid(e, "invalid JSON body: expected an object");
		return NULL;
	}
	json_t *jname = json_object_get(body, "Name"), *jdrv = json_object_get(body, "Driver");
	if ((jname && !json_is_string(jname) && !json_is_null(jname)) ||
	    (jdrv && !json_is_string(jdrv) && !json_is_null(jdrv))) {
		err_invalid(e, "invalid JSON body: Name and Driver must be strings");
		return NULL;
	}
	const char *name = json_string_value(jname);
	char gen[ID_HEX_LEN + 1];
	if (!name || !*name) {
		if (id_generate(gen, e) < 0)
			return NULL;
		name = gen;
	}
	return volume_create(eng, name, json_string_value(jdrv),
			     json_object_get(body, "DriverOpts"), json_object_get(body, "Labels"),
			     false, NULL, e);
}

json_t *engine_volume_inspect(struct engine *eng, const char *name, struct err *e)
{
	return volume_get(eng, name, e);
}

json_t *engine_volume_list(struct engine *eng, bool size)
{
	json_t *out = json_array();
	_cleanup_strv_ char **names = volume_names(eng);
	for (char **p = names; *p; p++) {
		json_t *v = volume_get(eng, *p, NULL);
		if (!v)
			continue; /* removed meanwhile */
		_cleanup_strv_ char **users = volume_users(eng, *p);
		json_object_set_new(v, "UsageData",
				    json_pack("{s:I, s:I}", "Size",
					      (json_int_t)(size ? volume_size(eng, *p) : -1),
					      "RefCount", (json_int_t)strv_len(users)));
		json_array_append_new(out, v);
	}
	return out;
}

json_t *engine_volumes_df(struct engine *eng)
{
	return engine_volume_list(eng, true);
}

int engine_volume_remove(struct engine *eng, const char *name, bool force, struct err *e)
{
	return volume_remove(eng, name, force, e);
}
