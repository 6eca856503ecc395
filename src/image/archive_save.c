/* image/archive_save: `docker save` as dockerd 25 writes it: blobs/sha256/<diff ID> (layer
 * tars, uncompressed), blobs/sha256/<config>, an OCI manifest per image, index.json,
 * oci-layout, manifest.json ([{Config, RepoTags, Layers}]) and repositories. Streamed: each
 * layer tar is produced while it is written, nothing of the image is staged on disk. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/archive.h"
#include "image/store_priv.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

struct save_img {
	struct image *img;
	char **refs; /* full tagged references */
};

struct image_save {
	struct image_store *s;
	struct save_img *v;
	size_t n;
	char **ids;
	json_t *written; /* diff IDs already in the archive */
};

static struct save_img *save_add(struct image_save *sv, struct image *img)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i].img->id, img->id))
			return &sv->v[i];
	sv->v = xrealloc(sv->v, (sv->n + 1) * sizeof(*sv->v));
	struct save_img *si = &sv->v[sv->n++];
	si->img = image_hold(img);
	si->refs = xcalloc(1, sizeof(char *));
	strv_push(&sv->ids, img->id);
	return si;
}

static void save_add_ref(struct image_save *sv, struct image *img, const char *full)
{
	struct save_img *si = save_add(sv, img);
	if (!full || strchr(full, '@'))
		return; /* digest references are not saved as tags */
	for (char **r = si->refs; *r; r++)
		if (!strcmp(*r, full))
			return;
	strv_push(&si->refs, full);
}

static int not_found(struct err *e)
{
	return err_notfound(e, "reference does not exist");
}

/* Every reference of a repository ("busybox": all its tags). */
static int resolve_repo_locked(struct image_save *sv, const struct image_ref *ref, const char *name,
			       struct err *e)
{
	_cleanup_free_ char *repo = image_ref_name(ref);
	size_t n = strlen(repo), found = 0;
	const char *k;
	json_t *v;
	json_object_foreach (sv->s->refs, k, v) {
		struct image *img = store_find_locked(sv->s, json_string_value(v));
		if (!img || strncmp(k, repo, n) != 0 || (k[n] != ':' && k[n] != '@'))
			continue;
		save_add_ref(sv, img, k);
		found++;
	}
	if (found)
		return 0;
	struct image *img = store_get_locked(sv->s, name, NULL);
	if (!img)
		return not_found(e);
	save_add(sv, img);
	return 0;
}

static int resolve_locked(struct image_save *sv, const char *name, struct err *e)
{
	struct image_ref ref;
	_cleanup_free_ char *digest = NULL;
	if (image_ref_parse_any(name, &ref, &digest, e) < 0)
		return -1;
	if (digest) {
		struct image *img = store_find_locked(sv->s, digest);
		if (!img)
			return err_notfound(e, "No such image: %s", digest);
		save_add(sv, img);
		return 0;
	}
	_cleanup_free_ char *fam = image_ref_familiar_name(&ref);
	int r = 0;
	if (!strcmp(fam, "sha256")) {
		struct image *img = store_get_locked(sv->s, name, e);
		r = img ? (save_add(sv, img), 0) : -1;
	} else if (!ref.tag && !ref.digest) {
		r = resolve_repo_locked(sv, &ref, name, e);
	} else {
		_cleanup_free_ char *full = image_ref_string(&ref);
		struct image *img =
		    store_find_locked(sv->s, json_string_value(json_object_get(sv->s->refs, full)));
		r = img ? (save_add_ref(sv, img, ref.digest ? NULL : full), 0) : not_found(e);
	}
	image_ref_release(&ref);
	return r;
}

struct image_save *image_save_prepare(struct image_store *s, char *const *names, struct err *e)
{
	struct image_save *sv = xcalloc(1, sizeof(*sv));
	sv->s = s;
	sv->ids = xcalloc(1, sizeof(char *));
	sv->written = json_object();
	int r = 0;
	pthread_mutex_lock(&s->mu);
	for (char *const *n = names; *n && r == 0; n++)
		r = resolve_locked(sv, *n, e);
	pthread_mutex_unlock(&s->mu);
	if (r == 0 && !sv->n)
		r = err_invalid(e, "no image names given");
	if (r < 0) {
		image_save_free(sv);
		return NULL;
	}
	return sv;
}

