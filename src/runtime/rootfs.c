/* rootfs: the flow of the container's mount namespace setup (runc's prepareRootfs,
 * pivotRoot/msMoveRoot and finalizeRootfs); the pieces live in rootfs_*.c. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/rootfs.h"
#include "runtime/rootfs_int.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/str.h"

static const struct rootfs_opts no_opts;

static int ctx_init(struct rootfs_ctx *c, const struct spec *s, const struct rootfs_opts *o,
		    struct err *e)
{
	*c = (struct rootfs_ctx){.s = s, .o = o ? o : &no_opts};
	if (!s->root_path || !*s->root_path)
		return err_invalid(e, "root.path is not set");
	c->root = realpath(s->root_path, NULL);
	if (!c->root)
		return err_sys(e, "root.path %s", s->root_path);
	struct statfs sf;
	c->cgroup2 = statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
	return 0;
}

static void ctx_release(struct rootfs_ctx *c)
{
	free(c->root);
}

/* pivot_root refuses a shared parent, and a shared parent would carry our bind of the root
 * into other namespaces: make the mount holding the root private if it is shared. After a
 * recursive slave or private propagation of / (the default rslave) none is: no need to read
 * mountinfo (~70 us of the kernel's formatting per run). */
static int parent_make_private(const char *root, unsigned long propagation, struct err *e)
{
	if ((propagation & MS_REC) && (propagation & (MS_SLAVE | MS_PRIVATE)) &&
	    !(propagation & MS_SHARED))
		return 0;
	struct rootfs_mountinfo *mi;
	size_t n;
	if (rootfs_mountinfo_read(&mi, &n, e) < 0)
		return -1;
	const struct rootfs_mountinfo *parent = NULL;
	for (size_t i = 0; i < n; i++)
		if (rootfs_path_under(root, mi[i].mountpoint) &&
		    (!parent || strlen(mi[i].mountpoint) >= strlen(parent->mountpoint)))
			parent = &mi[i];
	int r = 0;
	if (parent && strstr(parent->optional, "shared:") &&
	    mount(NULL, parent->mountpoint, NULL, MS_PRIVATE, NULL) < 0)
		r = err_sys(e, "make %s private", parent->mountpoint);
	rootfs_mountinfo_free(mi, n);
	return r;
}

static int prepare_root(const struct rootfs_ctx *c, struct err *e)
{
	unsigned long flag =
	    c->s->rootfs_propagation ? c->s->rootfs_propagation : MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, flag, NULL) < 0)
		return err_sys(e, "set propagation of /");
	if (parent_make_private(c->root, flag, e) < 0)
		return -1;
	/* The root must be a mount point of its own for pivot_root. */
	if (mount(c->root, c->root, "bind", MS_BIND | MS_REC, NULL) < 0)
		return err_sys(e, "bind %s onto itself", c->root);
	return 0;
}

static const char *mount_kind(const struct spec_mount *m)
{
	if (rootfs_mount_is_bind(m))
		return "bind";
	return m->type && *m->type ? m->type : "none";
}

int rootfs_prepare(const struct spec *s, const struct rootfs_opts *o, struct err *e)
{
	_cleanup_(ctx_release) struct rootfs_ctx c;
	if (ctx_init(&c, s, o, e) < 0)
		return -1;
	if (prepare_root(&c, e) < 0)
		return err_wrap(e, "error preparing rootfs");
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		int fd = c.o->mount_fds ? c.o->mount_fds[i] : -1;
		if (rootfs_mount_one(&c, m, fd, e) < 0)
			return err_wrap(e, "mounts[%zu] (%s on %s)", i, mount_kind(m),
					m->destination ? m->destination : "");
	}
	if (rootfs_needs_dev(s) && rootfs_dev_setup(&c, e) < 0)
		return -1;
	/* createContainer hooks run next, in the root. */
	if (chdir(c.root) < 0)
		return err_sys(e, "chdir %s", c.root);
	return 0;
}

/* pivot_root(".", ".") stacks the old root under the new one, at our cwd: detach it there
 * (LXC's trick: no directory needed in the root). */
