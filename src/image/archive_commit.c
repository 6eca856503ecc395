/* image/archive_commit: the second half of docker load: the archive's manifest (manifest.json,
 * else the OCI index.json) becomes a plan checked in full (configs, layer counts, every diff ID
 * against the extracted tar, tags) before anything is registered; then layers (renames),
 * configs and tags, as dockerd's tarexport does. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/archive_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

struct ld_item {
	char id[IMAGE_DIGEST_LEN + 1];
	struct ld_blob *cfg;
	size_t n;
	char **diff_ids;
	struct ld_layer **layers;
	struct image_ref *tags;
	size_t n_tags;
};

struct ld_plan {
	struct ld_item *v;
	size_t n;
};

static void plan_release(struct ld_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		strv_free(p->v[i].diff_ids);
		free(p->v[i].layers);
		for (size_t k = 0; k < p->v[i].n_tags; k++)
			image_ref_release(&p->v[i].tags[k]);
		free(p->v[i].tags);
	}
	free(p->v);
}

static int item_layers(struct image_load *ld, struct ld_item *it, const json_t *cfg,
		       const json_t *paths, struct err *e)
{
	json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!json_is_array(paths))
		return err_invalid(e, "invalid manifest: Layers must be an array");
	if (json_array_size(ids) != json_array_size(paths))
		return err_invalid(
		    e, "invalid manifest, layers length mismatch: expected %zu, got %zu",
		    json_array_size(paths), json_array_size(ids));
	it->n = json_array_size(ids);
	it->diff_ids = xcalloc(it->n + 1, sizeof(char *));
	it->layers = xcalloc(it->n + 1, sizeof(*it->layers));
	for (size_t i = 0; i < it->n; i++) {
		const char *want = json_string_value(json_array_get(ids, i));
		const char *path = json_string_value(json_array_get(paths, i));
		struct ld_blob *b;
		if (!want || image_digest_validate(want, NULL) < 0)
			return err_invalid(e, "invalid image config: rootfs.diff_ids[%zu]", i);
		if (!path || load_lookup(ld, path, &b, &it->layers[i], e) < 0)
			return path ? -1 : err_invalid(e, "invalid manifest: Layers[%zu]", i);
		if (!it->layers[i] && !(it->layers[i] = load_layer_from_blob(ld, b, e)))
			return -1;
		if (it->layers[i]->failed) {
			*e = it->layers[i]->err;
			ld->unsafe = true; /* a layer tar refused: 400 as an import's would be */
			return -1;
		}
		if (strcmp(it->layers[i]->res.diff_id, want) != 0)
			return err_invalid(
			    e, "invalid diffID for layer %zu: expected \"%s\", got \"%s\"", i, want,
			    it->layers[i]->res.diff_id);
		it->diff_ids[i] = str_dup(want);
	}
	return 0;
}

static int item_tags(struct ld_item *it, const json_t *tags, struct err *e)
{
	size_t i;
	json_t *t;
	it->tags = xcalloc(json_array_size(tags) + 1, sizeof(*it->tags));
	json_array_foreach (tags, i, t) {
		const char *s = json_string_value(t);
		struct image_ref *ref = &it->tags[it->n_tags];
		if (!s || image_ref_parse(s, ref, NULL) < 0)
			return err_invalid(e, "invalid reference \"%s\"", s ? s : "");
		it->n_tags++;
		if (!ref->tag || ref->digest)
			return err_invalid(e, "invalid tag \"%s\"", s);
	}
	return 0;
}

