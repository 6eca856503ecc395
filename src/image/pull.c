/* image/pull: a pull from a registry: the manifest resolved (a list or index narrowed to
 * linux/<host arch>), the config fetched and checked, the missing layers pulled (pull_layer.c),
 * then everything registered under the store lock in one go and the references set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/pull_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

#define CONFIG_MAX (8u << 20)

static const char *manifest_kind(const struct registry_manifest *m, const json_t *j)
{
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	if (!mt || !*mt)
		mt = m->media_type;
	if (json_is_array(json_object_get(j, "manifests")))
		return "index";
	if (json_integer_value(json_object_get(j, "schemaVersion")) == 2 &&
	    json_is_object(json_object_get(j, "config")))
		return "image";
	return mt ? mt : "unknown";
}

/* linux/<host arch> in a manifest list or OCI index. */
static const char *pick_platform(const json_t *index, struct err *e)
{
	const char *arch = image_host_arch();
	size_t i;
	json_t *d;
	json_array_foreach (json_object_get(index, "manifests"), i, d) {
		json_t *pf = json_object_get(d, "platform");
		if (str_eq(json_string_value(json_object_get(pf, "os")), "linux") &&
		    str_eq(json_string_value(json_object_get(pf, "architecture")), arch))
			return json_string_value(json_object_get(d, "digest"));
	}
	err_notfound(e, "no matching manifest for linux/%s in the manifest list entries", arch);
	return NULL;
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

static int parse_layers(struct image_pull *p, const json_t *m, struct err *e)
{
	json_t *layers = json_object_get(m, "layers");
	if (!json_is_array(layers))
		return err_invalid(e, "invalid manifest: layers must be an array");
	p->n = json_array_size(layers);
	p->layers = xcalloc(p->n + 1, sizeof(*p->layers));
	for (size_t i = 0; i < p->n; i++) {
		json_t *d = json_array_get(layers, i);
		struct pull_layer *l = &p->layers[i];
		const char *digest = json_string_value(json_object_get(d, "digest"));
		const char *mt = json_string_value(json_object_get(d, "mediaType"));
		if (!digest || image_digest_validate(digest, NULL) < 0 ||
		    !str_has_prefix(digest, "sha256:"))
			return err_invalid(e, "invalid manifest: layers[%zu]: bad digest", i);
		if (!layer_type_ok(mt))
			return err_invalid(e, "unsupported layer media type %s for layer %s",
					   mt ? mt : "(none)", digest);
		l->p = p;
		snprintf(l->digest, sizeof(l->digest), "%s", digest);
		snprintf(l->short_id, sizeof(l->short_id), "%.12s", image_digest_hex(digest));
		l->size = json_integer_value(json_object_get(d, "size"));
	}
	return 0;
}

/* The config: its digest is the image ID; its diff IDs name the layers. */
static int fetch_config(struct image_pull *p, const json_t *m, struct err *e)
{
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	if (!cd || image_digest_validate(cd, NULL) < 0 || !str_has_prefix(cd, "sha256:"))
		return err_invalid(e, "invalid manifest: config digest");
	snprintf(p->id, sizeof(p->id), "%s", cd);
	p->config = registry_blob_get_buf(p->reg, cd, CONFIG_MAX, &p->config_len, e);
	if (!p->config)
		return -1;
	_cleanup_json_ json_t *cfg = jx_loads(p->config, p->config_len, e);
	if (!cfg)
		return err_wrap(e, "image config %s", cd);
	const char *os = json_string_value(json_object_get(cfg, "os"));
	if (os && *os && strcmp(os, "linux") != 0)
		return err_invalid(
		    e, "image operating system \"%s\" cannot be used on this platform", os);
	json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (json_array_size(ids) != p->n)
		return err_invalid(e,
				   "layers from manifest don't match image configuration: %zu "
				   "layers, %zu diff IDs",
				   p->n, json_array_size(ids));
	for (size_t i = 0; i < p->n; i++) {
		const char *d = json_string_value(json_array_get(ids, i));
		if (!d || image_digest_validate(d, NULL) < 0)
			return err_invalid(e, "invalid image config: rootfs.diff_ids[%zu]", i);
		snprintf(p->layers[i].diff_id, sizeof(p->layers[i].diff_id), "%s", d);
	}
	return 0;
}

static int resolve(struct image_pull *p, struct err *e)
{
	struct registry_manifest m;
	if (registry_manifest_get(p->reg, p->tag_or_digest, &m, e) < 0)
		return -1;
	memcpy(p->digest, m.digest, sizeof(p->digest));
	_cleanup_json_ json_t *j = jx_loads(m.data, m.len, e);
	if (j && !strcmp(manifest_kind(&m, j), "index")) {
		const char *d = pick_platform(j, e);
		_cleanup_free_ char *child = str_dup(d);
		json_decref(j);
		j = NULL;
		registry_manifest_release(&m);
		if (!child || registry_manifest_get(p->reg, child, &m, e) < 0)
			return -1;
		j = jx_loads(m.data, m.len, e);
	}
	int rc = -1;
	if (!j)
		err_wrap(e, "manifest");
	else if (strcmp(manifest_kind(&m, j), "image") != 0)
		err_invalid(e, "unsupported manifest media type %s", manifest_kind(&m, j));
	else
		rc = parse_layers(p, j, e) == 0 && fetch_config(p, j, e) == 0 ? 0 : -1;
	registry_manifest_release(&m);
	return rc;
}

/* The registry's "not found" answers as dockerd words them (translatePullError). */
static void translate_error(struct image_pull *p, struct err *e)
{
	if (e->kind != ERR_NOT_FOUND)
		return;
	char old[ERR_MSG_MAX];
	snprintf(old, sizeof(old), "%s", e->msg);
	_cleanup_free_ char *name = image_ref_familiar_name(&p->ref);
	_cleanup_free_ char *full = image_ref_familiar(&p->ref);
	if (str_has_prefix(old, "manifest unknown"))
		err_notfound(e, "manifest for %s not found: %s", full, old);
	else if (str_has_prefix(old, "name unknown"))
		err_notfound(e, "repository %s not found: %s", name, old);
	else if (str_has_prefix(old, "denied"))
		err_notfound(e,
			     "pull access denied for %s, repository does not exist or may require "
			     "'docker login': %s",
			     name, old);
}

struct image_pull *image_pull_start(struct image_store *s, const struct image_dist_opts *o,
				    struct err *e)
{
	struct image_pull *p = xcalloc(1, sizeof(*p));
	p->s = s;
	p->progress = o->progress;
	p->arg = o->arg;
	p->ref.domain = str_dup(o->ref->domain);
	p->ref.path = str_dup(o->ref->path);
	p->ref.tag = o->ref->digest ? NULL : str_dup(o->ref->tag ? o->ref->tag : "latest");
	p->ref.digest = str_dup(o->ref->digest);
	p->tag_or_digest = str_dup(p->ref.digest ? p->ref.digest : p->ref.tag);
	p->reg = registry_open(p->ref.domain, p->ref.path, "pull", o->auth, o->insecure, e);
	if (!p->reg || resolve(p, e) < 0) {
		translate_error(p, e);
		image_pull_free(p);
		return NULL;
	}
	return p;
}

void image_pull_cancel(struct image_pull *p)
{
	registry_cancel(p->reg);
}

void image_pull_free(struct image_pull *p)
{
	if (!p)
		return;
	registry_close(p->reg);
	if (p->tmp)
		fs_rm_rf(p->tmp, NULL);
	for (size_t i = 0; i < p->n; i++)
		free(p->layers[i].dir);
	free(p->layers);
	free(p->tmp);
	free(p->config);
	free(p->tag_or_digest);
	image_ref_release(&p->ref);
	free(p);
}