char *const *image_save_ids(const struct image_save *sv)
{
	return sv->ids;
}

void image_save_free(struct image_save *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++) {
		image_put(sv->v[i].img);
		strv_free(sv->v[i].refs);
	}
	free(sv->v);
	strv_free(sv->ids);
	json_decref(sv->written);
	free(sv);
}

/* --- writing --- */

struct out {
	struct archive *a;
	struct err *e;
};

static int out_error(struct out *o, const char *what)
{
	return err_set(o->e, ERR_INTERNAL, archive_errno(o->a), "save %s: %s", what,
		       archive_error_string(o->a));
}

static int out_header(struct out *o, const char *path, bool dir, int64_t size, int64_t mtime)
{
	struct archive_entry *ent = archive_entry_new();
	archive_entry_set_pathname(ent, path);
	archive_entry_set_filetype(ent, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(ent, dir ? 0755 : 0644);
	archive_entry_set_size(ent, dir ? 0 : size);
	archive_entry_set_mtime(ent, mtime, 0);
	int r = archive_write_header(o->a, ent);
	archive_entry_free(ent);
	return r < ARCHIVE_WARN ? out_error(o, path) : 0;
}

static int out_file(struct out *o, const char *path, const char *data, size_t len, int64_t mtime)
{
	if (out_header(o, path, false, (int64_t)len, mtime) < 0)
		return -1;
	if (len && archive_write_data(o->a, data, len) < 0)
		return out_error(o, path);
	return 0;
}

static int out_json(struct out *o, const char *path, const json_t *j, bool newline)
{
	_cleanup_free_ char *s = jx_dumps(j);
	_cleanup_free_ char *t = str_printf("%s%s", s, newline ? "\n" : "");
	return out_file(o, path, t, strlen(t), 0);
}

static int layer_sink(void *arg, const void *data, size_t len, struct err *e)
{
	struct out *o = arg;
	if (archive_write_data(o->a, data, len) < 0)
		return out_error(o, "layer");
	return 0;
}

/* The layers of si (each diff ID once per archive); descriptors appended to layers. */
static int write_layers(struct image_save *sv, struct out *o, struct save_img *si, json_t *layers)
{
	struct image *img = si->img;
	for (size_t i = 0; i < img->layers; i++) {
		int64_t size;
		char digest[IMAGE_DIGEST_LEN + 1];
		json_t *known = json_object_get(sv->written, img->diff_ids[i]);
		if (known) {
			size = json_integer_value(known);
		} else {
			if (image_store_layer_tar_info(sv->s, img->chain_ids[i], &size, digest,
						       o->e) < 0)
				return -1;
			_cleanup_free_ char *path =
			    str_printf("blobs/sha256/%s", image_digest_hex(img->diff_ids[i]));
			if (out_header(o, path, false, size, img->created / 1000000000) < 0 ||
			    image_store_layer_tar(sv->s, img->chain_ids[i], layer_sink, o, o->e) <
				0)
				return -1;
			json_object_set_new(sv->written, img->diff_ids[i], json_integer(size));
		}
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:I}", "mediaType",
						"application/vnd.oci.image.layer.v1.tar", "digest",
						img->diff_ids[i], "size", (json_int_t)size));
	}
	return 0;
}