static int plan_add(struct image_load *ld, struct ld_plan *p, const char *config,
		    const json_t *layers, const json_t *tags, struct err *e)
{
	p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	struct ld_item *it = &p->v[p->n++];
	memset(it, 0, sizeof(*it));
	struct ld_layer *l;
	if (!config)
		return err_invalid(e, "invalid manifest: no Config");
	if (load_lookup(ld, config, &it->cfg, &l, e) < 0)
		return -1;
	if (!it->cfg)
		return err_invalid(e, "invalid archive: %s is not an image config", config);
	image_sha256_buf(it->cfg->data, it->cfg->len, it->id);
	_cleanup_json_ json_t *cfg = jx_loads(it->cfg->data, it->cfg->len, e);
	if (!cfg || !json_is_object(cfg))
		return cfg ? err_invalid(e, "invalid image config %s", config)
			   : err_wrap(e, "image config %s", config);
	const char *os = json_string_value(json_object_get(cfg, "os"));
	if (os && *os && strcmp(os, "linux") != 0)
		return err_invalid(
		    e, "image operating system \"%s\" cannot be used on this platform", os);
	if (item_layers(ld, it, cfg, layers, e) < 0)
		return -1;
	return json_is_array(tags) ? item_tags(it, tags, e) : 0;
}

static int plan_docker(struct image_load *ld, struct ld_plan *p, struct ld_blob *m, struct err *e)
{
	_cleanup_json_ json_t *j = jx_loads(m->data, m->len, e);
	if (!j)
		return err_wrap(e, "manifest.json");
	if (!json_is_array(j))
		return err_invalid(e, "invalid manifest.json: expected an array");
	size_t i;
	json_t *item;
	json_array_foreach (j, i, item) {
		if (plan_add(ld, p, json_string_value(json_object_get(item, "Config")),
			     json_object_get(item, "Layers"), json_object_get(item, "RepoTags"),
			     e) < 0)
			return -1;
	}
	return 0;
}

static json_t *oci_blob(struct image_load *ld, const json_t *desc, struct err *e)
{
	const char *d = json_string_value(json_object_get(desc, "digest"));
	if (!d || image_digest_validate(d, NULL) < 0) {
		err_invalid(e, "invalid OCI descriptor digest");
		return NULL;
	}
	_cleanup_free_ char *path = str_printf("blobs/sha256/%s", image_digest_hex(d));
	struct ld_blob *b;
	struct ld_layer *l;
	if (load_lookup(ld, path, &b, &l, e) < 0)
		return NULL;
	if (!b) {
		err_invalid(e, "invalid archive: %s is not JSON", path);
		return NULL;
	}
	return jx_loads(b->data, b->len, e);
}

/* The image's name: containerd's annotation, else an OCI ref.name that is a full tagged
 * reference ("busybox:1"; a bare "1" names no repository). */
static const char *oci_image_name(const json_t *annotations)
{
	const char *n = json_string_value(json_object_get(annotations, "io.containerd.image.name"));
	if (n)
		return n;
	n = json_string_value(json_object_get(annotations, "org.opencontainers.image.ref.name"));
	struct image_ref ref;
	if (!n || image_ref_parse(n, &ref, NULL) < 0)
		return NULL;
	bool tagged = ref.tag != NULL;
	image_ref_release(&ref);
	return tagged ? n : NULL;
}

/* One index entry: an image manifest (or a nested index: its first linux manifest). */
static int plan_oci_desc(struct image_load *ld, struct ld_plan *p, const json_t *desc, int depth,
			 struct err *e)
{
	_cleanup_json_ json_t *m = oci_blob(ld, desc, e);
	if (!m)
		return -1;
	json_t *sub = json_object_get(m, "manifests");
	if (json_is_array(sub) && depth < 2) {
		size_t i;
		json_t *d;
		json_array_foreach (sub, i, d) {
			const char *os = json_string_value(
			    json_object_get(json_object_get(d, "platform"), "os"));
			if (!os || !strcmp(os, "linux"))
				return plan_oci_desc(ld, p, d, depth + 1, e);
		}
		return err_invalid(e, "invalid OCI index: no linux image");
	}
	json_t *paths = json_array();
	size_t i;
	json_t *l;
	json_array_foreach (json_object_get(m, "layers"), i, l) {
		const char *d = json_string_value(json_object_get(l, "digest"));
		json_array_append_new(
		    paths, json_sprintf("blobs/sha256/%s", d ? image_digest_hex(d) : ""));
	}
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	_cleanup_free_ char *config =
	    cd ? str_printf("blobs/sha256/%s", image_digest_hex(cd)) : NULL;
	const char *name = oci_image_name(json_object_get(desc, "annotations"));
	_cleanup_json_ json_t *tags = name ? json_pack("[s]", name) : json_array();
	int r = plan_add(ld, p, config, paths, tags, e);
	json_decref(paths);
	return r;
}

