/* engine/image: image operations as the API sees them: argument checks in dockerd's order,
 * the image store underneath, and the image events (tag, untag, delete, import). */
#include <stdlib.h>
#include <string.h>

#include "engine/container_priv.h"
#include "engine/engine_priv.h"
#include "engine/image_priv.h"
#include "image/archive.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* LogImageEvent: attributes are the name plus the image's labels (img, when the caller has
 * it, else looked up: gone images have none). */
static void image_event_of(struct engine *eng, struct image *img, const char *id, const char *name,
			   const char *action)
{
	json_t *attrs = json_object();
	struct image *held = img ? image_hold(img) : image_store_get(eng->images, id, NULL);
	if (held) {
		const char *k;
		json_t *v;
		json_object_foreach (json_object_get(image_container_config(held), "Labels"), k,
				     v) {
			if (json_is_string(v))
				json_object_set(attrs, k, v);
		}
		image_put(held);
	}
	json_object_set_new(attrs, "name", json_string(name));
	engine_event_publish(eng, "image", action, id, attrs);
}

static void image_event(struct engine *eng, const char *id, const char *name, const char *action)
{
	image_event_of(eng, NULL, id, name, action);
}

struct image *engine_image_get(struct engine *eng, const char *name, struct err *e)
{
	return image_store_get(eng->images, name, e);
}

struct image **engine_image_list(struct engine *eng, size_t *n)
{
	return image_store_list(eng->images, n);
}

char **engine_image_refs(struct engine *eng, const char *id)
{
	return image_store_refs(eng->images, id);
}

char *engine_image_last_tag_time(struct engine *eng, const char *id)
{
	return image_store_last_tag_time(eng->images, id);
}

bool engine_image_has_children(struct engine *eng, const char *id)
{
	return image_store_has_children(eng->images, id);
}

char *engine_image_layer_path(struct engine *eng, const char *chain_id)
{
	return image_store_layer_path(eng->images, chain_id);
}

int engine_image_repo_ref(const char *repo, const char *tag, struct image_ref *ref, bool trim,
			  struct err *e)
{
	if (image_ref_parse(repo ? repo : "", ref, e) < 0)
		return -1;
	if (ref->digest) {
		image_ref_release(ref);
		return err_invalid(e, trim ? "refusing to create a tag with a digest reference"
					   : "cannot import digest reference");
	}
	if (tag && *tag && image_ref_set_tag(ref, tag, e) < 0) {
		image_ref_release(ref);
		return -1;
	}
	image_ref_default_tag(ref);
	return 0;
}

char *engine_image_tag_id(struct engine *eng, const char *img_id, const struct image_ref *ref,
			  struct err *e)
{
	if (image_store_tag(eng->images, img_id, ref, e) < 0)
		return NULL;
	char *fam = image_ref_familiar(ref);
	image_event(eng, img_id, fam, "tag");
	return fam;
}

char *engine_image_tag(struct engine *eng, const char *name, const char *repo, const char *tag,
		       struct err *e)
{
	struct image_ref ref;
	if (engine_image_repo_ref(repo, tag, &ref, true, e) < 0)
		return NULL;
	struct image *img = image_store_get(eng->images, name, e);
	char *fam = img ? engine_image_tag_id(eng, img->id, &ref, e) : NULL;
	image_put(img);
	image_ref_release(&ref);
	return fam;
}

int engine_image_remove(struct engine *eng, const char *name, bool force, bool prune,
			struct image_rm_result *res, struct err *e)
{
	/* Events carry the labels: look them up before the image is gone. */
	struct image *img = image_store_get(eng->images, name, NULL);
	int r =
	    image_store_remove(eng->images, name, force, prune, container_image_used, eng, res, e);
	for (size_t i = 0; i < res->n; i++) {
		const struct image_rm_item *it = &res->items[i];
		struct image *known = img && !strcmp(img->id, it->id) ? img : NULL;
		if (!it->deleted)
			image_event_of(eng, known, it->id, it->id, "untag");
		else if (!strcmp(it->ref, it->id))
			image_event_of(eng, known, it->id, it->id, "delete");
	}
	image_put(img);
	return r;
}

struct engine_import {
	struct engine *eng;
	struct image_import *imp;
	struct image_ref ref;
	bool tagged;
	struct image_tarsplit *ts; /* so that save rebuilds the exact tar (same diff ID) */
	char *url;		   /* fromSrc=URL: fetched by engine_image_import_fetch */
};

