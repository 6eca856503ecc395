/* rootfs_cgroup: the "cgroup" mount type as runc does it: on cgroup v1 a tmpfs with one bind
 * (or, in a cgroup namespace, one cgroup mount) per hierarchy and links for combined
 * controllers; on v2 a cgroup2 mount, or a bind when the kernel refuses one. */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

#include "runtime/rootfs_int.h"
#include "runtime/securejoin.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/str.h"

#define CGROUP_UNIFIED_MOUNTPOINT "/sys/fs/cgroup"

/* One v1 hierarchy: its directory name under the cgroup mount and the host directory. */
struct v1_hier {
	char *base;   /* "cpu,cpuacct", "systemd" */
	char *source; /* the container's cgroup in that hierarchy */
};

static void v1_free(struct v1_hier *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].base);
		free(v[i].source);
	}
	free(v);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void v1_push(struct v1_hier **v, size_t *n, const char *mountpoint, char *source)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].base = str_dup(base_name(mountpoint));
	(*v)[(*n)++].source = source;
}

/* Whether every controller of a /proc/self/cgroup line is among a mount's super options. */
static bool controllers_match(const char *controllers, const char *superopts)
{
	_cleanup_strv_ char **want = strv_split(controllers, ",");
	_cleanup_strv_ char **have = strv_split(superopts, ",");
	if (!want[0])
		return false;
	for (char **w = want; *w; w++) {
		bool found = false;
		for (char **h = have; *h && !found; h++)
			found = !strcmp(*w, *h);
		if (!found)
			return false;
	}
	return true;
}

