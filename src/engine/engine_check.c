/* engine/engine_check: `berth system check`: the daemon's store and the host state it owns
 * checked against each other. Every record parses and is loaded; every referenced image and
 * layer exists; a running container has its monitor, rootfs mount and runtime state, a
 * stopped one has none of them, nor a cgroup; no mount, monitor or run directory belongs to
 * no running container; no temporary is left. Read-only: it reports, recovery repairs. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/container_priv.h"
#include "engine/engine_check.h"
#include "image/store_check.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

#define PROBLEM(v, ...) strv_push_take(v, str_printf(__VA_ARGS__))

/* A snapshot of the containers (id, running, monitor pid), taken under the store's mutex. */
struct ctr_snap {
	char id[ID_HEX_LEN + 1];
	bool running, paused;
	pid_t monitor;
	json_t *rec;
};

static struct ctr_snap *snapshot(struct engine *eng, size_t *n)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct ctr_snap *v = xcalloc(s->n + 1, sizeof(*v));
	for (size_t i = 0; i < s->n; i++) {
		snprintf(v[i].id, sizeof(v[i].id), "%s", s->v[i]->id);
		v[i].running = container_running(s->v[i]);
		v[i].paused = container_paused(s->v[i]);
		v[i].monitor = s->v[i]->monitor;
		v[i].rec = json_deep_copy(s->v[i]->rec);
	}
	*n = s->n;
	pthread_mutex_unlock(&s->mu);
	return v;
}

static const struct ctr_snap *snap_find(const struct ctr_snap *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].id, id))
			return &v[i];
	return NULL;
}

/* Its cgroup in any hierarchy (v1: /sys/fs/cgroup/<ctrl>/berth/<id>; v2: .../berth/<id>). */
static bool cgroup_exists(const char *id)
{
	_cleanup_free_ char *v2 = str_printf("/sys/fs/cgroup/berth/%s", id);
	if (fs_is_dir(v2))
		return true;
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *de;
	bool found = false;
	while (d && !found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = str_printf("/sys/fs/cgroup/%s/berth/%s", de->d_name, id);
		found = fs_is_dir(p);
	}
	if (d)
		closedir(d);
	return found;
}

/* Its cgroup is frozen (v1 freezer.state FROZEN, v2 cgroup.freeze 1). */
static bool frozen(const char *id)
{
	_cleanup_free_ char *v1 = str_printf("/sys/fs/cgroup/freezer/berth/%s/freezer.state", id);
	_cleanup_free_ char *v2 = str_printf("/sys/fs/cgroup/berth/%s/cgroup.freeze", id);
	_cleanup_free_ char *s1 = fs_exists(v1) ? fs_read_file(v1, NULL, NULL) : NULL;
	_cleanup_free_ char *s2 = fs_exists(v2) ? fs_read_file(v2, NULL, NULL) : NULL;
	return (s1 && str_has_prefix(s1, "FROZEN")) || (s2 && str_has_prefix(s2, "1"));
}

static bool mounted(const char *path)
{
	_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, NULL);
	_cleanup_strv_ char **lines = strv_split(mi ? mi : "", "\n");
	for (char **l = lines; l && *l; l++) {
		_cleanup_strv_ char **f = strv_split(*l, " ");
		if (strv_len(f) < 5)
			continue;
		_cleanup_free_ char *mp = str_unescape_octal(f[4]);
		if (str_eq(mp, path))
			return true;
	}
	return false;
}

static void check_container(struct engine *eng, const struct ctr_snap *c, char ***p)
{
	_cleanup_free_ char *cdir = container_dir(eng, c->id);
	_cleanup_free_ char *rdir = container_run_dir(eng, c->id);
	_cleanup_free_ char *merged = str_printf("%s/merged", cdir);
	_cleanup_free_ char *rec = str_printf("%s/config.json", cdir);
	_cleanup_free_ char *rtdir = str_printf("%s/runtime/%s", eng->run_dir, c->id);
	_cleanup_json_ json_t *j = store_load_json(rec, NULL);
	if (!str_eq(json_string_value(json_object_get(j, "Id")), c->id))
		PROBLEM(p, "container %s: record missing or damaged", c->id);
	const char *image = json_string_value(json_object_get(c->rec, "Image"));
	struct image *img = image && *image ? image_store_get(eng->images, image, NULL) : NULL;
	if (image && *image && !img)
		PROBLEM(p, "container %s: image %s missing", c->id, image);
	image_put(img);
	if (c->running) {
		if (c->monitor <= 0 || kill(c->monitor, 0) < 0)
			PROBLEM(p, "container %s: running but its monitor is gone", c->id);
		if (!mounted(merged))
			PROBLEM(p, "container %s: running but its rootfs is not mounted", c->id);
		if (!c->paused && frozen(c->id))
			PROBLEM(p, "container %s: running, not paused, but frozen", c->id);
		return;
	}
	if (mounted(merged))
		PROBLEM(p, "container %s: stopped but its rootfs is mounted", c->id);
	if (fs_exists(rdir))
		PROBLEM(p, "container %s: stopped but %s remains", c->id, rdir);
	if (fs_exists(rtdir))
		PROBLEM(p, "container %s: stopped but its runtime state %s remains", c->id, rtdir);
	if (cgroup_exists(c->id))
		PROBLEM(p, "container %s: stopped but its cgroup remains", c->id);
}

