/* cgroup: host detection (v1, v2, hybrid) from mountinfo, the container's directory in
 * every hierarchy (cgroupsPath, systemd slices), state-file JSON, and lookups. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup.h"
#include "runtime/cgroup_priv.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

#define CG_UNIFIED_ROOT "/sys/fs/cgroup"

/* A cgroup filesystem mount from mountinfo. */
struct cg_mount {
	char *root, *mountpoint;
	bool v2;
	char **opts; /* super options: "rw", "cpu", "name=systemd" ... */
};

struct cg_host {
	struct cg_mount *mounts;
	size_t n;
	enum cgroup_mode mode;
	const struct cg_mount *v2; /* the cgroup2 mount berth uses, or NULL */
};

static void host_release(struct cg_host *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->mounts[i].root);
		free(h->mounts[i].mountpoint);
		strv_free(h->mounts[i].opts);
	}
	free(h->mounts);
}

/* "36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory" */
static void host_add_line(struct cg_host *h, const char *line)
{
	_cleanup_strv_ char **f = strv_split(line, " ");
	size_t n = strv_len(f), sep = 0;
	for (size_t i = 6; i < n; i++)
		if (!strcmp(f[i], "-")) {
			sep = i;
			break;
		}
	if (!sep || sep + 1 >= n)
		return;
	bool v2 = !strcmp(f[sep + 1], "cgroup2");
	if (!v2 && strcmp(f[sep + 1], "cgroup"))
		return;
	h->mounts = xrealloc(h->mounts, (h->n + 1) * sizeof(*h->mounts));
	struct cg_mount *m = &h->mounts[h->n++];
	m->root = str_unescape_octal(f[3]);
	m->mountpoint = str_unescape_octal(f[4]);
	m->v2 = v2;
	m->opts = strv_split(sep + 3 < n ? f[sep + 3] : "", ",");
}

static void host_parse(struct cg_host *h, const char *mountinfo)
{
	bool v1 = false;
	int best = -1;
	/* Only cgroup lines are split into fields: a host has dozens of other mounts, and
	 * their " - " separator (spaces in fields are escaped) can't be followed by "cgroup". */
	for (const char *l = mountinfo; l && *l;) {
		const char *end = strchrnul(l, '\n');
		const char *sep = memmem(l, (size_t)(end - l), " - cgroup", 9);
		if (sep) {
			_cleanup_free_ char *line = str_ndup(l, (size_t)(end - l));
			host_add_line(h, line);
		}
		l = *end ? end + 1 : end;
	}
	for (size_t i = 0; i < h->n; i++) {
		struct cg_mount *m = &h->mounts[i];
		v1 |= !m->v2;
		/* Prefer the standard places: /sys/fs/cgroup, then .../unified, then any. */
		int rank = !strcmp(m->mountpoint, CG_UNIFIED_ROOT)		? 2
			   : !strcmp(m->mountpoint, CG_UNIFIED_ROOT "/unified") ? 1
										: 0;
		if (m->v2 && rank > best) {
			h->v2 = m;
			best = rank;
		}
	}
	if (best == 2 || (!v1 && h->v2))
		h->mode = CGROUP_MODE_V2;
	else
		h->mode = v1 && h->v2 ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
}

/* Read once; the daemon's threads may race to the first reading: each finds the same mode,
 * and the value is stored atomically. */
enum cgroup_mode cgroup_host_mode(void)
{
	static int cached = -1;
	int mode = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (mode < 0) {
		struct cg_host h = {0};
		_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, NULL);
		host_parse(&h, mi ? mi : "");
		mode = (int)h.mode;
		host_release(&h);
		__atomic_store_n(&cached, mode, __ATOMIC_RELAXED);
	}
	return (enum cgroup_mode)mode;
}

/* The v1 mount whose super options contain every controller of ctls ("cpu,cpuacct"). */
static const struct cg_mount *host_find_v1(const struct cg_host *h, const char *ctls)
{
	_cleanup_strv_ char **want = strv_split(ctls, ",");
	for (size_t i = 0; i < h->n; i++) {
		const struct cg_mount *m = &h->mounts[i];
		bool all = !m->v2;
		for (char **w = want; all && w && *w; w++) {
			bool found = false;
			for (char **o = m->opts; !found && o && *o; o++)
				found = !strcmp(*o, *w);
			all = found;
		}
		if (all)
			return m;
	}
	return NULL;
}

