/* image/pull: a pull from a registry: the manifest resolved (a list or index narrowed to
 * linux/<host arch>), the config fetched and checked, the missing layers pulled (pull_layer.c),
 * then everything registered under the store lock in one go and the references set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/manifest.h"
#include "image/pull_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

#define CONFIG_MAX (8u << 20)

static void take_layers(struct image_pull *p, const struct image_manifest *m)
{
	p->n = m->n;
	p->layers = xcalloc(p->n + 1, sizeof(*p->layers));
	for (size_t i = 0; i < p->n; i++) {
		struct pull_layer *l = &p->layers[i];
		l->p = p;
		memcpy(l->digest, m->layers[i].digest, sizeof(l->digest));
		snprintf(l->short_id, sizeof(l->short_id), "%.12s", image_digest_hex(l->digest));
		l->size = m->layers[i].size;
	}
}

/* The config: its digest is the image ID; its diff IDs name the layers. */
static int fetch_config(struct image_pull *p, const char *digest, struct err *e)
{
	memcpy(p->id, digest, sizeof(p->id));
	p->config = registry_blob_get_buf(p->reg, digest, CONFIG_MAX, &p->config_len, e);
	if (!p->config)
		return -1;
	_cleanup_json_ json_t *cfg = jx_loads(p->config, p->config_len, e);
	if (!cfg)
		return err_wrap(e, "image config %s", digest);
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

/* The manifest named (the RepoDigest is its digest), through a list or index if it is one. */
static int resolve(struct image_pull *p, struct err *e)
{
	struct registry_manifest rm;
	struct image_manifest m;
	if (registry_manifest_get(p->reg, p->tag_or_digest, &rm, e) < 0)
		return -1;
	memcpy(p->digest, rm.digest, sizeof(p->digest));
	int r = image_manifest_parse(rm.data, rm.len, rm.media_type, image_host_arch(), &m, e);
	registry_manifest_release(&rm);
	if (r == 0 && m.index) {
		char child[IMAGE_DIGEST_LEN + 1];
		memcpy(child, m.child, sizeof(child));
		image_manifest_release(&m);
		r = registry_manifest_get(p->reg, child, &rm, e);
		if (r == 0)
			r = image_manifest_parse(rm.data, rm.len, rm.media_type, image_host_arch(),
						 &m, e);
		registry_manifest_release(&rm);
		if (r == 0 && m.index)
			r = err_invalid(e, "invalid manifest: %s is an index inside an index",
					child);
	}
	if (r == 0) {
		take_layers(p, &m);
		r = fetch_config(p, m.config, e);
	}
	image_manifest_release(&m);
	return r;
}

/* The first mirror that has the image (dockerd's pull endpoints: mirrors, then the Hub); a
 * mirror that fails leaves nothing behind and is skipped. */
static int pull_from_mirror(struct image_pull *p, const struct image_dist_opts *o)
{
	for (char *const *m = o->mirrors; m && *m; m++) {
		struct err me = ERR_INIT;
		p->reg = registry_open_url(*m, p->ref.domain, p->ref.path, "pull", o->auth,
					   o->insecure, &me);
		if (p->reg && resolve(p, &me) == 0)
			return 0;
		registry_close(TAKE_PTR(p->reg));
		free(TAKE_PTR(p->layers));
		free(TAKE_PTR(p->config));
		p->n = p->config_len = 0;
	}
	return -1;
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
	p->no_status = o->no_status;
	p->ref.domain = str_dup(o->ref->domain);
	p->ref.path = str_dup(o->ref->path);
	p->ref.tag = o->ref->digest ? NULL : str_dup(o->ref->tag ? o->ref->tag : "latest");
	p->ref.digest = str_dup(o->ref->digest);
	p->tag_or_digest = str_dup(p->ref.digest ? p->ref.digest : p->ref.tag);
	if (str_eq(p->ref.domain, IMAGE_DEFAULT_DOMAIN) && pull_from_mirror(p, o) == 0)
		return p;
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

char **image_pull_list_tags(const struct image_dist_opts *o, struct err *e)
{
	/* a mirror's list when one answers for a docker.io repository */
	for (char *const *m = o->mirrors; m && *m && str_eq(o->ref->domain, IMAGE_DEFAULT_DOMAIN);
	     m++) {
		struct registry *r = registry_open_url(*m, o->ref->domain, o->ref->path, "pull",
						       o->auth, o->insecure, NULL);
		char **tags = r ? registry_tags_list(r, NULL) : NULL;
		registry_close(r);
		if (tags && tags[0])
			return tags;
		strv_free(tags);
	}
	struct registry *r =
	    registry_open(o->ref->domain, o->ref->path, "pull", o->auth, o->insecure, e);
	char **tags = r ? registry_tags_list(r, e) : NULL;
	registry_close(r);
	if (!tags && e->kind == ERR_NOT_FOUND && str_has_prefix(e->msg, "name unknown")) {
		char old[ERR_MSG_MAX];
		snprintf(old, sizeof(old), "%s", e->msg);
		_cleanup_free_ char *name = image_ref_familiar_name(o->ref);
		err_notfound(e, "repository %s not found: %s", name, old);
	}
	return tags;
}
