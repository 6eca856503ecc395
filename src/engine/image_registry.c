/* engine/image_registry: pull, push and login as the API asks for them: references parsed as
 * dockerd's postImagesCreate and postImagesPush do, credentials from X-Registry-Auth, the
 * daemon's insecure registries, and the pull/push events. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_priv.h"
#include "engine/image_registry.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* LogImageEvent: the image's labels plus the name. */
static void registry_event(struct engine *eng, const struct image *img, const char *id,
			   const char *name, const char *action)
{
	json_t *attrs = json_object();
	const char *k;
	json_t *v;
	json_object_foreach (json_object_get(image_container_config(img), "Labels"), k, v) {
		if (json_is_string(v))
			json_object_set(attrs, k, v);
	}
	json_object_set_new(attrs, "name", json_string(name));
	engine_event_publish(eng, "image", action, id, attrs);
}

static int check_platform(const char *p, struct err *e)
{
	if (!p || !*p || !strcmp(p, "linux"))
		return 0;
	_cleanup_free_ char *host = str_printf("linux/%s", image_host_arch());
	if (str_has_prefix(p, host) && (!p[strlen(host)] || p[strlen(host)] == '/'))
		return 0;
	return err_invalid(e,
			   "\"%s\": unknown operating system or architecture: operating "
			   "system is not supported",
			   p);
}

/* fromImage (a trailing ':' of `pull -a` dropped) with tag, which may be a digest; a name
 * alone (*all) means every tag, as dockerd's pullV2Repository does. */
static int pull_ref(const char *image, const char *tag, struct image_ref *ref, bool *all,
		    struct err *e)
{
	_cleanup_free_ char *name = str_dup(image ? image : "");
	size_t n = strlen(name);
	if (n && name[n - 1] == ':')
		name[n - 1] = '\0';
	if (image_ref_parse(name, ref, e) < 0)
		return -1;
	if (tag && *tag) {
		int r = 0;
		if (image_digest_validate(tag, NULL) == 0) {
			free(ref->tag);
			free(ref->digest);
			ref->tag = NULL;
			ref->digest = str_dup(tag);
		} else {
			r = image_ref_set_tag(ref, tag, e);
		}
		if (r < 0) {
			image_ref_release(ref);
			return -1;
		}
	}
	if (ref->digest) { /* a digest names the content: a tag beside it says nothing more */
		free(ref->tag);
		ref->tag = NULL;
	}
	*all = !ref->tag && !ref->digest;
	return 0;
}

struct engine_pull {
	struct engine *eng;
	struct image_ref ref;
	struct registry_auth auth;
	image_progress_fn *progress;
	void *arg;
	pthread_mutex_t mu;
	struct image_pull *pull; /* the one running (mu) */
	char **tags;		 /* pull -a: every tag, pulled one after the other */
	bool cancelled;
};

static void dist_opts(struct engine_pull *ep, const struct image_ref *ref,
		      struct image_dist_opts *d)
{
	*d = (struct image_dist_opts){.ref = ref,
				      .auth = &ep->auth,
				      .insecure = ep->eng->insecure_registries,
				      .progress = ep->progress,
				      .arg = ep->arg,
				      .no_status = ep->tags != NULL,
				      .mirrors = ep->eng->registry_mirrors};
}

struct engine_pull *engine_image_pull_start(struct engine *eng, const struct engine_pull_opts *o,
					    struct err *e)
{
	struct engine_pull *ep = xcalloc(1, sizeof(*ep));
	ep->eng = eng;
	ep->progress = o->progress;
	ep->arg = o->arg;
	pthread_mutex_init(&ep->mu, NULL);
	bool all;
	if (pull_ref(o->image, o->tag, &ep->ref, &all, e) < 0) {
		pthread_mutex_destroy(&ep->mu);
		free(ep);
		return NULL;
	}
	struct image_dist_opts d;
	dist_opts(ep, &ep->ref, &d);
	int r =
	    check_platform(o->platform, e) == 0 && registry_auth_decode(o->auth, &ep->auth, e) == 0
		? 0
		: -1;
	if (r == 0 && all)
		r = (ep->tags = image_pull_list_tags(&d, e)) ? 0 : -1;
	else if (r == 0)
		r = (ep->pull = image_pull_start(eng->images, &d, e)) ? 0 : -1;
	if (r < 0) {
		engine_image_pull_free(ep);
		return NULL;
	}
	return ep;
}