/* runc's CleanPath: lexical clean; a relative path can't climb out with "..". */
static char *clean_cgroups_path(const char *p)
{
	if (p[0] == '/')
		return path_clean(p);
	_cleanup_free_ char *tmp = str_printf("/%s", p);
	_cleanup_free_ char *abs = path_clean(tmp);
	return str_dup(abs[1] ? abs + 1 : ".");
}

/* systemd's slice expansion: "a-b.slice" -> "/a.slice/a-b.slice"; "-.slice" -> "/". */
static char *expand_slice(const char *slice, struct err *e)
{
	size_t len = strlen(slice);
	if (len <= strlen(".slice") || !str_has_suffix(slice, ".slice") || strchr(slice, '/'))
		return err_invalid(e, "invalid slice name: %s", slice), NULL;
	_cleanup_free_ char *name = str_ndup(slice, len - strlen(".slice"));
	if (!strcmp(name, "-"))
		return str_dup("/");
	_cleanup_free_ char *path = str_dup(""), *prefix = str_dup("");
	for (char *c = name, *end;; c = end + 1) {
		end = strchr(c, '-');
		if (end)
			*end = '\0';
		if (!*c)
			return err_invalid(e, "invalid slice name: %s", slice), NULL;
		char *np = str_printf("%s/%s%s.slice", path, prefix, c);
		char *npre = str_printf("%s%s-", prefix, c);
		free(path);
		free(prefix);
		path = np;
		prefix = npre;
		if (!end)
			break;
	}
	return TAKE_PTR(path);
}

/* "slice:prefix:name" -> "/<expanded slice>/<prefix>-<name>.scope" (or the slice "name"). */
static char *systemd_inner(const char *cgroups_path, const char *id, struct err *e)
{
	_cleanup_free_ char *slice_path = NULL;
	_cleanup_strv_ char **parts = NULL;
	const char *slice = "", *prefix = "runc", *name = id;
	if (cgroups_path && *cgroups_path) {
		const char *c1 = strchr(cgroups_path, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || strchr(c2 + 1, ':'))
			return err_invalid(
				   e,
				   "expected cgroupsPath to be of format \"slice:prefix:name\" "
				   "for systemd cgroups, got \"%s\" instead",
				   cgroups_path),
			       NULL;
		parts = xcalloc(4, sizeof(char *));
		parts[0] = str_ndup(cgroups_path, (size_t)(c1 - cgroups_path));
		parts[1] = str_ndup(c1 + 1, (size_t)(c2 - c1 - 1));
		parts[2] = str_dup(c2 + 1);
		slice = parts[0], prefix = parts[1], name = parts[2];
	}
	slice_path = *slice ? expand_slice(slice, e) : str_dup("/system.slice");
	if (!slice_path)
		return NULL;
	if (str_has_suffix(name, ".slice"))
		return path_join(slice_path, name);
	_cleanup_free_ char *unit = str_printf("%s-%s.scope", prefix, name);
	return path_join(slice_path, unit);
}

/* The caller's own cgroup in a hierarchy, relative to the mount's root. */
static char *own_relative(const struct cg_mount *m, const char *own)
{
	if (!strcmp(m->root, "/"))
		return str_dup(own);
	size_t rl = strlen(m->root);
	if (!strncmp(own, m->root, rl) && (own[rl] == '/' || !own[rl]))
		return str_dup(own[rl] ? own + rl : "/");
	return str_dup("/");
}

static char *hier_path(const struct cg_mount *m, const char *own, const char *inner, bool v2mode)
{
	if (inner[0] == '/')
		return path_join(m->mountpoint, inner);
	_cleanup_free_ char *rel = own_relative(m, own);
	/* On a v2 host the caller sits in a leaf; runc puts containers beside it. */
	if (v2mode) {
		char *slash = strrchr(rel, '/');
		if (slash)
			slash[slash == rel ? 1 : 0] = '\0';
	}
	_cleanup_free_ char *base = path_join(m->mountpoint, rel);
	return path_join(base, inner);
}

static void cg_add_hier(struct cgroup *cg, const char *ctls, const char *mnt, char *path)
{
	cg->hiers = xrealloc(cg->hiers, (cg->n_hiers + 1) * sizeof(*cg->hiers));
	cg->hiers[cg->n_hiers++] = (struct cgroup_hier){
	    .controllers = str_dup(ctls), .mountpoint = str_dup(mnt), .path = path};
}

