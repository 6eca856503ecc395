/* engine/container_create: create (name rules, image, merged config, the record written
 * before the container becomes visible), rename and removal. */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "engine/container_config.h"
#include "engine/container_mounts.h"
#include "engine/container_health.h"
#include "engine/container_priv.h"
#include "engine/userns.h"
#include "runtime/cgroup.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

/* moby's GenerateRandomID: 64 hex digits whose 12-digit short form is not a number. */
static int new_id(char *out, struct err *e)
{
	do {
		if (id_generate(out, e) < 0)
			return -1;
	} while (strspn(out, "0123456789") >= 12);
	return 0;
}

static json_t *graph_driver(struct engine *eng, const struct image *img, const char *cdir)
{
	_cleanup_strv_ char **lower = NULL;
	for (size_t i = img->layers; i-- > 0;)
		strv_push_take(&lower, image_store_layer_path(eng->images, img->chain_ids[i]));
	_cleanup_free_ char *lowers = lower ? strv_join(lower, ":") : str_dup("");
	_cleanup_free_ char *merged = str_printf("%s/merged", cdir);
	_cleanup_free_ char *upper = str_printf("%s/upper", cdir);
	_cleanup_free_ char *work = str_printf("%s/work", cdir);
	return json_pack("{s:{s:s, s:s, s:s, s:s}, s:s}", "Data", "LowerDir", lowers, "MergedDir",
			 merged, "UpperDir", upper, "WorkDir", work, "Name", "overlay2");
}

static json_t *new_state(void)
{
	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}", "Status",
			 "created", "Running", 0, "Paused", 0, "Restarting", 0, "OOMKilled", 0,
			 "Dead", 0, "Pid", 0, "ExitCode", 0, "Error", "", "StartedAt",
			 STORE_TIME_ZERO, "FinishedAt", STORE_TIME_ZERO);
}

/* The record in inspect shape, without the name (set under the store's lock). */
static json_t *build_record(struct engine *eng, const char *id, const json_t *body,
			    struct image *img, const char *image_name, struct err *e)
{
	bool cg2 = cgroup_host_mode() == CGROUP_MODE_V2;
	_cleanup_json_ json_t *cfg = container_config_parse(body, e);
	_cleanup_json_ json_t *hc = cfg ? container_hostconfig_parse(body, cg2, e) : NULL;
	if (!hc || container_health_validate(cfg, e) < 0)
		return NULL;
	container_config_merge(cfg, image_container_config(img));
	_cleanup_json_ json_t *mounts = container_mounts_plan(eng, cfg, hc, e);
	if (!mounts)
		return NULL;
	json_t *path, *args;
	if (container_config_command(cfg, &path, &args, e) < 0)
		return NULL;
	json_object_set_new(cfg, "Image", json_string(image_name));
	if (str_eq(json_string_value(json_object_get(cfg, "Hostname")), ""))
		json_object_set_new(cfg, "Hostname", json_stringn(id, 12));
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	_cleanup_free_ char *cdir = container_dir(eng, id);
	const char *img_id = img->id;
	json_t *rec = json_pack(
	    "{s:s, s:s, s:o, s:o, s:o, s:s, s:s+, s:s+, s:s+, s:s+++, s:s, s:i, s:s, s:s, s:s, "
	    "s:s, s:s, s:n, s:O, s:o, s:[], s:O}",
	    "Id", id, "Created", now, "Path", path, "Args", args, "State", new_state(), "Image",
	    img_id, "ResolvConfPath", cdir, "/resolv.conf", "HostnamePath", cdir, "/hostname",
	    "HostsPath", cdir, "/hosts", "LogPath", cdir, "/", id, "-json.log", "Name", "",
	    "RestartCount", 0, "Driver", "overlay2", "Platform", "linux", "MountLabel", "",
	    "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs", "HostConfig", hc, "GraphDriver",
	    graph_driver(eng, img, cdir), "Mounts", "Config", cfg);
	if (!rec) {
		err_set(e, ERR_INTERNAL, 0, "container %.12s: cannot build its record", id);
		return NULL;
	}
	json_t *nc = json_object_get(body, "NetworkingConfig");
	json_object_set(rec, "Mounts", mounts);
	json_object_set_new(rec, "_NetworkingConfig",
			    json_is_object(nc) ? json_deep_copy(nc) : json_object());
	return rec;
}

