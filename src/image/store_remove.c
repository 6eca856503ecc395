/* image/store_remove: `docker rmi` semantics (moby's ImageDelete): untag a reference or
 * delete by ID, with the same conflict rules and messages, then prune untagged parents. */
#include <stdlib.h>
#include <string.h>

#include "image/store_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

enum {
	CONFLICT_CHILD = 1,	/* hard */
	CONFLICT_RUNNING = 2,	/* hard */
	CONFLICT_REFERENCE = 4, /* soft */
	CONFLICT_STOPPED = 8,	/* soft */
	CONFLICT_HARD = CONFLICT_CHILD | CONFLICT_RUNNING,
	CONFLICT_SOFT = CONFLICT_REFERENCE | CONFLICT_STOPPED,
};

struct rm_ctx {
	struct image_store *s;
	image_usage_fn used;
	void *arg;
	struct image_rm_result *res;
};

static void record(struct rm_ctx *c, bool deleted, const char *ref, const char *id)
{
	struct image_rm_result *r = c->res;
	r->items = xrealloc(r->items, (r->n + 1) * sizeof(*r->items));
	struct image_rm_item *it = &r->items[r->n++];
	it->deleted = deleted;
	it->ref = str_dup(ref);
	snprintf(it->id, sizeof(it->id), "%s", id);
}

void image_rm_result_release(struct image_rm_result *res)
{
	for (size_t i = 0; res && i < res->n; i++)
		free(res->items[i].ref);
	if (res)
		free(res->items);
}

static bool has_children_locked(struct image_store *s, const char *id)
{
	for (size_t i = 0; i < s->n_images; i++)
		if (str_eq(s->images[i]->parent, id))
			return true;
	return false;
}

/* Returns 0, or -1 with the conflict in e; *used tells whether a container caused it. */
static int check_conflict(struct rm_ctx *c, const char *id, int mask, bool *used, struct err *e)
{
	const char *hex = image_digest_hex(id);
	char cid[80] = "";
	bool running = false;
	bool in_use = c->used && c->used(id, c->arg, cid, sizeof(cid), &running);
	*used = false;
	if ((mask & CONFLICT_CHILD) && has_children_locked(c->s, id))
		return err_conflict(e,
				    "conflict: unable to delete %.12s (cannot be forced) - image "
				    "has dependent child images",
				    hex);
	if ((mask & CONFLICT_RUNNING) && in_use && running) {
		*used = true;
		return err_conflict(e,
				    "conflict: unable to delete %.12s (cannot be forced) - image "
				    "is being used by running container %.12s",
				    hex, cid);
	}
	_cleanup_strv_ char **refs = refs_of_locked(c->s, id);
	if ((mask & CONFLICT_REFERENCE) && refs[0])
		return err_conflict(e,
				    "conflict: unable to delete %.12s (must be forced) - image is "
				    "referenced in multiple repositories",
				    hex);
	if ((mask & CONFLICT_STOPPED) && in_use && !running) {
		*used = true;
		return err_conflict(e,
				    "conflict: unable to delete %.12s (must be forced) - image is "
				    "being used by stopped container %.12s",
				    hex, cid);
	}
	return 0;
}

static int untag_locked(struct rm_ctx *c, const char *full, const char *id, struct err *e)
{
	json_object_del(c->s->refs, full);
	if (refs_save_locked(c->s, e) < 0)
		return -1;
	_cleanup_free_ char *fam = image_ref_familiarize(full);
	record(c, false, fam ? fam : full, id);
	return 0;
}

/* imageStore.Delete: the config, its metadata, then the layers nobody uses any more. */
static int delete_image_locked(struct rm_ctx *c, struct image *img, struct err *e)
{
	struct image_store *s = c->s;
	_cleanup_free_ char *cfg =
	    str_printf("%s/%s.json", s->configs_dir, image_digest_hex(img->id));
	if (store_remove_file(cfg, e) < 0)
		return -1;
	json_object_del(s->meta, img->id);
	meta_save_locked(s, img->id, NULL);
	record(c, true, img->id, img->id);
	_cleanup_strv_ char **removed = xcalloc(1, sizeof(char *));
	store_drop_locked(s, img->id);
	int r = layer_gc_locked(s, &removed, e);
	/* top layer first, as Docker lists them */
	for (size_t i = img->layers; i-- > 0;)
		for (char **p = removed; *p; p++)
			if (!strcmp(*p, img->chain_ids[i]))
				record(c, true, *p, img->id);
	return r;
}

static int delete_helper(struct rm_ctx *c, const char *id, bool force, bool prune, bool quiet,
			 struct err *e)
{
	struct image *img = store_find_locked(c->s, id);
	if (!img)
		return err_notfound(e, "No such image: %s", id);
	bool used;
	if (check_conflict(c, id, CONFLICT_HARD | (force ? 0 : CONFLICT_SOFT), &used, e) < 0) {
		_cleanup_strv_ char **refs = refs_of_locked(c->s, id);
		bool dangling = !refs[0] && !has_children_locked(c->s, id);
		if (quiet && (!dangling || used)) {
			err_clear(e);
			return 0;
		}
		return -1;
	}
	_cleanup_free_ char *parent = str_dup(img->parent);
	_cleanup_strv_ char **refs = refs_of_locked(c->s, id);
	for (char **r = refs; *r; r++)
		if (untag_locked(c, *r, id, e) < 0)
			return -1;
	/* Forced past a stopped container: its root still stands on the image's layers, so
	 * the image stays (untagged, dangling) until that container is gone. */
	char cid[80] = "";
	bool running = false;
	if (c->used && c->used(id, c->arg, cid, sizeof(cid), &running))
		return 0;
	struct image *held = image_hold(img);
	int r = delete_image_locked(c, held, e);
	image_put(held);
	if (r < 0 || !prune || !parent)
		return r;
	return delete_helper(c, parent, false, true, true, e);
}

