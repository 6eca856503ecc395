/* engine/container_volumes: a container's volumes over its life: made at create (the
 * parsed plan's named and anonymous volumes); at start the bind sources
 * dockerd creates, option volumes mounted and empty volumes filled from the image; after the
 * exit the option mounts released; after the removal anonymous volumes removed. */
#include <stdlib.h>
#include <string.h>

#include "engine/container_mounts.h"
#include "engine/container_priv.h"
#include "engine/volume.h"
#include "runtime/securejoin.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

/* VolumesFrom: a copy of the named container's Mounts. A missing one is a 400, not a 404:
 * a 404 from create makes the CLI pull the image. */
static json_t *mounts_of(void *arg, const char *name, struct err *e)
{
	struct engine *eng = arg;
	struct container *c = container_get(eng, name, e);
	if (!c) {
		if (e && e->kind == ERR_NOT_FOUND)
			e->kind = ERR_INVALID;
		return NULL;
	}
	pthread_mutex_lock(&eng->containers->mu);
	json_t *m = json_deep_copy(json_object_get(c->rec, "Mounts"));
	pthread_mutex_unlock(&eng->containers->mu);
	container_put(eng, c);
	return m ? m : json_array();
}

json_t *container_mounts_plan(struct engine *eng, const json_t *cfg, const json_t *hc,
			      struct err *e)
{
	_cleanup_free_ char *voldir = str_printf("%s/volumes", engine_root(eng));
	struct mounts_src ms = {voldir, mounts_of, eng};
	return container_mounts_parse(&ms, cfg, hc, e);
}

int container_mounts_create(struct engine *eng, const json_t *rec, char ***made, struct err *e)
{
	const json_t *hc = json_object_get(rec, "HostConfig");
	size_t i;
	json_t *m;
	json_array_foreach (json_object_get(rec, "Mounts"), i, m) {
		if (!str_eq(json_string_value(json_object_get(m, "Type")), "volume"))
			continue;
		const char *name = json_string_value(json_object_get(m, "Name"));
		const json_t *vo = json_object_get(
		    container_mount_at(hc, json_string_value(json_object_get(m, "Destination"))),
		    "VolumeOptions");
		const json_t *dc = json_object_get(vo, "DriverConfig");
		bool anon = json_is_true(json_object_get(m, CONTAINER_MOUNT_ANON_KEY)),
		     created = false;
		const char *drv = json_string_value(json_object_get(dc, "Name"));
		if (!drv || !*drv) /* --volume-driver: for the volumes that name none */
			drv = json_string_value(json_object_get(hc, "VolumeDriver"));
		json_t *v = volume_create(eng, name, drv, json_object_get(dc, "Options"),
					  json_object_get(vo, "Labels"), anon, &created, e);
		if (!v && e && e->kind == ERR_NOT_FOUND)
			e->kind = ERR_INVALID; /* a 404 from create makes the CLI pull the image */
		if (!v) {
			container_mounts_undo(eng, *made);
			*made = NULL;
			return -1;
		}
		json_decref(v);
		json_object_del(m, CONTAINER_MOUNT_ANON_KEY);
		if (created)
			strv_push(made, name);
	}
	return 0;
}

void container_mounts_undo(struct engine *eng, char **made)
{
	for (char **p = made; p && *p; p++)
		volume_remove(eng, *p, true, NULL);
	strv_free(made);
}

static bool is_type(const json_t *m, const char *type)
{
	return str_eq(json_string_value(json_object_get(m, "Type")), type);
}

/* The image's files at dest (resolved inside the root) into an empty volume. */
static int fill_volume(const json_t *m, const char *merged, struct err *e)
{
	const char *dest = json_string_value(json_object_get(m, "Destination"));
	const char *src = json_string_value(json_object_get(m, "Source"));
	struct err le = ERR_INIT;
	_cleanup_free_ char *real = securejoin_resolve(merged, dest, &le);
	if (!real || !fs_is_dir(real))
		return 0;
	return volume_copy_in(real, src, e);
}

/* dockerd's volume mount/unmount events (starts and exits only, not docker cp). */
static void mount_event(struct engine *eng, const json_t *rec, const json_t *m, bool mount)
{
	const char *id = json_string_value(json_object_get(rec, "Id"));
	const char *name = json_string_value(json_object_get(m, "Name"));
	json_t *attrs = json_pack("{s:s, s:s}", "container", id ? id : "", "driver", "local");
	if (mount) {
		const char *prop = json_string_value(json_object_get(m, "Propagation"));
		json_object_update_new(
		    attrs,
		    json_pack("{s:O, s:s, s:s}", "destination", json_object_get(m, "Destination"),
			      "propagation", prop ? prop : "", "read/write",
			      json_is_true(json_object_get(m, "RW")) ? "true" : "false"));
	}
	engine_event_publish(eng, "volume", mount ? "mount" : "unmount", name, attrs);
}

static int setup_one(struct engine *eng, const json_t *hc, const json_t *m, const char *merged,
		     struct err *e)
{
	const char *src = json_string_value(json_object_get(m, "Source"));
	const char *name = json_string_value(json_object_get(m, "Name"));
	const char *dest = json_string_value(json_object_get(m, "Destination"));
	if (is_type(m, "bind") && src && !fs_exists(src))
		return fs_mkdir_p(src, 0755, e);
	if (!is_type(m, "volume"))
		return 0;
	if (volume_use(eng, name, e) < 0)
		return -1;
	return container_mount_nocopy(hc, dest) ? 0 : fill_volume(m, merged, e);
}

static void release(struct engine *eng, const json_t *rec, bool events)
{
	size_t i;
	json_t *m;
	json_array_foreach (json_object_get(rec, "Mounts"), i, m) {
		if (!is_type(m, "volume"))
			continue;
		volume_unuse(eng, json_string_value(json_object_get(m, "Name")),
			     json_string_value(json_object_get(rec, "Id")));
		if (events)
			mount_event(eng, rec, m, false);
	}
}

static int setup(struct engine *eng, const json_t *rec, const char *cdir, bool events,
		 struct err *e)
{
	const json_t *hc = json_object_get(rec, "HostConfig");
	_cleanup_free_ char *merged = str_printf("%s/merged", cdir);
	size_t i;
	json_t *m;
	json_array_foreach (json_object_get(rec, "Mounts"), i, m) {
		if (setup_one(eng, hc, m, merged, e) < 0) {
			release(eng, rec, false);
			return -1;
		}
	}
	json_array_foreach (json_object_get(rec, "Mounts"), i, m)
		if (events && is_type(m, "volume"))
			mount_event(eng, rec, m, true);
	return 0;
}

int container_volumes_setup(struct engine *eng, const json_t *rec, const char *cdir, struct err *e)
{
	return setup(eng, rec, cdir, true, e);
}

int container_volumes_setup_quiet(struct engine *eng, const json_t *rec, const char *cdir,
				  struct err *e)
{
	return setup(eng, rec, cdir, false, e);
}

void container_volumes_release(struct engine *eng, const json_t *rec)
{
	release(eng, rec, true);
}

void container_volumes_release_quiet(struct engine *eng, const json_t *rec)
{
	release(eng, rec, false);
}

void container_volumes_removed(struct engine *eng, const json_t *rec, bool anonymous)
{
	size_t i;
	json_t *m;
	if (!anonymous)
		return;
	json_array_foreach (json_object_get(rec, "Mounts"), i, m) {
		const char *name = json_string_value(json_object_get(m, "Name"));
		if (is_type(m, "volume") && volume_is_anonymous(eng, name))
			volume_remove(eng, name, true, NULL); /* kept while another uses it */
	}
}