/* Reserves a name: the given one (409 when taken) or a generated one. Mutex held. */
static int reserve_name(struct container_store *s, const char *name, json_t *rec, struct err *e)
{
	if (name && *name) {
		struct container *o = cstore_by_name_locked(s, name);
		if (o)
			return err_conflict(
			    e,
			    "Conflict. The container name \"/%s\" is already in use "
			    "by container \"%s\". You have to remove (or rename) that "
			    "container to be able to reuse that name.",
			    name + (*name == '/'), o->id);
		json_object_set_new(rec, "Name", json_sprintf("/%s", name + (*name == '/')));
		return 0;
	}
	char gen[96];
	for (unsigned retry = 0;; retry++) {
		container_name_generate(gen, sizeof(gen), retry > 5 ? retry : 0);
		if (!cstore_by_name_locked(s, gen))
			break;
	}
	json_object_set_new(rec, "Name", json_sprintf("/%s", gen));
	return 0;
}

static struct container *register_container(struct engine *eng, const char *id, json_t *rec,
					    const char *name, struct err *e)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++) {
		if (!strncmp(s->v[i]->id, id, 12)) {
			pthread_mutex_unlock(&s->mu);
			err_set(e, ERR_INTERNAL, 0, "container ID %.12s already in use: try again",
				id);
			return NULL;
		}
	}
	if (reserve_name(s, name, rec, e) < 0) {
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	struct container *c = xcalloc(1, sizeof(*c));
	c->refs = 2; /* the store's and the caller's */
	c->rec = rec;
	c->busy = true;
	snprintf(c->id, sizeof(c->id), "%s", id);
	store_time_parse(json_string_value(json_object_get(rec, "Created")), &c->created, NULL);
	cstore_add_locked(s, c);
	pthread_mutex_unlock(&s->mu);
	return c;
}

char *engine_container_create(struct engine *eng, const char *name, const json_t *body,
			      json_t **warnings, struct err *e)
{
	if (name && *name && !container_name_valid(name)) {
		err_invalid(e,
			    "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
			    "allowed",
			    name);
		return NULL;
	}
	if (body && !json_is_object(body)) {
		err_invalid(e, "invalid JSON body: expected an object");
		return NULL;
	}
	const char *image_name = json_string_value(json_object_get(body, "Image"));
	if (!image_name || !*image_name) {
		err_invalid(e, "No command specified"); /* dockerd's answer without an image */
		return NULL;
	}
	char id[ID_HEX_LEN + 1];
	if (new_id(id, e) < 0)
		return NULL;
	struct image *img = image_store_get(eng->images, image_name, e);
	if (!img)
		return NULL;
	json_t *rec = build_record(eng, id, body, img, image_name, e);
	image_put(img);
	_cleanup_strv_ char **made = NULL; /* volumes made for it, removed if it isn't */
	if (!rec || engine_userns_check(eng, json_object_get(rec, "HostConfig"), e) < 0 ||
	    container_net_check(eng, rec, e) < 0 ||
	    container_mounts_create(eng, rec, &made, e) < 0) {
		json_decref(rec);
		return NULL;
	}
	struct container *c = register_container(eng, id, rec, name, e);
	if (!c) {
		json_decref(rec);
		container_mounts_undo(eng, TAKE_PTR(made));
		return NULL;
	}
	_cleanup_free_ char *cdir = container_dir(eng, c->id);
	if (store_mkdir(cdir, 0710, e) < 0 || container_save(eng, c, e) < 0) {
		fs_rm_rf(cdir, NULL);
		pthread_mutex_lock(&eng->containers->mu);
		cstore_drop_locked(eng->containers, c);
		pthread_mutex_unlock(&eng->containers->mu);
		container_put(eng, c);
		container_mounts_undo(eng, TAKE_PTR(made));
		return NULL;
	}
	container_emit(eng, c, "create", NULL);
	if (warnings)
		*warnings = json_array();
	container_unlock_busy(eng, c);
	container_put(eng, c);
	return str_dup(id);
}