static int plan_build(struct image_load *ld, struct ld_plan *p, struct err *e)
{
	struct ld_blob *m = NULL;
	struct ld_layer *l;
	struct err ignore = ERR_INIT;
	if (load_lookup(ld, "manifest.json", &m, &l, &ignore) == 0 && m)
		return plan_docker(ld, p, m, e);
	if (load_lookup(ld, "index.json", &m, &l, &ignore) < 0 || !m)
		return err_invalid(e, "invalid archive: no manifest.json or index.json: not an "
				      "image archive");
	_cleanup_json_ json_t *idx = jx_loads(m->data, m->len, e);
	if (!idx)
		return err_wrap(e, "index.json");
	size_t i;
	json_t *d;
	json_array_foreach (json_object_get(idx, "manifests"), i, d) {
		if (plan_oci_desc(ld, p, d, 0, e) < 0)
			return -1;
	}
	return p->n ? 0 : err_invalid(e, "invalid archive: index.json lists no image");
}

struct copy_job {
	int fd;
	const struct ld_layer *l;
	const char *src;
	struct err err;
	int rc;
};

static int fd_sink(void *arg, const void *data, size_t len, struct err *e)
{
	const char *p = data;
	int fd = *(int *)arg;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(e, "copy layer");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *copy_writer(void *arg)
{
	struct copy_job *j = arg;
	j->rc = j->l->split ? image_tarsplit_replay(j->l->split, j->l->split_len, j->src, fd_sink,
						    &j->fd, &j->err)
			    : image_layer_tar_write(j->src, fd_sink, &j->fd, &j->err);
	close(TAKE_FD(j->fd));
	return NULL;
}

/* The same diff under a second parent (identical empty layers at two places, say): a copy of
 * the registered layer, made through its tar, into a new temporary directory. */
static int copy_layer(struct image_load *ld, struct ld_layer *l, const char *diff_id, char **tmp,
		      struct image_tar_result *res, struct err *e)
{
	static unsigned n;
	*tmp = str_printf("%s/copy-%u", ld->tmp, __atomic_add_fetch(&n, 1, __ATOMIC_RELAXED));
	_cleanup_free_ char *diff = str_printf("%s/diff", *tmp);
	_cleanup_free_ char *src = image_store_layer_path(ld->s, l->chain);
	int p[2];
	if (mkdir(*tmp, 0700) < 0 || mkdir(diff, 0755) < 0 || pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, "copy layer %s", diff_id);
	struct copy_job j = {.fd = p[1], .l = l, .src = src, .rc = -1};
	pthread_t t;
	int r = pthread_create(&t, NULL, copy_writer, &j);
	if (r != 0) {
		close(p[0]);
		close(p[1]);
		return err_errno(e, r, "start copy thread");
	}
	int xr = image_tar_extract(p[0], diff, res, e);
	close(p[0]);
	pthread_join(t, NULL);
	if (j.rc < 0) {
		*e = j.err;
		return -1;
	}
	if (xr < 0)
		return -1;
	snprintf(res->diff_id, sizeof(res->diff_id), "%s", diff_id); /* same files */
	return 0;
}

/* mu held: a layer of the archive registered under chain (a copy when already used). */
static int register_layer_locked(struct image_load *ld, struct ld_layer *l, const char *parent,
				 const char *diff_id, char *chain, struct err *e)
{
	_cleanup_free_ char *copy = NULL;
	struct image_tar_result res = l->res;
	if (l->used && copy_layer(ld, l, diff_id, &copy, &res, e) < 0)
		return -1;
	const char *tmp = copy ? copy : l->tmp;
	_cleanup_free_ char *sp = str_printf("%s/tar-split", tmp);
	if (l->split && !strcmp(l->split_digest, diff_id) &&
	    store_write_file(sp, l->split, l->split_len, 0600, e) < 0)
		return -1;
	if (layer_register_locked(ld->s, tmp, parent, &res, chain, e) < 0)
		return -1;
	if (!l->used) {
		memcpy(l->chain, chain, sizeof(l->chain));
		json_array_append_new(ld->added, json_pack("{s:s, s:I}", "id", diff_id, "size",
							   (json_int_t)l->res.input));
	}
	l->used = true;
	return 0;
}

/* mu held: layers bottom up (present ones reused), then the config. */
static int commit_item_locked(struct image_load *ld, struct ld_item *it, struct err *e)
{
	struct image_store *s = ld->s;
	char parent[IMAGE_DIGEST_LEN + 1] = "", chain[IMAGE_DIGEST_LEN + 1];
	for (size_t i = 0; i < it->n; i++) {
		image_chain_id(i ? parent : NULL, it->diff_ids[i], chain);
		if (!json_object_get(s->layers, chain) &&
		    register_layer_locked(ld, it->layers[i], i ? parent : NULL, it->diff_ids[i],
					  chain, e) < 0)
			return -1;
		memcpy(parent, chain, sizeof(parent));
	}
	if (store_find_locked(s, it->id))
		return 0;
	_cleanup_free_ char *path =
	    str_printf("%s/%s.json", s->configs_dir, image_digest_hex(it->id));
	if (store_write_file(path, it->cfg->data, it->cfg->len, 0600, e) < 0)
		return -1;
	struct image *img = image_from_config(s, it->id, it->cfg->data, it->cfg->len, e);
	if (!img) {
		unlink(path);
		return -1;
	}
	store_add_locked(s, img);
	return 0;
}

static int tag_item(struct image_load *ld, struct ld_item *it, struct image_load_result *res,
		    struct err *e)
{
	for (size_t k = 0; k < it->n_tags; k++) {
		struct image_ref *ref = &it->tags[k];
		_cleanup_free_ char *full = image_ref_string(ref);
		_cleanup_free_ char *fam = image_ref_familiar(ref);
		pthread_mutex_lock(&ld->s->mu);
		_cleanup_free_ char *old =
		    str_dup(json_string_value(json_object_get(ld->s->refs, full)));
		pthread_mutex_unlock(&ld->s->mu);
		if (old && strcmp(old, it->id) != 0)
			strv_push_take(&res->lines,
				       str_printf("The image %s already exists, renaming the old "
						  "one with ID %s to empty string\n",
						  fam, old));
		if (image_store_tag(ld->s, it->id, ref, e) < 0)
			return -1;
		strv_push_take(&res->lines, str_printf("Loaded image: %s\n", fam));
	}
	if (!it->n_tags)
		strv_push_take(&res->lines, str_printf("Loaded image ID: %s\n", it->id));
	for (char **p = res->ids; *p; p++)
		if (!strcmp(*p, it->id))
			return 0;
	strv_push(&res->ids, it->id);
	return 0;
}

int load_commit(struct image_load *ld, struct image_load_result *res, struct err *e)
{
	struct ld_plan p = {0};
	int r = plan_build(ld, &p, e);
	if (r < 0) {
		res->unsafe = ld->unsafe;
		plan_release(&p);
		return -1;
	}
	pthread_mutex_lock(&ld->s->mu);
	for (size_t i = 0; i < p.n && r == 0; i++)
		r = commit_item_locked(ld, &p.v[i], e);
	if (r < 0)
		layer_gc_locked(ld->s, NULL, NULL); /* layers registered for nothing go */
	pthread_mutex_unlock(&ld->s->mu);
	for (size_t i = 0; i < p.n && r == 0; i++)
		r = tag_item(ld, &p.v[i], res, e);
	plan_release(&p);
	return r;
}
