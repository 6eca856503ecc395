/* cli/args_json: flag values as the API's JSON (lists as arrays, k=v items as objects) and
 * label objects back as docker's "k=v,k=v" column text; shared by the commands. */
#include <string.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/str.h"

json_t *cli_json_strv(char **v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

json_t *cli_json_kv(char **items, char sep)
{
	json_t *o = json_object();
	for (; items && *items; items++) {
		_cleanup_free_ char *k = str_dup(*items);
		char *eq = strchr(k, sep);
		if (eq)
			*eq = 0;
		json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
	}
	return o;
}

char *cli_labels_join(json_t *labels)
{
	_cleanup_strv_ char **v = NULL;
	const char *k;
	json_t *x;
	json_object_foreach (labels, k, x)
		strv_push_take(&v, str_printf("%s=%s", k, json_string_value(x) ?: ""));
	return v ? strv_join(v, ",") : str_dup("");
}