static int pivot_here(const char *root, struct err *e)
{
	_cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		return err_sys(e, "open /");
	_cleanup_close_ int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (newroot < 0)
		return err_sys(e, "open %s", root);
	if (fchdir(newroot) < 0)
		return err_sys(e, "fchdir %s", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_sys(e, "pivot_root %s", root);
	if (fchdir(oldroot) < 0)
		return err_sys(e, "fchdir to the old root");
	/* rslave, so that the unmount can't propagate to the host. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return err_sys(e, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return err_sys(e, "unmount the old root");
	if (chdir("/") < 0)
		return err_sys(e, "chdir /");
	return 0;
}

static int chroot_here(struct err *e)
{
	if (chroot(".") < 0)
		return err_sys(e, "chroot .");
	if (chdir("/") < 0)
		return err_sys(e, "chdir /");
	return 0;
}

/* With chroot the host's proc and sysfs stay reachable in the namespace, and the kernel lets
 * a full mount of them be mounted again (e.g. in a nested user ns): hide every one outside
 * the root first, by unmounting it or covering it with a tmpfs. */
static int hide_host_procfs(const char *root, struct err *e)
{
	struct rootfs_mountinfo *mi;
	size_t n;
	if (rootfs_mountinfo_read(&mi, &n, e) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *p = mi[i].mountpoint;
		if (strcmp(mi[i].root, "/") ||
		    (strcmp(mi[i].fstype, "proc") && strcmp(mi[i].fstype, "sysfs")) ||
		    rootfs_path_under(p, root))
			continue;
		if (mount(NULL, p, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			/* A parent already went away. */
			if (errno != ENOENT)
				r = err_sys(e, "make %s rslave", p);
			continue;
		}
		if (umount2(p, MNT_DETACH) == 0)
			continue;
		if (errno != EINVAL && errno != EPERM)
			r = err_sys(e, "unmount %s", p);
		else if (mount("tmpfs", p, "tmpfs", 0, NULL) < 0)
			r = err_sys(e, "cover %s", p);
	}
	rootfs_mountinfo_free(mi, n);
	return r;
}

static int move_root(const char *root, struct err *e)
{
	if (hide_host_procfs(root, e) < 0)
		return -1;
	if (mount(root, "/", NULL, MS_MOVE, NULL) < 0)
		return err_sys(e, "move %s to /", root);
	return chroot_here(e);
}

int rootfs_pivot(const struct spec *s, const struct rootfs_opts *o, struct err *e)
{
	_cleanup_(ctx_release) struct rootfs_ctx c;
	if (ctx_init(&c, s, o, e) < 0)
		return -1;
	if (chdir(c.root) < 0)
		return err_sys(e, "chdir %s", c.root);
	int r;
	if (c.o->no_pivot)
		r = move_root(c.root, e);
	else if (!s->ns[NS_MNT].enabled)
		r = chroot_here(e);
	else
		r = pivot_here(c.root, e);
	if (r < 0)
		return err_wrap(e, "error jailing process inside rootfs");
	if (rootfs_needs_dev(s) && rootfs_dev_reopen_null(e) < 0)
		return err_wrap(e, "error reopening /dev/null inside container");
	/* process.cwd may be missing from the image (it may be unclean: we are jailed now). */
	if (s->has_process && s->process.cwd && *s->process.cwd &&
	    fs_mkdir_p(s->process.cwd, 0755, e) < 0)
		return err_wrap(e, "process.cwd");
	return 0;
}

static int remount_late_readonly(const struct spec *s, struct err *e)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		if (!(m->flags & MS_RDONLY))
			continue;
		/* These were mounted read-write for the files made in them. */
		bool tmpfs = !rootfs_mount_is_bind(m) && str_eq(m->type, "tmpfs");
		if ((tmpfs || rootfs_dest_is(m->destination, "/dev")) &&
		    rootfs_remount_readonly(m->destination, m->flags, e) < 0)
			return err_wrap(e, "mounts[%zu] (%s on %s)", i, mount_kind(m),
					m->destination);
	}
	return 0;
}

int rootfs_finalize(const struct spec *s, struct err *e)
{
	if (rootfs_sysctl_check(s, false, e) < 0)
		return -1;
	if (remount_late_readonly(s, e) < 0)
		return -1;
	if (s->root_readonly && rootfs_root_readonly(e) < 0)
		return -1;
	if (rootfs_sysctl_apply(s, e) < 0)
		return -1;
	for (char **p = s->readonly_paths; p && *p; p++)
		if (rootfs_readonly_path(*p, e) < 0)
			return -1;
	for (char **p = s->masked_paths; p && *p; p++)
		if (rootfs_mask_path(*p, e) < 0)
			return -1;
	return 0;
}

int rootfs_validate(const struct spec *s, struct err *e)
{
	/* runc also refuses a root.path with symlinks, but its path is relative to a bundle it
	 * chdir'd into (so resolved); ours is joined to --bundle as given: only require a
	 * directory (securejoin works from its real path anyway). */
	struct stat st;
	if (!s->root_path || s->root_path[0] != '/')
		return err_invalid(e, "invalid rootfs: not an absolute path");
	if (stat(s->root_path, &st) < 0)
		return err_sys(e, "invalid rootfs: stat %s", s->root_path);
	if (!S_ISDIR(st.st_mode))
		return err_invalid(e, "invalid rootfs: %s is not a directory", s->root_path);
	if ((s->masked_paths || s->readonly_paths) && !s->ns[NS_MNT].enabled)
		return err_invalid(e, "unable to restrict sys entries without a private MNT "
				      "namespace");
	return rootfs_sysctl_check(s, true, e);
}
