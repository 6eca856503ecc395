/* engine/volume: the local volume store: <root>/volumes/<name>/{_data,volume.json}. A volume
 * appears by rename() of a complete temporary directory and goes by rename() to a temporary
 * name before its files are removed, so a crash leaves a whole volume or none. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "engine/engine_priv.h"
#include "engine/userns.h"
#include "engine/volume.h"
#include "engine/volume_priv.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

#define RECORD "volume.json"

bool volume_name_valid(const char *name)
{
	if (!name || strlen(name) < 2 || !strchr(VOLUME_NAME_FIRST, name[0]))
		return false;
	return strspn(name + 1, VOLUME_NAME_FIRST "_.-") == strlen(name + 1);
}

struct volume_store *volume_store_open(const char *dir, char ***warnings, struct err *e)
{
	if (store_mkdir(dir, 0701, e) < 0)
		return NULL;
	store_clean_tmp(dir, NULL);
	struct volume_store *vs = xcalloc(1, sizeof(*vs));
	pthread_mutex_init(&vs->mu, NULL);
	vs->dir = str_dup(dir);
	vs->recs = json_object();
	vs->uses = json_object();
	_cleanup_strv_ char **names = store_list_dir(dir, "", NULL);
	for (char **p = names; p && *p; p++) {
		_cleanup_free_ char *path = str_printf("%s/%s/" RECORD, dir, *p);
		struct err le = ERR_INIT;
		json_t *rec = volume_name_valid(*p) ? store_load_json(path, &le) : NULL;
		if (!rec || !str_eq(json_string_value(json_object_get(rec, "Name")), *p)) {
			if (warnings)
				strv_push_take(warnings,
					       str_printf("volumes: %s: damaged or foreign entry "
							  "skipped %s",
							  *p, le.msg));
			json_decref(rec);
			continue;
		}
		json_object_set_new(vs->recs, *p, rec);
	}
	return vs;
}

void volume_store_free(struct volume_store *vs)
{
	if (!vs)
		return;
	json_decref(vs->recs);
	json_decref(vs->uses);
	pthread_mutex_destroy(&vs->mu);
	free(vs->dir);
	free(vs);
}

char *volume_path(struct engine *eng, const char *name)
{
	return str_printf("%s/%s/_data", eng->volumes->dir, name);
}

/* The API shape of a record (mutex held). */
static json_t *volume_json(struct engine *eng, const json_t *rec)
{
	const char *name = json_string_value(json_object_get(rec, "Name"));
	_cleanup_free_ char *mp = volume_path(eng, name);
	json_t *opts = json_object_get(rec, "Options");
	json_t *labels = json_object_get(rec, "Labels");
	return json_pack("{s:O, s:s, s:O, s:s, s:s, s:O, s:s}", "CreatedAt",
			 json_object_get(rec, "CreatedAt"), "Driver", "local", "Labels",
			 labels ? labels : json_null(), "Mountpoint", mp, "Name", name, "Options",
			 opts ? opts : json_null(), "Scope", "local");
}

/* The local driver's options (moby volume/local): type, device, o, size; device and type
 * need each other, o needs both. */
static int check_opts(const char *name, const json_t *opts, struct err *e)
{
	static const char *const valid[] = {"type", "device", "o", "size", NULL};
	const char *k;
	json_t *v;
	if (opts && !json_is_object(opts) && !json_is_null(opts))
		return err_invalid(e, "DriverOpts: expected an object");
	json_object_foreach ((json_t *)opts, k, v) {
		bool ok = false;
		for (const char *const *p = valid; *p && !ok; p++)
			ok = !strcmp(*p, k);
		if (!ok)
			return err_invalid(e, "create %s: invalid option: \"%s\"", name, k);
		if (!json_is_string(v))
			return err_invalid(e, "create %s: DriverOpts.%s: expected a string", name,
					   k);
	}
	bool dev = json_object_get(opts, "device"), type = json_object_get(opts, "type");
	if (dev && !type)
		return err_invalid(e, "create %s: missing required option: \"type\"", name);
	if ((type || json_object_get(opts, "o")) && !dev)
		return err_invalid(e, "create %s: missing required option: \"device\"", name);
	if (json_object_get(opts, "size") && !type)
		return err_invalid(e, "create %s: missing required option: \"type\"", name);
	return 0;
}

int volume_check(const char *name, const char *driver, const json_t *opts, struct err *e)
{
	if (driver && *driver && strcmp(driver, "local") != 0)
		return err_notfound(e, "error looking up volume plugin %s: plugin \"%s\" not found",
				    driver, driver);
	if (name && *name && !volume_name_valid(name))
		return err_invalid(
		    e,
		    "create %s: \"%s\" includes invalid characters for a local "
		    "volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If "
		    "you intended to pass a host directory, use absolute path",
		    name, name);
	return check_opts(name ? name : "", opts, e);
}

/* Writes the volume into a temporary directory and renames it into place (mutex held). */
static int volume_write(const struct engine *eng, struct volume_store *vs, const char *name,
			const json_t *rec, struct err *e)
{
	_cleanup_free_ char *tmp = str_printf("%s/" STORE_TMP_PREFIX "new-%s", vs->dir, name);
	_cleanup_free_ char *data = str_printf("%s/_data", tmp);
	_cleanup_free_ char *recpath = str_printf("%s/" RECORD, tmp);
	_cleanup_free_ char *final = str_printf("%s/%s", vs->dir, name);
	fs_rm_rf(tmp, NULL);
	/* --userns-remap: the containers' root owns a new volume, as with dockerd */
	if (fs_mkdir_p(data, 0755, e) < 0 || engine_userns_chown(eng, data, e) < 0 ||
	    chmod(tmp, 0701) < 0 || store_save_json(recpath, rec, e) < 0 ||
	    rename(tmp, final) < 0) {
		if (e && e->kind == ERR_NONE)
			err_sys(e, "create volume %s", name);
		fs_rm_rf(tmp, NULL);
		return -1;
	}
	return fs_fsync_dir(vs->dir, e);
}

