/* image/push: a push of one tag or of every tag of a repository: layers (push_layer.c), the
 * config blob, then a schema 2 manifest put under the tag; its digest becomes a RepoDigest. */
#include <stdlib.h>
#include <string.h>

#include "image/push_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

struct image_push *image_push_new(struct image_store *s, const struct image_dist_opts *o)
{
	struct image_push *p = xcalloc(1, sizeof(*p));
	p->s = s;
	p->ref.domain = str_dup(o->ref->domain);
	p->ref.path = str_dup(o->ref->path);
	p->ref.tag = str_dup(o->ref->tag);
	p->auth = o->auth;
	p->insecure = o->insecure;
	p->progress = o->progress;
	p->arg = o->arg;
	p->repo = str_printf("%s/%s", p->ref.domain, p->ref.path);
	return p;
}

void image_push_cancel(struct image_push *p)
{
	__atomic_store_n(&p->cancelled, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
	registry_cancel(p->reg);
}

void image_push_free(struct image_push *p)
{
	if (!p)
		return;
	registry_close(p->reg);
	if (p->tmp)
		fs_rm_rf(p->tmp, NULL);
	free(p->tmp);
	free(p->layers);
	free(p->repo);
	image_ref_release(&p->ref);
	free(p);
}

/* The tags to push, as [tag, image ID] pairs, NULL-terminated. */
static char **push_tags(struct image_push *p, struct err *e)
{
	_cleanup_free_ char *name = image_ref_name(&p->ref);
	_cleanup_free_ char *prefix = str_printf("%s:", name);
	char **v = xcalloc(1, sizeof(char *));
	pthread_mutex_lock(&p->s->mu);
	const char *ref;
	json_t *id;
	json_object_foreach (p->s->refs, ref, id) {
		const char *tag = ref + strlen(prefix);
		if (!str_has_prefix(ref, prefix) || strchr(tag, '@') ||
		    (p->ref.tag && strcmp(tag, p->ref.tag) != 0))
			continue;
		strv_push(&v, tag);
		strv_push(&v, json_string_value(id));
	}
	pthread_mutex_unlock(&p->s->mu);
	if (!v[0]) {
		_cleanup_free_ char *fam = image_ref_familiar_name(&p->ref);
		_cleanup_free_ char *full = image_ref_familiar(&p->ref);
		if (p->ref.tag)
			err_notfound(e, "tag does not exist: %s", full);
		else
			err_notfound(e, "An image does not exist locally with the tag: %s", fam);
		strv_free(v);
		return NULL;
	}
	return v;
}

static int push_config(struct image_push *p, const struct image *img, struct err *e)
{
	bool exists;
	if (registry_blob_exists(p->reg, img->id, &exists, NULL, e) < 0)
		return -1;
	if (exists)
		return 0;
	_cleanup_free_ char *path =
	    str_printf("%s/%s.json", p->s->configs_dir, image_digest_hex(img->id));
	size_t len;
	_cleanup_free_ char *raw = fs_read_file(path, &len, e);
	if (!raw)
		return -1;
	return registry_blob_put_buf(p->reg, img->id, raw, len, e);
}

/* Schema 2, indented as dockerd writes it. */
static char *build_manifest(struct image_push *p, const struct image *img, int64_t config_size)
{
	json_t *layers = json_array();
	for (size_t i = 0; i < p->n; i++)
		json_array_append_new(layers, json_pack("{s:s, s:I, s:s}", "mediaType",
							REGISTRY_MT_DOCKER_GZIP, "size",
							(json_int_t)p->layers[i].size, "digest",
							p->layers[i].digest));
	_cleanup_json_ json_t *m =
	    json_pack("{s:i, s:s, s:{s:s, s:I, s:s}, s:o}", "schemaVersion", 2, "mediaType",
		      REGISTRY_MT_DOCKER_V2, "config", "mediaType", REGISTRY_MT_DOCKER_CFG, "size",
		      (json_int_t)config_size, "digest", img->id, "layers", layers);
	return json_dumps(m, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
}

static int push_tag(struct image_push *p, const char *tag, const char *id, struct err *e)
{
	struct image *img = image_store_get(p->s, id, e);
	if (!img)
		return -1;
	free(p->layers);
	p->layers = NULL;
	_cleanup_free_ char *cpath =
	    str_printf("%s/%s.json", p->s->configs_dir, image_digest_hex(img->id));
	size_t clen;
	_cleanup_free_ char *craw = fs_read_file(cpath, &clen, e);
	int rc = craw && push_layers(p, img, e) == 0 && push_config(p, img, e) == 0 ? 0 : -1;
	_cleanup_free_ char *body = rc == 0 ? build_manifest(p, img, (int64_t)clen) : NULL;
	if (rc == 0)
		rc = registry_manifest_put(p->reg, tag, REGISTRY_MT_DOCKER_V2, body, strlen(body),
					   e);
	if (rc == 0) {
		char digest[IMAGE_DIGEST_LEN + 1];
		image_sha256_buf(body, strlen(body), digest);
		push_emit(p,
			  progress_status("%s: digest: %s size: %zu", tag, digest, strlen(body)));
		push_emit(p, json_pack("{s:{}, s:{s:s, s:s, s:I}}", "progressDetail", "aux", "Tag",
				       tag, "Digest", digest, "Size", (json_int_t)strlen(body)));
		struct image_ref by_digest = {p->ref.domain, p->ref.path, NULL, digest};
		rc = image_store_tag(p->s, img->id, &by_digest, e);
	}
	image_put(img);
	return rc;
}

int image_push_run(struct image_push *p, char ***pushed, struct err *e)
{
	_cleanup_free_ char *name = image_ref_name(&p->ref);
	push_emit(p, progress_status("The push refers to repository [%s]", name));
	_cleanup_strv_ char **tags = push_tags(p, e);
	if (!tags)
		return -1;
	p->reg = registry_open(p->ref.domain, p->ref.path, "pull,push", p->auth, p->insecure, e);
	if (!p->reg)
		return -1;
	if (__atomic_load_n(&p->cancelled, __ATOMIC_RELAXED))
		registry_cancel(p->reg);
	p->tmp = str_printf("%s/" STORE_TMP_PREFIX "push-XXXXXX", p->s->layers_dir);
	if (!mkdtemp(p->tmp)) {
		free(p->tmp);
		p->tmp = NULL;
		return err_sys(e, "create temporary push directory");
	}
	for (char **t = tags; t[0] && t[1]; t += 2) {
		if (push_tag(p, t[0], t[1], e) < 0)
			return -1;
		if (pushed)
			strv_push_take(pushed, str_printf("%s:%s", name, t[0]));
	}
	return 0;
}