/* isSingleReference: one tag, plus possibly digests of that same repository. */
static bool single_reference(char **refs)
{
	size_t n = strv_len(refs);
	if (n <= 1)
		return n == 1;
	const char *single = NULL;
	_cleanup_json_ json_t *canonical = json_object();
	for (char **r = refs; *r; r++) {
		const char *at = strchr(*r, '@');
		if (at) {
			_cleanup_free_ char *name = str_ndup(*r, (size_t)(at - *r));
			json_object_set_new(canonical, name, json_true());
		} else if (!single) {
			single = *r;
		} else {
			return false;
		}
	}
	if (!single)
		single = refs[0];
	size_t len = strcspn(single, "@");
	const char *colon = memrchr(single, ':', len);
	const char *slash = memrchr(single, '/', len);
	if (colon && (!slash || colon > slash))
		len = (size_t)(colon - single);
	_cleanup_free_ char *name = str_ndup(single, len);
	return json_object_size(canonical) == 1 && json_object_get(canonical, name);
}

static bool is_id_prefix(const char *id, const char *name)
{
	return str_has_prefix(id, name) || str_has_prefix(image_digest_hex(id), name);
}

/* Drops digest references of the repository of a removed tag when no tag of it is left. */
static int untag_digests_locked(struct rm_ctx *c, const struct image_ref *ref, const char *id,
				struct err *e)
{
	_cleanup_free_ char *name = image_ref_name(ref);
	size_t nlen = strlen(name);
	_cleanup_strv_ char **refs = refs_of_locked(c->s, id);
	for (char **r = refs; *r; r++)
		if (!strncmp(*r, name, nlen) && (*r)[nlen] == ':')
			return 0;
	for (char **r = refs; *r; r++)
		if (!strncmp(*r, name, nlen) && (*r)[nlen] == '@' && untag_locked(c, *r, id, e) < 0)
			return -1;
	return 0;
}

/* A reference was given: remove it; returns 1 when other references keep the image. */
static int remove_ref_locked(struct rm_ctx *c, const char *name, const char *id, bool force,
			     struct err *e)
{
	_cleanup_strv_ char **refs = refs_of_locked(c->s, id);
	char cid[80] = "";
	bool running;
	if (!force && single_reference(refs) && c->used &&
	    c->used(id, c->arg, cid, sizeof(cid), &running))
		return err_conflict(e,
				    "conflict: unable to remove repository reference \"%s\" (must "
				    "force) - container %.12s is using its referenced image %.12s",
				    name, cid, image_digest_hex(id));
	struct image_ref ref;
	if (image_ref_parse(name, &ref, e) < 0)
		return -1;
	image_ref_default_tag(&ref);
	_cleanup_free_ char *full = image_ref_string(&ref);
	int r = 0;
	if (!json_object_get(c->s->refs, full))
		r = err_notfound(e, "No such image: %s", name);
	if (r == 0)
		r = untag_locked(c, full, id, e);
	if (r == 0 && !ref.digest)
		r = untag_digests_locked(c, &ref, id, e);
	image_ref_release(&ref);
	if (r < 0)
		return -1;
	_cleanup_strv_ char **left = refs_of_locked(c->s, id);
	return left[0] ? 1 : 0;
}

static int remove_locked(struct rm_ctx *c, const char *name, bool force, bool prune, struct err *e)
{
	struct image *img = store_get_locked(c->s, name, e);
	if (!img)
		return -1;
	char id[IMAGE_DIGEST_LEN + 1];
	snprintf(id, sizeof(id), "%s", img->id);
	bool quiet = false;
	if (!is_id_prefix(id, name)) {
		int r = remove_ref_locked(c, name, id, force, e);
		if (r != 0)
			return r < 0 ? -1 : 0;
		quiet = true;
	} else {
		_cleanup_strv_ char **refs = refs_of_locked(c->s, id);
		if (single_reference(refs)) {
			bool used;
			int mask = CONFLICT_HARD | (force ? 0 : CONFLICT_STOPPED);
			if (check_conflict(c, id, mask, &used, e) < 0)
				return -1;
			for (char **r = refs; *r; r++)
				if (untag_locked(c, *r, id, e) < 0)
					return -1;
		}
	}
	return delete_helper(c, id, force, prune, quiet, e);
}

int image_store_remove(struct image_store *s, const char *name, bool force, bool prune,
		       image_usage_fn used, void *arg, struct image_rm_result *res, struct err *e)
{
	memset(res, 0, sizeof(*res));
	struct rm_ctx c = {s, used, arg, res};
	pthread_mutex_lock(&s->mu);
	int r = remove_locked(&c, name, force, prune, e);
	pthread_mutex_unlock(&s->mu);
	return r;
}