static int parse_platform(const char *p, const char **os, const char **arch, struct err *e)
{
	*os = "linux";
	*arch = image_host_arch();
	if (!p || !*p)
		return 0;
	if (strcmp(p, "linux") != 0 && !str_has_prefix(p, "linux/"))
		return err_invalid(e,
				   "\"%s\": unknown operating system or architecture: operating "
				   "system is not supported",
				   p);
	if (p[5] == '/' && strcmp(p + 6, *arch) != 0 && !str_has_prefix(p + 6, *arch))
		return err_invalid(e,
				   "image with reference %s was found but does not match the "
				   "specified platform: wanted %s",
				   "import", p);
	return 0;
}

static int import_setup(struct engine_import *ei, const struct engine_import_opts *o, struct err *e)
{
	const char *os, *arch;
	if (o->repo && *o->repo) {
		if (engine_image_repo_ref(o->repo, o->tag, &ei->ref, false, e) < 0)
			return -1;
		ei->tagged = true;
	}
	const char *src = o->src ? o->src : "-";
	if (!*src)
		return err_invalid(e, "import: fromSrc is required (\"-\" or a URL)");
	if (strcmp(src, "-") != 0)
		ei->url = image_fetch_url(src);
	if (parse_platform(o->platform, &os, &arch, e) < 0)
		return -1;
	_cleanup_free_ char *comment =
	    o->message && *o->message ? str_dup(o->message)
				      : str_printf("Imported from %s", ei->url ? ei->url : "-");
	struct image_import_opts io = {comment, o->changes, BERTH_VERSION, os, arch};
	ei->imp = image_import_start(ei->eng->images, &io, e);
	return ei->imp ? 0 : -1;
}

struct engine_import *engine_image_import_start(struct engine *eng,
						const struct engine_import_opts *o, struct err *e)
{
	struct engine_import *ei = xcalloc(1, sizeof(*ei));
	ei->eng = eng;
	ei->ts = image_tarsplit_new();
	image_tarsplit_trust_plain(ei->ts); /* the extraction hashes a plain tar already */
	if (import_setup(ei, o, e) < 0) {
		engine_image_import_free(ei);
		return NULL;
	}
	return ei;
}

int engine_image_import_write(struct engine_import *ei, const void *data, size_t len)
{
	image_tarsplit_feed(ei->ts, data, len);
	return image_import_write(ei->imp, data, len);
}

const char *engine_image_import_url(const struct engine_import *ei)
{
	return ei->url;
}

struct fetch_ctx {
	struct engine_import *ei;
	image_fetch_progress_fn *progress;
	void *arg;
	bool cancelled;
};

static int fetch_sink(void *arg, const void *data, size_t len)
{
	struct fetch_ctx *f = arg;
	return engine_image_import_write(f->ei, data, len);
}

static int fetch_progress(void *arg, int64_t current, int64_t total)
{
	struct fetch_ctx *f = arg;
	if (f->progress && f->progress(f->arg, current, total) < 0)
		f->cancelled = true;
	return f->cancelled ? -1 : 0;
}

int engine_image_import_fetch(struct engine_import *ei, image_fetch_progress_fn *progress,
			      void *arg, struct err *e)
{
	struct fetch_ctx f = {ei, progress, arg, false};
	int r = image_fetch(ei->url, fetch_sink, fetch_progress, &f, e);
	if (f.cancelled)
		return err_set(e, ERR_INTERNAL, 0, "import from %s: cancelled", ei->url);
	/* 1 otherwise: the extraction stopped; its error comes from the finish */
	return r < 0 ? -1 : 0;
}

/* The recorded split goes with the layer (kept only when it hashes to the diff ID). */
static void import_keep_split(struct engine_import *ei, const struct image *img)
{
	char digest[IMAGE_DIGEST_LEN + 1];
	size_t len;
	_cleanup_free_ char *split = image_tarsplit_finish(ei->ts, &len, digest);
	if (split && img->layers == 1)
		image_store_layer_set_split(ei->eng->images, img->chain_ids[0],
					    digest[0] ? digest : img->diff_ids[0], split, len,
					    NULL);
}

struct image *engine_image_import_finish(struct engine_import *ei, struct err *e)
{
	struct image *img = image_import_finish(ei->imp, e);
	if (!img)
		return NULL;
	import_keep_split(ei, img);
	if (ei->tagged) {
		if (image_store_tag(ei->eng->images, img->id, &ei->ref, e) < 0) {
			image_put(img);
			return NULL;
		}
		_cleanup_free_ char *fam = image_ref_familiar(&ei->ref);
		image_event(ei->eng, img->id, fam, "tag");
	}
	image_event(ei->eng, img->id, img->id, "import");
	return img;
}

void engine_image_import_free(struct engine_import *ei)
{
	if (!ei)
		return;
	image_import_free(ei->imp);
	image_tarsplit_free(ei->ts);
	image_ref_release(&ei->ref);
	free(ei->url);
	free(ei);
}