/* Directories under root/containers and run/containers, run/runtime without a container. */
static void check_dirs(struct engine *eng, const struct ctr_snap *v, size_t n, char ***p)
{
	const char *bases[] = {eng->root, eng->run_dir};
	for (size_t b = 0; b < ARRAY_SIZE(bases); b++) {
		_cleanup_free_ char *dir = str_printf("%s/containers", bases[b]);
		store_check_tmp(dir, "containers", p);
		_cleanup_strv_ char **names = store_list_dir(dir, "", NULL);
		for (char **d = names; d && *d; d++)
			if (!snap_find(v, n, *d))
				PROBLEM(p,
					"%s/%s: no such container (half-created or half-removed)",
					dir, *d);
	}
	_cleanup_free_ char *rt = str_printf("%s/runtime", eng->run_dir);
	_cleanup_strv_ char **names = store_list_dir(rt, "", NULL);
	for (char **d = names; d && *d; d++) {
		const struct ctr_snap *c = snap_find(v, n, *d);
		if (!c)
			PROBLEM(p, "%s/%s: runtime state of no container", rt, *d);
	}
}

/* Mounts under the root or run directory that no running container accounts for. */
static void check_mounts(struct engine *eng, const struct ctr_snap *v, size_t n, char ***p)
{
	_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, NULL);
	_cleanup_strv_ char **lines = strv_split(mi ? mi : "", "\n");
	_cleanup_free_ char *root = str_printf("%s/", eng->root);
	_cleanup_free_ char *run = str_printf("%s/", eng->run_dir);
	_cleanup_free_ char *vols = str_printf("%s/volumes/", eng->root);
	for (char **l = lines; l && *l; l++) {
		_cleanup_strv_ char **f = strv_split(*l, " ");
		if (strv_len(f) < 5)
			continue;
		_cleanup_free_ char *mp = str_unescape_octal(f[4]);
		if (!str_has_prefix(mp, root) && !str_has_prefix(mp, run))
			continue;
		/* volumes with mount options are mounted while in use (volume.c accounts) */
		if (str_has_prefix(mp, vols))
			continue;
		bool ok = str_eq(mp, eng->userns_layers); /* --userns-remap's layer view */
		for (size_t i = 0; i < n && !ok; i++) {
			if (!v[i].running)
				continue;
			_cleanup_free_ char *cdir = container_dir(eng, v[i].id);
			_cleanup_free_ char *rdir = container_run_dir(eng, v[i].id);
			ok = str_has_prefix(mp, cdir) || str_has_prefix(mp, rdir);
		}
		if (!ok)
			PROBLEM(p, "mount %s: belongs to no running container", mp);
	}
}

/* The value after flag in a NUL-separated command line. */
static const char *arg_after(const char *cmd, size_t len, const char *flag)
{
	for (const char *a = cmd; a < cmd + len; a += strlen(a) + 1)
		if (!strcmp(a, flag) && a + strlen(a) + 1 < cmd + len)
			return a + strlen(a) + 1;
	return NULL;
}

/* berth-monitor processes of this daemon (by --runtime-root) for no running container. */
static void check_monitors(struct engine *eng, const struct ctr_snap *v, size_t n, char ***p)
{
	_cleanup_free_ char *rt = str_printf("%s/runtime", eng->run_dir);
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		_cleanup_free_ char *path = str_printf("/proc/%s/cmdline", de->d_name);
		size_t len = 0;
		_cleanup_free_ char *cmd = fs_read_file(path, &len, NULL);
		if (!cmd || !len || !str_has_suffix(cmd, "berth-monitor"))
			continue;
		if (!str_eq(arg_after(cmd, len, "--runtime-root"), rt))
			continue;
		const char *id = arg_after(cmd, len, "--id");
		const struct ctr_snap *c = id ? snap_find(v, n, id) : NULL;
		if (!c || !c->running)
			PROBLEM(p, "monitor %s: of %s, which is not a running container",
				de->d_name, id ? id : "no container");
	}
	if (d)
		closedir(d);
}

struct snap_set {
	const struct ctr_snap *v;
	size_t n;
};

static bool snap_running(const char *id, void *arg)
{
	const struct snap_set *s = arg;
	const struct ctr_snap *c = id ? snap_find(s->v, s->n, id) : NULL;
	return c && c->running;
}

char **engine_check(struct engine *eng)
{
	char **p = xcalloc(1, sizeof(char *));
	image_store_check(eng->images, &p);
	size_t n;
	struct ctr_snap *v = snapshot(eng, &n);
	for (size_t i = 0; i < n; i++)
		check_container(eng, &v[i], &p);
	check_dirs(eng, v, n, &p);
	check_mounts(eng, v, n, &p);
	check_monitors(eng, v, n, &p);
	struct snap_set set = {v, n};
	netctl_check(eng, snap_running, &set, &p);
	for (size_t i = 0; i < n; i++)
		json_decref(v[i].rec);
	free(v);
	return p;
}