/* Our own cgroup (from /proc/self/cgroup) of the hierarchy mounted with superopts. */
static char *own_cgroup(const char *cgroup_file, const char *superopts, bool v2)
{
	_cleanup_strv_ char **lines = strv_split(cgroup_file, "\n");
	for (char **l = lines; *l; l++) {
		char *c1 = strchr(*l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		_cleanup_free_ char *ctrl = str_ndup(c1 + 1, (size_t)(c2 - c1 - 1));
		bool unified = c1 == *l + 1 && **l == '0' && !*ctrl;
		if (v2 ? unified : controllers_match(ctrl, superopts))
			return str_dup(c2 + 1);
	}
	return NULL;
}

/* Without a struct cgroup: runc's way, from mountinfo and /proc/self/cgroup. */
static int v1_from_host(struct v1_hier **out, size_t *n, struct err *e)
{
	_cleanup_free_ char *cg = fs_read_file("/proc/self/cgroup", NULL, e);
	struct rootfs_mountinfo *mi = NULL;
	size_t nmi = 0;
	if (!cg || rootfs_mountinfo_read(&mi, &nmi, e) < 0)
		return -1;
	for (size_t i = 0; i < nmi; i++) {
		if (strcmp(mi[i].fstype, "cgroup"))
			continue;
		_cleanup_free_ char *dir = own_cgroup(cg, mi[i].options, false);
		if (!dir)
			continue;
		/* In a cgroup namespace the mount's root may lie outside ours ("/.."): there
		 * is no source to bind then, but a cgroup namespace mounts afresh anyway. */
		const char *rel = dir + (strcmp(mi[i].root, "/") ? strlen(mi[i].root) : 0);
		v1_push(out, n, mi[i].mountpoint,
			rootfs_path_under(dir, mi[i].root) ? path_join(mi[i].mountpoint, rel)
							   : str_dup(mi[i].mountpoint));
	}
	rootfs_mountinfo_free(mi, nmi);
	return 0;
}

static int v1_hierarchies(const struct rootfs_ctx *c, struct v1_hier **out, size_t *n,
			  struct err *e)
{
	*out = NULL;
	*n = 0;
	if (!c->o->cgroup)
		return v1_from_host(out, n, e);
	const struct cgroup_hier *h;
	size_t nh = cgroup_hierarchies(c->o->cgroup, &h);
	for (size_t i = 0; i < nh; i++)
		if (h[i].controllers && *h[i].controllers) /* not the hybrid's unified one */
			v1_push(out, n, h[i].mountpoint, str_dup(h[i].path));
	return 0;
}

/* In a cgroup namespace a fresh cgroup mount shows the namespace's root. */
static int v1_mount_ns(const struct rootfs_ctx *c, const struct spec_mount *m,
		       const struct v1_hier *h, const char *dest, struct err *e)
{
	_cleanup_free_ char *path = securejoin_resolve(c->root, dest, e);
	if (!path || fs_mkdir_p(path, 0755, e) < 0)
		return -1;
	bool systemd = !strcmp(h->base, "systemd");
	_cleanup_free_ char *data = systemd ? str_dup("name=systemd") : str_dup(h->base);
	unsigned long flags = ROOTFS_DEFAULT_FLAGS | (m->flags & MS_RDONLY);
	return rootfs_mount_at(c->root, dest, systemd ? "systemd" : "cgroup", "cgroup", flags, data,
			       e);
}

static int v1_links(const struct rootfs_ctx *c, const char *dest, const char *merged, struct err *e)
{
	_cleanup_strv_ char **parts = strv_split(merged, ",");
	for (char **p = parts; *p; p++) {
		_cleanup_free_ char *rel = str_printf("%s/%s", dest, *p);
		_cleanup_free_ char *link = securejoin_resolve(c->root, rel, e);
		if (!link)
			return -1;
		if (symlink(merged, link) < 0 && errno != EEXIST)
			return err_sys(e, "symlink %s", link);
	}
	return 0;
}

/* The binds land in the tmpfs just mounted for them: nothing there can be a symlink, so
 * plain mkdir + mount, and one recursive mount_setattr gives the binds the cgroup mount's
 * flags (runc remounts each bind: 2n calls more). */
static int v1_bind_all(const struct rootfs_ctx *c, const struct spec_mount *m,
		       const struct v1_hier *h, size_t n, struct err *e)
{
	_cleanup_free_ char *base = securejoin_resolve(c->root, m->destination, e);
	if (!base)
		return -1;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dest = path_join(base, h[i].base);
		if (mkdir(dest, 0755) < 0 && errno != EEXIST)
			return err_sys(e, "mkdir %s", dest);
		if (mount(h[i].source, dest, NULL, MS_BIND | MS_REC, NULL) < 0)
			return err_sys(e, "bind %s on %s", h[i].source, dest);
		if (m->propagation && mount(NULL, dest, NULL, m->propagation, NULL) < 0)
			return err_sys(e, "propagation of %s", dest);
	}
	struct mount_attr a = {0};
	a.attr_set = (m->flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) |
		     (m->flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
		     (m->flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
		     (m->flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0);
	if (a.attr_set &&
	    syscall(SYS_mount_setattr, AT_FDCWD, base, AT_RECURSIVE, &a, sizeof(a)) < 0)
		return err_sys(e, "set flags of %s", base);
	/* As runc, the tmpfs itself stays writable: only the binds are read-only. */
	struct mount_attr rw = {.attr_clr = MOUNT_ATTR_RDONLY};
	if ((a.attr_set & MOUNT_ATTR_RDONLY) &&
	    syscall(SYS_mount_setattr, AT_FDCWD, base, 0, &rw, sizeof(rw)) < 0)
		return err_sys(e, "make %s writable", base);
	return 0;
}

static int v1_mount_all(const struct rootfs_ctx *c, const struct spec_mount *m,
			const struct v1_hier *h, size_t n, struct err *e)
{
	if (!c->o->new_cgroupns) {
		if (v1_bind_all(c, m, h, n, e) < 0)
			return -1;
	} else {
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *dest = str_printf("%s/%s", m->destination, h[i].base);
			if (v1_mount_ns(c, m, &h[i], dest, e) < 0)
				return err_wrap(e, "%s", dest);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (strchr(h[i].base, ',') && v1_links(c, m->destination, h[i].base, e) < 0)
			return -1;
	return 0;
}

static int mount_v1(const struct rootfs_ctx *c, const struct spec_mount *m, struct err *e)
{
	struct v1_hier *h = NULL;
	size_t n = 0;
	if (v1_hierarchies(c, &h, &n, e) < 0)
		return -1;
	struct spec_mount t = {.destination = m->destination,
			       .type = "tmpfs",
			       .source = "tmpfs",
			       .flags = ROOTFS_DEFAULT_FLAGS,
			       .data = "mode=755",
			       .propagation = m->propagation};
	int r = rootfs_mount_one(c, &t, -1, e);
	if (r == 0)
		r = v1_mount_all(c, m, h, n, e);
	v1_free(h, n);
	return r;
}

/* The container's directory in the unified hierarchy, NULL if unknown. */
static char *v2_own_dir(const struct rootfs_ctx *c)
{
	if (c->o->cgroup) {
		const struct cgroup_hier *h;
		size_t nh = cgroup_hierarchies(c->o->cgroup, &h);
		for (size_t i = 0; i < nh; i++)
			if (!h[i].controllers || !*h[i].controllers)
				return str_dup(h[i].path);
		return NULL;
	}
	_cleanup_free_ char *cg = fs_read_file("/proc/self/cgroup", NULL, NULL);
	_cleanup_free_ char *dir = cg ? own_cgroup(cg, "", true) : NULL;
	return dir ? path_join(CGROUP_UNIFIED_MOUNTPOINT, dir) : NULL;
}

static int mount_v2(const struct rootfs_ctx *c, const struct spec_mount *m, struct err *e)
{
	_cleanup_free_ char *dest = securejoin_resolve(c->root, m->destination, e);
	if (!dest || fs_mkdir_p(dest, 0755, e) < 0)
		return -1;
	const char *src = m->source && *m->source ? m->source : "cgroup2";
	if (rootfs_mount_at(c->root, m->destination, src, "cgroup2", m->flags, m->data, e) == 0)
		return 0;
	if (!e || (e->errnum != EPERM && e->errnum != EBUSY))
		return -1;
	/* In a user namespace without a cgroup namespace cgroup2 can't be mounted: bind the
	 * hierarchy instead (only our own part of it when we have a cgroup namespace). */
	err_clear(e);
	_cleanup_free_ char *own = c->o->new_cgroupns ? v2_own_dir(c) : NULL;
	struct spec_mount b = {.destination = m->destination,
			       .type = "bind",
			       .source = own ? own : CGROUP_UNIFIED_MOUNTPOINT,
			       .bind = true,
			       .flags = MS_BIND | m->flags,
			       .propagation = m->propagation};
	return rootfs_mount_one(c, &b, -1, e);
}

int rootfs_mount_cgroup(const struct rootfs_ctx *c, const struct spec_mount *m, struct err *e)
{
	/* The container's cgroup may still be in the making (created while we mount). */
	if (c->o->cgroup_ready && c->o->cgroup_ready(c->o->cgroup_ready_arg, e) < 0)
		return -1;
	return c->cgroup2 ? mount_v2(c, m, e) : mount_v1(c, m, e);
}
