/* engine/image_commit: POST /commit as dockerd's CreateImageFromContainer: the new Config
 * (the body's or the container's, changes applied, merged with the container's), the
 * container paused while its upper layer becomes an image layer, then tag and events. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/container_config.h"
#include "engine/container_priv.h"
#include "engine/image_priv.h"
#include "engine/userns.h"
#include "image/changes.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* Mount points the runtime adds to a container's upper layer; dockerd keeps them in an init
 * layer under the container's, which commit leaves out. Directories / empty files only. */
static const char *const init_dirs[] = {"proc", "sys", "dev", NULL};
static const char *const init_files[] = {"etc/hosts", "etc/hostname", "etc/resolv.conf",
					 "etc/mtab",  ".dockerenv",   NULL};

char **engine_commit_skip(const char *upper)
{
	char **v = xcalloc(1, sizeof(char *));
	struct stat st;
	for (const char *const *p = init_dirs; *p; p++) {
		_cleanup_free_ char *path = str_printf("%s/%s", upper, *p);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			strv_push(&v, *p);
	}
	for (const char *const *p = init_files; *p; p++) {
		_cleanup_free_ char *path = str_printf("%s/%s", upper, *p);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
			strv_push(&v, *p);
	}
	return v;
}

static bool empty(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_array(v) && !json_array_size(v)) ||
	       (json_is_object(v) && !json_object_size(v));
}

/* Missing keys of u's object member key filled from c's (c's win when all is set). */
static void merge_object(json_t *u, const json_t *c, const char *key, bool all)
{
	json_t *cv = json_object_get(c, key), *uv = json_object_get(u, key);
	if (!json_is_object(cv))
		return;
	if (!json_is_object(uv)) {
		json_object_set_new(u, key, json_deep_copy(cv));
		return;
	}
	if (all)
		json_object_update(uv, cv);
	else
		json_object_update_missing(uv, cv);
}

static void merge_healthcheck(json_t *u, const json_t *c)
{
	json_t *ch = json_object_get(c, "Healthcheck"), *uh = json_object_get(u, "Healthcheck");
	if (!json_is_object(ch))
		return;
	if (!json_is_object(uh)) {
		json_object_set_new(u, "Healthcheck", json_deep_copy(ch));
		return;
	}
	static const char *const keys[] = {"Test", "Interval", "Timeout", "StartPeriod", "Retries"};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(uh, keys[i]);
		if (empty(v) || (json_is_integer(v) && !json_integer_value(v)))
			json_object_set(uh, keys[i], json_object_get(ch, keys[i]));
	}
}

/* moby's merge(userConf, containerConf) in daemon/commit.go. */
static void commit_merge(json_t *u, const json_t *c)
{
	static const char *const strs[] = {"User", "WorkingDir", "StopSignal"};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		if (empty(json_object_get(u, strs[i])) && json_object_get(c, strs[i]))
			json_object_set(u, strs[i], json_object_get(c, strs[i]));
	if (empty(json_object_get(u, "ExposedPorts")))
		json_object_del(u, "ExposedPorts");
	merge_object(u, c, "ExposedPorts", false);
	json_t *uenv = json_object_get(u, "Env"), *cenv = json_object_get(c, "Env");
	if (empty(uenv)) {
		json_object_set(u, "Env", cenv);
	} else {
		size_t i;
		json_t *x;
		json_array_foreach (cenv, i, x) {
			if (json_is_string(x) && !container_env_has_key(uenv, json_string_value(x)))
				json_array_append(uenv, x);
		}
	}
	if (!json_is_object(json_object_get(u, "Labels")))
		json_object_set_new(u, "Labels", json_object());
	merge_object(u, c, "Labels", false);
	json_t *ep = json_object_get(u, "Entrypoint");
	if (empty(ep)) {
		if (empty(json_object_get(u, "Cmd"))) {
			json_object_set(u, "Cmd", json_object_get(c, "Cmd"));
			if (json_object_get(c, "ArgsEscaped"))
				json_object_set(u, "ArgsEscaped",
						json_object_get(c, "ArgsEscaped"));
		}
		if (!ep || json_is_null(ep))
			json_object_set(u, "Entrypoint", json_object_get(c, "Entrypoint"));
	}
	merge_healthcheck(u, c);
	if (empty(json_object_get(u, "Volumes")))
		json_object_del(u, "Volumes");
	merge_object(u, c, "Volumes", true);
}

