/* changes_fuzz: libFuzzer target for the `changes` query arguments of import and commit
 * (Dockerfile instructions applied to a container config): one instruction per line, applied
 * as image_changes_apply does for `docker import -c ... -c ...`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/changes.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = strndup((const char *)data, size);
	_cleanup_strv_ char **changes = strv_split(s, "\n");
	_cleanup_json_ json_t *cfg = image_config_new_container_config();
	struct err e = ERR_INIT;
	if (image_changes_apply(cfg, changes, &e) < 0) {
		if (e.kind != ERR_INVALID)
			abort(); /* a bad change is a 400 */
		return 0;
	}
	_cleanup_free_ char *dump = json_dumps(cfg, JSON_COMPACT);
	if (!dump)
		abort();
	/* The words and expansion on their own, against the resulting Env. */
	json_t *env = json_object_get(cfg, "Env");
	size_t n = json_array_size(env), i;
	_cleanup_free_ char **envv = calloc(n + 1, sizeof(char *));
	json_t *v;
	json_array_foreach (env, i, v)
		envv[i] = (char *)json_string_value(v);
	for (char **c = changes; c && *c; c++) {
		_cleanup_strv_ char **words = changes_split_words(*c);
		for (char **w = words; w && *w; w++) {
			struct err we = ERR_INIT;
			free(changes_expand(*w, envv, &we));
		}
	}
	return 0;
}