static void pull_event(struct engine_pull *ep, const struct image_ref *ref, struct image *img)
{
	_cleanup_free_ char *fam = image_ref_familiar(ref);
	_cleanup_free_ char *name = image_ref_familiar_name(ref);
	registry_event(ep->eng, img, fam, name, "pull");
}

/* pull -a: each tag in turn, then one Status line for the repository. */
static struct image *pull_all(struct engine_pull *ep, struct err *e)
{
	struct image *img = NULL;
	bool any_updated = false;
	for (char **t = ep->tags; *t; t++) {
		struct image_ref ref = {ep->ref.domain, ep->ref.path, *t, NULL};
		struct image_dist_opts d;
		dist_opts(ep, &ref, &d);
		struct image_pull *p = image_pull_start(ep->eng->images, &d, e);
		pthread_mutex_lock(&ep->mu);
		ep->pull = ep->cancelled ? NULL : p;
		pthread_mutex_unlock(&ep->mu);
		bool updated = false;
		image_put(img);
		img = p && ep->pull ? image_pull_run(p, &updated, e) : NULL;
		pthread_mutex_lock(&ep->mu);
		ep->pull = NULL;
		pthread_mutex_unlock(&ep->mu);
		image_pull_free(p);
		if (!img)
			return p ? NULL : (err_wrap(e, "tag %s", *t), NULL);
		pull_event(ep, &ref, img);
		any_updated = any_updated || updated;
	}
	_cleanup_free_ char *name = image_ref_familiar_name(&ep->ref);
	ep->progress(ep->arg,
		     progress_status("Status: %s for %s",
				     any_updated ? "Downloaded newer image" : "Image is up to date",
				     name));
	if (!img)
		err_notfound(e, "repository %s has no tags", name);
	return img;
}

struct image *engine_image_pull_run(struct engine_pull *ep, struct err *e)
{
	if (ep->tags)
		return pull_all(ep, e);
	struct image *img = image_pull_run(ep->pull, NULL, e);
	if (img)
		pull_event(ep, &ep->ref, img);
	return img;
}

void engine_image_pull_cancel(struct engine_pull *ep)
{
	pthread_mutex_lock(&ep->mu);
	ep->cancelled = true;
	if (ep->pull)
		image_pull_cancel(ep->pull);
	pthread_mutex_unlock(&ep->mu);
}

void engine_image_pull_free(struct engine_pull *ep)
{
	if (!ep)
		return;
	if (!ep->tags)
		image_pull_free(ep->pull);
	strv_free(ep->tags);
	registry_auth_release(&ep->auth);
	image_ref_release(&ep->ref);
	pthread_mutex_destroy(&ep->mu);
	free(ep);
}

struct engine_push {
	struct engine *eng;
	struct image_ref ref;
	struct registry_auth auth;
	struct image_push *push;
};

struct engine_push *engine_image_push_start(struct engine *eng, const struct engine_push_opts *o,
					    struct err *e)
{
	struct engine_push *ep = xcalloc(1, sizeof(*ep));
	ep->eng = eng;
	if (image_ref_parse(o->name ? o->name : "", &ep->ref, e) < 0) {
		free(ep);
		return NULL;
	}
	int r = 0;
	if (ep->ref.digest)
		r = err_invalid(e, "cannot push a digest reference");
	else if (o->tag && *o->tag)
		r = image_ref_set_tag(&ep->ref, o->tag, e);
	if (r < 0 || registry_auth_decode(o->auth, &ep->auth, e) < 0) {
		engine_image_push_free(ep);
		return NULL;
	}
	struct image_dist_opts d = {&ep->ref, &ep->auth, eng->insecure_registries, o->progress,
				    o->arg};
	ep->push = image_push_new(eng->images, &d);
	return ep;
}