/* One /proc/self/cgroup line "id:controllers:path" into a hierarchy of cg. */
static void cg_add_line(struct cgroup *cg, const struct cg_host *h, const char *line,
			const char *inner)
{
	const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2)
		return;
	_cleanup_free_ char *ctls = str_ndup(c1 + 1, (size_t)(c2 - c1 - 1));
	const char *own = c2 + 1;
	const struct cg_mount *m = NULL;
	if (!*ctls && h->mode != CGROUP_MODE_V1)
		m = h->v2;
	else if (*ctls && h->mode != CGROUP_MODE_V2)
		m = host_find_v1(h, ctls);
	if (!m || cg_hier(cg, *ctls ? ctls : ""))
		return;
	cg_add_hier(cg, ctls, m->mountpoint, hier_path(m, own, inner, h->mode == CGROUP_MODE_V2));
}

static char *inner_path(const char *cgroups_path, const char *id, bool systemd, struct err *e)
{
	if (systemd)
		return systemd_inner(cgroups_path, id, e);
	if (cgroups_path && *cgroups_path)
		return clean_cgroups_path(cgroups_path);
	if (!id || !*id)
		return err_invalid(e, "cgroup: no cgroupsPath and no container id"), NULL;
	return clean_cgroups_path(id);
}

struct cgroup *cgroup_new_from(const char *mountinfo, const char *proc_cgroup,
			       const char *cgroups_path, const char *id, bool systemd,
			       struct err *e)
{
	_cleanup_free_ char *inner = inner_path(cgroups_path, id, systemd, e);
	if (!inner)
		return NULL;
	struct cg_host h = {0};
	host_parse(&h, mountinfo);
	struct cgroup *cg = xcalloc(1, sizeof(*cg));
	cg->mode = h.mode;
	_cleanup_strv_ char **lines = strv_split(proc_cgroup, "\n");
	for (char **l = lines; l && *l; l++)
		cg_add_line(cg, &h, *l, inner);
	host_release(&h);
	if (!cg->n_hiers) {
		cgroup_free(cg);
		return err_set(e, ERR_UNAVAILABLE, 0, "cgroup: no cgroup mount found in mountinfo"),
		       NULL;
	}
	/* runc treats a missing devices hierarchy as fatal: it is a security boundary. */
	if (cg->mode != CGROUP_MODE_V2 && !cg_hier(cg, "devices")) {
		cgroup_free(cg);
		return err_set(e, ERR_UNAVAILABLE, 0, "cgroup: mountpoint for devices not found"),
		       NULL;
	}
	return cg;
}

struct cgroup *cgroup_new(const char *cgroups_path, const char *id, bool systemd, struct err *e)
{
	_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, e);
	if (!mi)
		return NULL;
	_cleanup_free_ char *pc = fs_read_file("/proc/self/cgroup", NULL, e);
	if (!pc)
		return NULL;
	return cgroup_new_from(mi, pc, cgroups_path, id, systemd, e);
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n_hiers; i++) {
		free(cg->hiers[i].controllers);
		free(cg->hiers[i].mountpoint);
		free(cg->hiers[i].path);
	}
	free(cg->hiers);
	strv_free(cg->created);
	free(cg);
}

size_t cgroup_hierarchies(const struct cgroup *cg, const struct cgroup_hier **out)
{
	*out = cg->hiers;
	return cg->n_hiers;
}

enum cgroup_mode cgroup_mode(const struct cgroup *cg)
{
	return cg->mode;
}

const struct cgroup_hier *cg_hier(const struct cgroup *cg, const char *ctl)
{
	for (size_t i = 0; i < cg->n_hiers; i++) {
		const char *c = cg->hiers[i].controllers;
		if (!*ctl || !*c) {
			if (!*ctl && !*c)
				return &cg->hiers[i];
			continue;
		}
		size_t n = strlen(ctl);
		for (const char *p = c; (p = strstr(p, ctl)); p += n)
			if ((p == c || p[-1] == ',') && (p[n] == ',' || !p[n]))
				return &cg->hiers[i];
	}
	return NULL;
}

