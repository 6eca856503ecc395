/* image/distinspect: GET /distribution/{name}/json: what a registry says about a reference
 * without pulling it: the manifest's descriptor and the platforms it serves (the entries of
 * a list or index, else the os/architecture of the image's config). */
#include <stdlib.h>
#include <string.h>

#include "image/distribution.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

#define CONFIG_MAX (8u << 20)

static json_t *platform_of(const json_t *p)
{
	json_t *out = json_object();
	static const char *const keys[][2] = {{"architecture", "architecture"},
					      {"os", "os"},
					      {"os.version", "os.version"},
					      {"variant", "variant"}};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = json_string_value(json_object_get(p, keys[i][0]));
		if (v && *v)
			json_object_set_new(out, keys[i][1], json_string(v));
	}
	json_t *features = json_object_get(p, "os.features");
	if (json_is_array(features))
		json_object_set(out, "os.features", features);
	return out;
}

static json_t *platforms(struct registry *r, const json_t *m, struct err *e)
{
	json_t *list = json_array();
	json_t *entries = json_object_get(m, "manifests");
	if (json_is_array(entries)) {
		size_t i;
		json_t *d;
		json_array_foreach (entries, i, d)
			json_array_append_new(list, platform_of(json_object_get(d, "platform")));
		return list;
	}
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	size_t len;
	_cleanup_free_ char *raw =
	    cd && image_digest_validate(cd, NULL) == 0 && str_has_prefix(cd, "sha256:")
		? registry_blob_get_buf(r, cd, CONFIG_MAX, &len, e)
		: NULL;
	_cleanup_json_ json_t *cfg = raw ? json_loadb(raw, len, 0, NULL) : NULL;
	if (!cfg) {
		json_decref(list);
		if (!raw && cd)
			return NULL;
		err_invalid(e, "invalid manifest: no readable image config");
		return NULL;
	}
	json_array_append_new(list, platform_of(cfg));
	return list;
}

json_t *image_distribution_inspect(const struct image_dist_opts *o, struct err *e)
{
	const struct image_ref *ref = o->ref;
	struct registry *r = registry_open(ref->domain, ref->path, "pull", o->auth, o->insecure, e);
	if (!r)
		return NULL;
	struct registry_manifest m;
	json_t *out = NULL;
	if (registry_manifest_get(r, ref->digest ? ref->digest : ref->tag, &m, e) == 0) {
		_cleanup_json_ json_t *j = jx_loads(m.data, m.len, e);
		const char *mt = json_string_value(json_object_get(j, "mediaType"));
		json_t *pf = j ? platforms(r, j, e) : NULL;
		if (pf)
			out = json_pack("{s:{s:s, s:s, s:I}, s:o}", "Descriptor", "mediaType",
					mt && *mt      ? mt
					: m.media_type ? m.media_type
						       : "",
					"digest", m.digest, "size", (json_int_t)m.len, "Platforms",
					pf);
		registry_manifest_release(&m);
	}
	registry_close(r);
	return out;
}
