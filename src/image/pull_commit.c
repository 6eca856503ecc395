/* image/pull_commit: the run of a resolved pull: progress for each layer, the downloads, then
 * layers, config and references registered under the store lock at once (a kill before that
 * leaves only a temporary directory, removed at the next start), then the final messages. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/pull_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

/* mu held: which layers the store has already (by chain ID). */
static void mark_present_locked(struct image_pull *p)
{
	char parent[IMAGE_DIGEST_LEN + 1] = "", chain[IMAGE_DIGEST_LEN + 1];
	for (size_t i = 0; i < p->n; i++) {
		image_chain_id(i ? parent : NULL, p->layers[i].diff_id, chain);
		p->layers[i].present = json_object_get(p->s->layers, chain) != NULL;
		memcpy(parent, chain, sizeof(parent));
	}
}

/* mu held: the layers bottom up, then the image. */
static struct image *commit_locked(struct image_pull *p, struct err *e)
{
	struct image_store *s = p->s;
	char parent[IMAGE_DIGEST_LEN + 1] = "", chain[IMAGE_DIGEST_LEN + 1];
	for (size_t i = 0; i < p->n; i++) {
		struct pull_layer *l = &p->layers[i];
		image_chain_id(i ? parent : NULL, l->diff_id, chain);
		if (!json_object_get(s->layers, chain)) {
			if (l->present) {
				err_conflict(e, "layer %s was removed during the pull", l->diff_id);
				return NULL;
			}
			if (layer_register_locked(s, l->dir, i ? parent : NULL, &l->res, chain, e) <
			    0)
				return NULL;
		}
		memcpy(parent, chain, sizeof(parent));
	}
	struct image *img = store_find_locked(s, p->id);
	if (img)
		return image_hold(img);
	_cleanup_free_ char *path =
	    str_printf("%s/%s.json", s->configs_dir, image_digest_hex(p->id));
	if (store_write_file(path, p->config, p->config_len, 0600, e) < 0)
		return NULL;
	img = image_from_config(s, p->id, p->config, p->config_len, e);
	if (!img) {
		unlink(path);
		return NULL;
	}
	store_add_locked(s, img);
	return image_hold(img);
}

/* Points ref at the image; *updated when it pointed elsewhere before. */
static int set_ref(struct image_pull *p, const struct image_ref *ref, bool *updated, struct err *e)
{
	_cleanup_free_ char *full = image_ref_string(ref);
	pthread_mutex_lock(&p->s->mu);
	const char *old = json_string_value(json_object_get(p->s->refs, full));
	bool same = str_eq(old, p->id);
	pthread_mutex_unlock(&p->s->mu);
	if (!same)
		*updated = true;
	return same ? 0 : image_store_tag(p->s, p->id, ref, e);
}

static int set_refs(struct image_pull *p, bool *updated, struct err *e)
{
	struct image_ref by_digest = {p->ref.domain, p->ref.path, NULL, p->digest};
	bool digest_updated = false;
	if (p->ref.tag && set_ref(p, &p->ref, updated, e) < 0)
		return -1;
	if (set_ref(p, &by_digest, &digest_updated, e) < 0)
		return -1;
	if (!p->ref.tag)
		*updated = digest_updated;
	return 0;
}

static struct image *download_and_commit(struct image_pull *p, struct err *e)
{
	pthread_mutex_lock(&p->s->mu);
	mark_present_locked(p);
	bool have_image = store_find_locked(p->s, p->id) != NULL;
	pthread_mutex_unlock(&p->s->mu);
	bool any = false;
	for (size_t i = 0; i < p->n; i++) {
		struct pull_layer *l = &p->layers[i];
		if (!have_image) /* dockerd says nothing of the layers of an image it has */
			pull_emit(p, progress_layer(l->short_id, l->present ? "Already exists"
									    : "Pulling fs layer"));
		any = any || !l->present;
	}
	if (any) {
		p->tmp = str_printf("%s/" STORE_TMP_PREFIX "pull-XXXXXX", p->s->layers_dir);
		if (!mkdtemp(p->tmp)) {
			free(p->tmp);
			p->tmp = NULL;
			err_sys(e, "create temporary pull directory");
			return NULL;
		}
		if (pull_layers(p, e) < 0)
			return NULL;
	}
	pthread_mutex_lock(&p->s->mu);
	struct image *img = commit_locked(p, e);
	if (!img)
		layer_gc_locked(p->s, NULL, NULL); /* layers registered for nothing go */
	pthread_mutex_unlock(&p->s->mu);
	return img;
}

struct image *image_pull_run(struct image_pull *p, bool *was_updated, struct err *e)
{
	_cleanup_free_ char *from = str_printf("Pulling from %s", p->ref.path);
	pull_emit(p, json_pack("{s:s, s:s}", "status", from, "id", p->tag_or_digest));
	struct image *img = download_and_commit(p, e);
	if (p->tmp) { /* gone before the client hears how it ended */
		fs_rm_rf(p->tmp, NULL);
		free(p->tmp);
		p->tmp = NULL;
	}
	if (!img)
		return NULL;
	_cleanup_free_ char *repo = str_printf("%s/%s", p->ref.domain, p->ref.path);
	for (size_t i = 0; i < p->n; i++) {
		if (!p->layers[i].present)
			pull_emit(p, progress_layer(p->layers[i].short_id, "Pull complete"));
		/* a failed record only costs a later push a compression */
		image_distmeta_add(p->s, p->layers[i].diff_id, p->layers[i].digest, repo,
				   p->layers[i].size, NULL);
	}
	bool updated = false;
	if (set_refs(p, &updated, e) < 0) {
		image_put(img);
		return NULL;
	}
	_cleanup_free_ char *fam = image_ref_familiar(&p->ref);
	pull_emit(p, progress_status("Digest: %s", p->digest));
	if (!p->no_status)
		pull_emit(p, progress_status(
				 "Status: %s for %s",
				 updated ? "Downloaded newer image" : "Image is up to date", fam));
	if (was_updated)
		*was_updated = updated;
	return img;
}
