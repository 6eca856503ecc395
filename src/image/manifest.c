/* image/manifest: parsing and checking of registry manifests (lists, indexes, schema 2 and OCI
 * image manifests) before anything is fetched on their word. */
#include <stdlib.h>
#include <string.h>

#include "image/manifest.h"
#include "image/ref.h"
#include "image/registry.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

void image_manifest_release(struct image_manifest *m)
{
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

static bool is_index_type(const char *mt)
{
	return str_eq(mt, REGISTRY_MT_DOCKER_LIST) || str_eq(mt, REGISTRY_MT_OCI_INDEX);
}

static bool is_image_type(const char *mt)
{
	return str_eq(mt, REGISTRY_MT_DOCKER_V2) || str_eq(mt, REGISTRY_MT_OCI_V1);
}

static bool layer_type_ok(const char *mt)
{
	static const char *const ok[] = {
	    REGISTRY_MT_DOCKER_GZIP, "application/vnd.docker.image.rootfs.diff.tar",
	    "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
	    "application/vnd.oci.image.layer.v1.tar+zstd"};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (str_eq(mt, ok[i]))
			return true;
	return false;
}

static int sha256_digest(const json_t *desc, char *out, const char *what, struct err *e)
{
	const char *d = json_string_value(json_object_get(desc, "digest"));
	if (!d || !str_has_prefix(d, "sha256:") || image_digest_validate(d, NULL) < 0)
		return err_invalid(e, "invalid manifest: %s: missing or invalid sha256 digest",
				   what);
	memcpy(out, d, IMAGE_DIGEST_LEN + 1);
	return 0;
}

static int parse_index(const json_t *j, const char *arch, struct image_manifest *m, struct err *e)
{
	json_t *list = json_object_get(j, "manifests");
	size_t i;
	json_t *d;
	m->index = true;
	json_array_foreach (list, i, d) {
		json_t *pf = json_object_get(d, "platform");
		if (!str_eq(json_string_value(json_object_get(pf, "os")), "linux") ||
		    !str_eq(json_string_value(json_object_get(pf, "architecture")), arch))
			continue;
		return sha256_digest(d, m->child, "manifests[]", e);
	}
	return err_notfound(e, "no matching manifest for linux/%s in the manifest list entries",
			    arch);
}

static int parse_layer(const json_t *d, size_t i, struct image_manifest_layer *l, struct err *e)
{
	char what[48];
	snprintf(what, sizeof(what), "layers[%zu]", i);
	const char *mt = json_string_value(json_object_get(d, "mediaType"));
	if (!json_is_object(d))
		return err_invalid(e, "invalid manifest: %s: expected an object", what);
	if (sha256_digest(d, l->digest, what, e) < 0)
		return -1;
	if (mt && strstr(mt, "foreign"))
		return err_invalid(e,
				   "foreign layer %s is not supported (it names a URL outside "
				   "the registry)",
				   l->digest);
	if (!layer_type_ok(mt))
		return err_invalid(e, "unsupported layer media type %s for layer %s",
				   mt ? mt : "(none)", l->digest);
	json_t *size = json_object_get(d, "size");
	l->size = json_is_integer(size) ? json_integer_value(size) : -1;
	if (l->size < -1 || (json_is_integer(size) && l->size < 0))
		return err_invalid(e, "invalid manifest: %s: negative size", what);
	return 0;
}

static int parse_image(const json_t *j, struct image_manifest *m, struct err *e)
{
	if (sha256_digest(json_object_get(j, "config"), m->config, "config", e) < 0)
		return -1;
	json_t *layers = json_object_get(j, "layers");
	if (!json_is_array(layers))
		return err_invalid(e, "invalid manifest: layers must be an array");
	m->n = json_array_size(layers);
	m->layers = xcalloc(m->n + 1, sizeof(*m->layers));
	for (size_t i = 0; i < m->n; i++)
		if (parse_layer(json_array_get(layers, i), i, &m->layers[i], e) < 0)
			return -1;
	return 0;
}

int image_manifest_parse(const char *data, size_t len, const char *media_type, const char *arch,
			 struct image_manifest *m, struct err *e)
{
	memset(m, 0, sizeof(*m));
	json_error_t je;
	_cleanup_json_ json_t *j = json_loadb(data, len, 0, &je);
	if (!json_is_object(j))
		return err_invalid(e, "invalid manifest: %s",
				   j ? "expected a JSON object" : je.text);
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	if (!mt || !*mt)
		mt = media_type;
	json_int_t version = json_integer_value(json_object_get(j, "schemaVersion"));
	if (version == 1)
		return err_invalid(e, "unsupported manifest format: Docker image manifest schema "
				      "1 (pull it with a Docker older than 28 and push it again)");
	int r;
	if (is_index_type(mt) ||
	    (!is_image_type(mt) && json_is_array(json_object_get(j, "manifests"))))
		r = parse_index(j, arch, m, e);
	else if (is_image_type(mt) || json_is_object(json_object_get(j, "config")))
		r = parse_image(j, m, e);
	else
		r = err_invalid(e, "unsupported manifest media type %s", mt ? mt : "(none)");
	if (r < 0)
		image_manifest_release(m);
	return r;
}