/* The body's Config checked where the image config would carry a wrong type onwards. */
static int check_body(const json_t *b, struct err *e)
{
	static const char *const strs[] = {"User",  "WorkingDir", "StopSignal",
					   "Image", "Hostname",	  "Domainname"};
	static const char *const lists[] = {"Env", "Cmd", "Entrypoint", "Shell", "OnBuild"};
	static const char *const objs[] = {"Labels", "ExposedPorts", "Volumes", "Healthcheck"};
	if (!json_is_object(b))
		return err_invalid(e, "invalid JSON body: expected a container Config object");
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		json_t *v = json_object_get(b, strs[i]);
		if (v && !json_is_null(v) && !json_is_string(v))
			return err_invalid(e, "invalid JSON body: %s: expected a string", strs[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		json_t *v = json_object_get(b, lists[i]), *x;
		size_t k;
		if (v && !json_is_null(v) && !json_is_array(v) &&
		    !(json_is_string(v) && i > 0 && i < 3))
			return err_invalid(e, "invalid JSON body: %s: expected an array", lists[i]);
		json_array_foreach (v, k, x) {
			if (!json_is_string(x))
				return err_invalid(e,
						   "invalid JSON body: %s[%zu]: expected a string",
						   lists[i], k);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++) {
		json_t *v = json_object_get(b, objs[i]);
		if (v && !json_is_null(v) && !json_is_object(v))
			return err_invalid(e, "invalid JSON body: %s: expected an object", objs[i]);
	}
	return 0;
}

json_t *engine_commit_config(const json_t *body, char *const *changes, const json_t *cconf,
			     struct err *e)
{
	if (body && !json_is_null(body) && check_body(body, e) < 0)
		return NULL;
	_cleanup_json_ json_t *u = json_deep_copy(body && !json_is_null(body) ? body : cconf);
	static const char *const strslices[] = {"Cmd", "Entrypoint"};
	for (size_t i = 0; i < ARRAY_SIZE(strslices); i++) {
		json_t *v = json_object_get(u, strslices[i]);
		if (json_is_string(v)) /* a string is a one-word StrSlice */
			json_object_set_new(u, strslices[i], json_pack("[O]", v));
	}
	if (image_changes_apply(u, changes, e) < 0)
		return NULL;
	commit_merge(u, cconf);
	return TAKE_PTR(u);
}

/* What the commit needs of the container, copied under the store's mutex. */
struct commit_src {
	json_t *cconf;
	char *image, *upper;
	bool running, paused, dead, removing;
};

static void commit_src_read(struct engine *eng, struct container *c, struct commit_src *src)
{
	pthread_mutex_lock(&eng->containers->mu);
	const json_t *data = json_object_get(json_object_get(c->rec, "GraphDriver"), "Data");
	src->cconf = json_deep_copy(json_object_get(c->rec, "Config"));
	src->image = str_dup(json_string_value(json_object_get(c->rec, "Image")));
	src->upper = str_dup(json_string_value(json_object_get(data, "UpperDir")));
	src->running = container_running(c);
	src->paused = container_paused(c);
	src->dead = json_is_true(json_object_get(json_object_get(c->rec, "State"), "Dead"));
	src->removing = c->removing || c->gone;
	pthread_mutex_unlock(&eng->containers->mu);
	if (!src->cconf)
		src->cconf = json_object();
}

static void commit_src_release(struct commit_src *src)
{
	json_decref(src->cconf);
	free(src->image);
	free(src->upper);
}

/* Freezes (pause) or thaws the container, recording the state as a pause would; busy held. */
static bool commit_pause(struct engine *eng, struct container *c, bool pause)
{
	_cleanup_free_ char *rt = container_runtime_root(eng);
	if (container_pause(rt, c->id, pause, NULL) < 0)
		return false;
	pthread_mutex_lock(&eng->containers->mu);
	bool ok = pause ? container_running(c) : container_paused(c);
	if (ok)
		container_set_state(c, pause ? "paused" : "running");
	pthread_mutex_unlock(&eng->containers->mu);
	if (ok) {
		container_save(eng, c, NULL);
		container_emit(eng, c, pause ? "pause" : "unpause", NULL);
	}
	return true;
}

char *engine_commit_created_by(const json_t *cconf)
{
	_cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(cconf, "Cmd"), i, x) {
		if (json_is_string(x))
			strv_push(&v, json_string_value(x));
	}
	return strv_join(v, " ");
}

/* Busy held: the checks, the pause, the image. */
static struct image *commit_busy(struct engine *eng, struct container *c,
				 const struct engine_commit_opts *o, struct err *e)
{
	struct commit_src src = {0};
	commit_src_read(eng, c, &src);
	struct image *img = NULL;
	_cleanup_json_ json_t *cfg = NULL;
	if (src.dead)
		err_conflict(e, "You cannot commit container %s which is Dead", c->id);
	else if (src.removing)
		err_conflict(e, "You cannot commit container %s which is being removed", c->id);
	else if ((cfg = engine_commit_config(o->config, o->changes, src.cconf, e))) {
		bool paused = o->pause && src.running && !src.paused && commit_pause(eng, c, true);
		_cleanup_strv_ char **skip = src.upper ? engine_commit_skip(src.upper) : NULL;
		_cleanup_free_ char *by = engine_commit_created_by(src.cconf);
		struct image_commit_opts io = {
		    .dir = src.upper,
		    .skip = skip,
		    .parent = src.image && *src.image ? src.image : NULL,
		    .container = c->id,
		    .config = cfg,
		    .cconfig = src.cconf,
		    .author = o->author,
		    .comment = o->comment,
		    .created_by = by,
		    .docker_version = BERTH_VERSION,
		    .ids = engine_userns_ids(eng, json_object_get(c->rec, "HostConfig"), false),
		};
		img = image_store_commit(eng->images, &io, e);
		if (paused)
			commit_pause(eng, c, false);
	}
	commit_src_release(&src);
	return img;
}

char *engine_container_commit(struct engine *eng, const struct engine_commit_opts *o, struct err *e)
{
	struct image_ref ref = {0};
	bool tagged = o->repo && *o->repo;
	if (tagged && engine_image_repo_ref(o->repo, o->tag, &ref, true, e) < 0)
		return NULL;
	struct container *c = container_get(eng, o->container ? o->container : "", e);
	struct image *img = NULL;
	_cleanup_free_ char *fam = NULL;
	if (c) {
		container_lock_busy(eng, c);
		img = commit_busy(eng, c, o, e);
		container_unlock_busy(eng, c);
	}
	/* dockerd tags after the commit: a failed tag leaves the image, untagged */
	if (img && tagged)
		fam = engine_image_tag_id(eng, img->id, &ref, e);
	char *id = img && (!tagged || fam) ? str_dup(img->id) : NULL;
	if (img)
		container_emit(eng, c, "commit",
			       json_pack("{s:s, s:s, s:s}", "comment", o->comment ? o->comment : "",
					 "imageID", img->id, "imageRef", fam ? fam : ""));
	image_put(img);
	container_put(eng, c);
	image_ref_release(&ref);
	return id;
}