/* Config blob, OCI manifest blob; index.json descriptors and the manifest.json item. */
static int write_image(struct image_save *sv, struct out *o, struct save_img *si, json_t *index,
		       json_t *manifest, json_t *repos)
{
	struct image *img = si->img;
	json_t *layers = json_array();
	_cleanup_json_ json_t *m =
	    json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
		      "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
		      "application/vnd.oci.image.config.v1+json", "digest", img->id, "size",
		      (json_int_t)0, "layers", layers);
	if (write_layers(sv, o, si, layers) < 0)
		return -1;
	_cleanup_free_ char *cpath =
	    str_printf("%s/%s.json", sv->s->configs_dir, image_digest_hex(img->id));
	size_t clen;
	_cleanup_free_ char *cfg = fs_read_file(cpath, &clen, o->e);
	_cleanup_free_ char *cblob = str_printf("blobs/sha256/%s", image_digest_hex(img->id));
	if (!cfg || out_file(o, cblob, cfg, clen, img->created / 1000000000) < 0)
		return -1;
	json_object_set_new(json_object_get(m, "config"), "size", json_integer((json_int_t)clen));
	_cleanup_free_ char *mraw = jx_dumps(m);
	char mdigest[IMAGE_DIGEST_LEN + 1];
	image_sha256_buf(mraw, strlen(mraw), mdigest);
	_cleanup_free_ char *mblob = str_printf("blobs/sha256/%s", image_digest_hex(mdigest));
	if (out_file(o, mblob, mraw, strlen(mraw), 0) < 0)
		return -1;
	json_t *tags = json_array(), *lpaths = json_array();
	for (size_t i = 0; i < img->layers; i++)
		json_array_append_new(
		    lpaths, json_sprintf("blobs/sha256/%s", image_digest_hex(img->diff_ids[i])));
	const char *top = img->layers ? image_digest_hex(img->diff_ids[img->layers - 1]) : "";
	for (char **r = si->refs; *r; r++) {
		struct image_ref ref;
		if (image_ref_parse(*r, &ref, NULL) < 0)
			continue;
		_cleanup_free_ char *fam = image_ref_familiar(&ref);
		_cleanup_free_ char *fname = image_ref_familiar_name(&ref);
		json_array_append_new(tags, json_string(fam));
		if (!json_object_get(repos, fname))
			json_object_set_new(repos, fname, json_object());
		json_object_set_new(json_object_get(repos, fname), ref.tag, json_string(top));
		json_array_append_new(index,
				      json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType",
						"application/vnd.oci.image.manifest.v1+json",
						"digest", mdigest, "size", (json_int_t)strlen(mraw),
						"annotations", "io.containerd.image.name", *r,
						"org.opencontainers.image.ref.name", ref.tag));
		image_ref_release(&ref);
	}
	if (!si->refs[0])
		json_array_append_new(index, json_pack("{s:s, s:s, s:I}", "mediaType",
						       "application/vnd.oci.image.manifest.v1+json",
						       "digest", mdigest, "size",
						       (json_int_t)strlen(mraw)));
	json_array_append_new(
	    manifest,
	    json_pack("{s:s+, s:o, s:o}", "Config", "blobs/sha256/", image_digest_hex(img->id),
		      "RepoTags", json_array_size(tags) ? tags : (json_decref(tags), json_null()),
		      "Layers", lpaths));
	return 0;
}

static int write_all_images(struct image_save *sv, struct out *o)
{
	_cleanup_json_ json_t *index = json_array(), *manifest = json_array(),
			      *repos = json_object();
	if (out_header(o, "blobs", true, 0, 0) < 0 || out_header(o, "blobs/sha256", true, 0, 0) < 0)
		return -1;
	for (size_t i = 0; i < sv->n; i++)
		if (write_image(sv, o, &sv->v[i], index, manifest, repos) < 0)
			return -1;
	_cleanup_json_ json_t *idx =
	    json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
		      "application/vnd.oci.image.index.v1+json", "manifests", index);
	_cleanup_json_ json_t *layout = json_pack("{s:s}", "imageLayoutVersion", "1.0.0");
	if (out_json(o, "index.json", idx, false) < 0 ||
	    out_json(o, "manifest.json", manifest, true) < 0 ||
	    out_json(o, "oci-layout", layout, false) < 0)
		return -1;
	if (json_object_size(repos) && out_json(o, "repositories", repos, true) < 0)
		return -1;
	return 0;
}

int image_save_write(struct image_save *sv, int fd, struct err *e)
{
	struct out o = {archive_write_new(), e};
	archive_write_set_format_pax_restricted(o.a);
	archive_write_set_bytes_in_last_block(o.a, 1);
	int r = -1;
	if (archive_write_open_fd(o.a, fd) != ARCHIVE_OK)
		out_error(&o, "open");
	else if (write_all_images(sv, &o) == 0)
		r = archive_write_close(o.a) == ARCHIVE_OK ? 0 : out_error(&o, "close");
	archive_write_free(o.a);
	return r;
}