const char *cg_dir(const struct cgroup *cg, const char *ctl)
{
	const struct cgroup_hier *h = cg_hier(cg, ctl);
	return h ? h->path : NULL;
}

const char *cgroup_path(const struct cgroup *cg, const char *controller)
{
	return cg_dir(cg, controller);
}

const char *cg_members_dir(const struct cgroup *cg)
{
	if (cg->mode == CGROUP_MODE_V2)
		return cg_dir(cg, "");
	const char *d = cg_dir(cg, "devices");
	return d ? d : cg->hiers[0].path;
}

static const char *const mode_names[] = {
    [CGROUP_MODE_V1] = "v1", [CGROUP_MODE_V2] = "v2", [CGROUP_MODE_HYBRID] = "hybrid"};

json_t *cgroup_to_json(const struct cgroup *cg)
{
	json_t *hiers = json_array(), *created = json_array();
	for (size_t i = 0; i < cg->n_hiers; i++)
		json_array_append_new(hiers, json_pack("{s:s, s:s, s:s}", "controllers",
						       cg->hiers[i].controllers, "mountpoint",
						       cg->hiers[i].mountpoint, "path",
						       cg->hiers[i].path));
	for (char **c = cg->created; c && *c; c++)
		json_array_append_new(created, json_string(*c));
	return json_pack("{s:s, s:o, s:o}", "mode", mode_names[cg->mode], "hierarchies", hiers,
			 "created", created);
}

static int hier_from_json(struct cgroup *cg, const json_t *h, size_t i, struct err *e)
{
	_cleanup_free_ char *ctx = str_printf("cgroup.hierarchies[%zu]", i);
	const char *ctls = NULL, *mnt = NULL, *path = NULL;
	if (!json_is_object(h))
		return err_invalid(e, "%s: expected an object, got %s", ctx, jx_type_name(h));
	if (jx_str(h, "controllers", ctx, &ctls, e) < 0 ||
	    jx_str(h, "mountpoint", ctx, &mnt, e) < 0 || jx_str(h, "path", ctx, &path, e) < 0)
		return -1;
	if (!ctls || !mnt || !path || path[0] != '/' || mnt[0] != '/')
		return err_invalid(e, "%s: needs controllers and absolute mountpoint and path",
				   ctx);
	if (!str_has_prefix(path, mnt))
		return err_invalid(e, "%s.path: %s is not under %s", ctx, path, mnt);
	cg_add_hier(cg, ctls, mnt, path_clean(path));
	return 0;
}

static int cg_from_json_fill(struct cgroup *cg, const json_t *j, struct err *e)
{
	const char *mode = NULL;
	json_t *hiers = NULL, *created = NULL;
	if (jx_str(j, "mode", "cgroup", &mode, e) < 0 ||
	    jx_arr(j, "hierarchies", "cgroup", &hiers, e) < 0 ||
	    jx_arr(j, "created", "cgroup", &created, e) < 0)
		return -1;
	size_t m = 0;
	while (m < ARRAY_SIZE(mode_names) && !str_eq(mode, mode_names[m]))
		m++;
	if (m == ARRAY_SIZE(mode_names))
		return err_invalid(e, "cgroup.mode: unknown mode '%s'", mode ? mode : "");
	cg->mode = (enum cgroup_mode)m;
	if (!hiers || !json_array_size(hiers))
		return err_invalid(e, "cgroup.hierarchies: must not be empty");
	for (size_t i = 0; i < json_array_size(hiers); i++)
		if (hier_from_json(cg, json_array_get(hiers, i), i, e) < 0)
			return -1;
	for (size_t i = 0; created && i < json_array_size(created); i++) {
		const char *c = json_string_value(json_array_get(created, i));
		if (!c || c[0] != '/')
			return err_invalid(e, "cgroup.created[%zu]: expected an absolute path", i);
		strv_push(&cg->created, c);
	}
	return 0;
}

struct cgroup *cgroup_from_json(const json_t *j, struct err *e)
{
	if (!json_is_object(j))
		return err_invalid(e, "cgroup: expected an object, got %s",
				   j ? jx_type_name(j) : "nothing"),
		       NULL;
	struct cgroup *cg = xcalloc(1, sizeof(*cg));
	if (cg_from_json_fill(cg, j, e) < 0) {
		cgroup_free(cg);
		return NULL;
	}
	return cg;
}
