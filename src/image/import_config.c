/* image/import_config: the image config of an imported layer, shaped like dockerd's (Go's
 * image.Image marshalled through a map: top-level keys sorted). */
#include "image/changes.h"
#include "image/store_priv.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"

json_t *import_build_config(const struct image_import_opts *o, const char *diff_id, int64_t now,
			    struct err *e)
{
	_cleanup_json_ json_t *cfg = image_config_new_container_config();
	if (image_changes_apply(cfg, o->changes, e) < 0)
		return NULL;
	char created[STORE_TIME_MAX];
	store_time_format(now, created);
	const char *comment = o->comment ? o->comment : "Imported from -";
	return json_pack("{s:s, s:s, s:O, s:o, s:s, s:s, s:[{s:s, s:s}], s:s, s:{s:s, s:[s]}}",
			 "architecture", o->arch ? o->arch : image_host_arch(), "comment", comment,
			 "config", cfg, "container_config", image_config_new_container_config(),
			 "created", created, "docker_version",
			 o->docker_version ? o->docker_version : "", "history", "created", created,
			 "comment", comment, "os", o->os ? o->os : "linux", "rootfs", "type",
			 "layers", "diff_ids", diff_id);
}