int engine_image_push_run(struct engine_push *ep, struct err *e)
{
	_cleanup_strv_ char **pushed = NULL;
	int rc = image_push_run(ep->push, &pushed, e);
	for (char **p = pushed; p && *p; p++) {
		struct image *img = image_store_get(ep->eng->images, *p, NULL);
		_cleanup_free_ char *fam = image_ref_familiarize(*p);
		if (img)
			registry_event(ep->eng, img, img->id, fam ? fam : *p, "push");
		image_put(img);
	}
	return rc;
}

void engine_image_push_cancel(struct engine_push *ep)
{
	image_push_cancel(ep->push);
}

void engine_image_push_free(struct engine_push *ep)
{
	if (!ep)
		return;
	image_push_free(ep->push);
	registry_auth_release(&ep->auth);
	image_ref_release(&ep->ref);
	free(ep);
}

int engine_registry_login(struct engine *eng, const json_t *body, bool *denied, struct err *e)
{
	struct registry_auth a;
	*denied = false;
	if (registry_auth_from_json(body, &a, e) < 0)
		return -1;
	int rc = registry_login(&a, eng->insecure_registries, denied, e);
	registry_auth_release(&a);
	return rc;
}

/* A mirror URL as dockerd normalises it: scheme kept, one trailing slash. */
static char *mirror_url(const char *m)
{
	size_t n = strlen(m);
	while (n && m[n - 1] == '/')
		n--;
	return str_printf("%.*s/", (int)n, m);
}

json_t *engine_registry_config(struct engine *eng)
{
	json_t *cidrs = json_pack("[s]", "127.0.0.0/8");
	json_t *mirrors = json_array();
	for (char *const *m = eng->registry_mirrors; m && *m; m++) {
		_cleanup_free_ char *u = mirror_url(*m);
		json_array_append_new(mirrors, json_string(u));
	}
	json_t *indexes = json_pack("{s:{s:s, s:O, s:b, s:b}}", "docker.io", "Name", "docker.io",
				    "Mirrors", mirrors, "Secure", 1, "Official", 1);
	for (char *const *i = eng->insecure_registries; i && *i; i++) {
		if (strchr(*i, '/')) { /* a CIDR */
			if (strcmp(*i, "127.0.0.0/8") != 0)
				json_array_append_new(cidrs, json_string(*i));
			continue;
		}
		json_object_set_new(indexes, *i,
				    json_pack("{s:s, s:[], s:b, s:b}", "Name", *i, "Mirrors",
					      "Secure", 0, "Official", 0));
	}
	return json_pack("{s:[], s:[], s:o, s:o, s:o}", "AllowNondistributableArtifactsCIDRs",
			 "AllowNondistributableArtifactsHostnames", "InsecureRegistryCIDRs", cidrs,
			 "IndexConfigs", indexes, "Mirrors", mirrors);
}

json_t *engine_distribution_inspect(struct engine *eng, const char *name, const char *auth,
				    struct err *e)
{
	struct image_ref ref;
	struct registry_auth a = {0};
	if (image_ref_parse(name ? name : "", &ref, e) < 0)
		return NULL;
	image_ref_default_tag(&ref);
	json_t *out = NULL;
	if (registry_auth_decode(auth, &a, e) == 0) {
		struct image_dist_opts d = {
		    .ref = &ref, .auth = &a, .insecure = eng->insecure_registries};
		out = image_distribution_inspect(&d, e);
	}
	registry_auth_release(&a);
	image_ref_release(&ref);
	return out;
}