json_t *volume_create(struct engine *eng, const char *name, const char *driver, const json_t *opts,
		      const json_t *labels, bool anonymous, bool *created, struct err *e)
{
	struct volume_store *vs = eng->volumes;
	if (created)
		*created = false;
	if (volume_check(name, driver, opts, e) < 0)
		return NULL;
	if (labels && !json_is_object(labels) && !json_is_null(labels)) {
		err_invalid(e, "Labels: expected an object");
		return NULL;
	}
	pthread_mutex_lock(&vs->mu);
	json_t *rec = json_object_get(vs->recs, name);
	json_t *out = NULL;
	if (rec) {
		out = volume_json(eng, rec);
		pthread_mutex_unlock(&vs->mu);
		return out;
	}
	char now[STORE_TIME_MAX];
	int64_t ns = store_time_now();
	store_time_format(ns - ns % 1000000000, now);
	json_t *lab = json_object_size(labels) ? json_deep_copy(labels) : NULL;
	if (anonymous) { /* as dockerd 23+: `volume prune` (API >= 1.42) removes only these */
		lab = lab ? lab : json_object();
		json_object_set_new(lab, VOLUME_ANON_LABEL, json_string(""));
	}
	/* none given: null, as dockerd shows them */
	rec = json_pack("{s:s, s:s, s:s, s:o, s:o, s:b}", "Name", name, "Driver", "local",
			"CreatedAt", now, "Labels", lab ? lab : json_null(), "Options",
			json_object_size(opts) ? json_deep_copy(opts) : json_null(), "Anonymous",
			anonymous);
	if (volume_write(eng, vs, name, rec, e) == 0) {
		json_object_set(vs->recs, name, rec);
		out = volume_json(eng, rec);
		if (created)
			*created = true;
	}
	pthread_mutex_unlock(&vs->mu);
	json_decref(rec);
	if (out)
		engine_event_publish(eng, "volume", "create", name,
				     json_pack("{s:s}", "driver", "local"));
	return out;
}

json_t *volume_get(struct engine *eng, const char *name, struct err *e)
{
	struct volume_store *vs = eng->volumes;
	pthread_mutex_lock(&vs->mu);
	json_t *rec = json_object_get(vs->recs, name ? name : "");
	json_t *out = rec ? volume_json(eng, rec) : NULL;
	pthread_mutex_unlock(&vs->mu);
	if (!out)
		err_notfound(e, "get %s: no such volume", name ? name : "");
	return out;
}

bool volume_is_anonymous(struct engine *eng, const char *name)
{
	struct volume_store *vs = eng->volumes;
	pthread_mutex_lock(&vs->mu);
	bool anon = json_is_true(json_object_get(json_object_get(vs->recs, name), "Anonymous"));
	pthread_mutex_unlock(&vs->mu);
	return anon;
}

char **volume_names(struct engine *eng)
{
	struct volume_store *vs = eng->volumes;
	char **names = xcalloc(1, sizeof(char *));
	const char *k;
	json_t *v;
	pthread_mutex_lock(&vs->mu);
	json_object_foreach (vs->recs, k, v)
		strv_push(&names, k);
	pthread_mutex_unlock(&vs->mu);
	qsort(names, strv_len(names), sizeof(char *), volume_cmp_names);
	return names;
}

int volume_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Moves the volume out of sight, then deletes it; an option mount is taken off first and
 * fs_rm_rf never descends into a mount, so a bind volume's host files are never touched. */
static int volume_delete_locked(struct volume_store *vs, const char *name, struct err *e)
{
	_cleanup_free_ char *dir = str_printf("%s/%s", vs->dir, name);
	_cleanup_free_ char *data = str_printf("%s/_data", dir);
	_cleanup_free_ char *tmp = str_printf("%s/" STORE_TMP_PREFIX "rm-%s", vs->dir, name);
	if (volume_mounted(data) && umount2(data, UMOUNT_NOFOLLOW) < 0)
		return err_sys(e, "remove %s: unmount %s", name, data);
	if (rename(dir, tmp) < 0 && errno != ENOENT)
		return err_sys(e, "remove %s: rename", name);
	json_object_del(vs->recs, name);
	json_object_del(vs->uses, name);
	fs_fsync_dir(vs->dir, NULL);
	struct err le = ERR_INIT;
	if (fs_rm_rf(tmp, &le) < 0)
		log_warn("volume %s: %s", name, le.msg);
	return 0;
}

int volume_remove(struct engine *eng, const char *name, bool force, struct err *e)
{
	struct volume_store *vs = eng->volumes;
	_cleanup_strv_ char **users = volume_users(eng, name);
	if (users) {
		_cleanup_free_ char *list = strv_join(users, " ");
		return err_conflict(e, "remove %s: volume is in use - [%s]", name, list);
	}
	pthread_mutex_lock(&vs->mu);
	int r = 0;
	if (!json_object_get(vs->recs, name))
		r = force ? 0 : err_notfound(e, "get %s: no such volume", name);
	else if ((r = volume_delete_locked(vs, name, e)) == 0)
		r = 1;
	pthread_mutex_unlock(&vs->mu);
	if (r == 1)
		engine_event_publish(eng, "volume", "destroy", name,
				     json_pack("{s:s}", "driver", "local"));
	return r < 0 ? -1 : 0;
}
