/* rootfs_mount: one config mount into the root: bind (with the remount that makes its
 * flags effective), proc/sysfs, tmpfs (+ tmpcopyup), mqueue and anything else; then its
 * propagation and recursive attributes. Destinations always go through securejoin. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/rootfs_int.h"
#include "runtime/securejoin.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/str.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

static const struct {
	const char *name;
	unsigned long flag;
} propagation_opts[] = {
    {"rprivate", MS_PRIVATE | MS_REC},	     {"private", MS_PRIVATE},
    {"rslave", MS_SLAVE | MS_REC},	     {"slave", MS_SLAVE},
    {"rshared", MS_SHARED | MS_REC},	     {"shared", MS_SHARED},
    {"runbindable", MS_UNBINDABLE | MS_REC}, {"unbindable", MS_UNBINDABLE},
};

/* Mounts under /proc that lxcfs-style setups may cover (runc's list). */
static const char *const valid_proc_mounts[] = {
    "/proc/cpuinfo", "/proc/diskstats",
    "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",
    "/proc/loadavg", "/proc/slabinfo",
    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

bool rootfs_dest_is(const char *dest, const char *path)
{
	_cleanup_free_ char *clean = path_clean(dest);
	return !strcmp(clean, path);
}

bool rootfs_mount_is_bind(const struct spec_mount *m)
{
	return m->bind || m->rbind || (m->flags & MS_BIND) || str_eq(m->type, "bind");
}

int rootfs_mount_at(const char *root, const char *dest, const char *src, const char *type,
		    unsigned long flags, const char *data, struct err *e)
{
	char procfd[32];
	_cleanup_close_ int fd = securejoin_open(root, dest, NULL, e);
	if (fd < 0)
		return -1;
	/* Mounting on the fd's /proc name pins the directory we checked to be inside root. */
	if (mount(src, securejoin_fd_path(fd, procfd), type, flags, data) < 0)
		return err_sys(e, "mount");
	return 0;
}

/* The propagation changes in the order given; the parser's summary when options are absent. */
static size_t propagation_list(const struct spec_mount *m, unsigned long out[8])
{
	size_t n = 0;
	for (char **o = m->options; o && *o && n < 8; o++)
		for (size_t i = 0; i < ARRAY_SIZE(propagation_opts); i++)
			if (!strcmp(*o, propagation_opts[i].name))
				out[n++] = propagation_opts[i].flag;
	if (n > 0 || !m->propagation)
		return n;
	const unsigned long kinds[] = {MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE};
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (m->propagation & kinds[i])
			out[n++] = kinds[i] | (m->propagation & MS_REC);
	return n;
}

static int apply_propagation(const char *root, const struct spec_mount *m, struct err *e)
{
	unsigned long flags[8];
	size_t n = propagation_list(m, flags);
	if (n == 0)
		return 0;
	/* Re-open: the fd used for the mount still points at what is now covered. */
	char procfd[32];
	_cleanup_close_ int fd = securejoin_open(root, m->destination, NULL, e);
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (mount(NULL, securejoin_fd_path(fd, procfd), NULL, flags[i], NULL) < 0)
			return err_sys(e, "change mount propagation");
	return 0;
}

/* runc's recursive options ("rro", "rnosuid"...), as the parser summed them up. */
static int apply_rec_attrs(const char *root, const struct spec_mount *m, struct err *e)
{
	uint64_t set = m->attr_set | (m->recursive_ro ? MOUNT_ATTR_RDONLY : 0), clr = m->attr_clr;
	if (!set && !clr)
		return 0;
	_cleanup_close_ int fd = securejoin_open(root, m->destination, NULL, e);
	if (fd < 0)
		return -1;
	struct mount_attr attr = {.attr_set = set, .attr_clr = clr};
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) <
	    0)
		return err_sys(e, "mount_setattr");
	return 0;
}

/* mount + propagation. tmpfs and /dev stay writable until finalize: files are made in them. */
static int mount_propagate(const struct rootfs_ctx *c, const struct spec_mount *m, const char *src,
			   const char *type, unsigned long flags, struct err *e)
{
	if (str_eq(type, "tmpfs") || rootfs_dest_is(m->destination, "/dev"))
		flags &= ~MS_RDONLY;
	const char *data = m->data && *m->data ? m->data : NULL;
	if (rootfs_mount_at(c->root, m->destination, src, type, flags, data, e) < 0)
		return -1;
	return apply_propagation(c->root, m, e);
}

/* Mounts over /proc only of a procfs, and under it only of runc's lxcfs list. */
static int check_proc_mount(const char *root, const char *dest, const char *source, struct err *e)
{
	_cleanup_free_ char *procdir = path_join(root, "/proc");
	if (!rootfs_path_under(dest, procdir))
		return 0;
	if (!strcmp(dest, procdir)) {
		struct statfs sf;
		if (!source || !*source)
			return 0;
		if (statfs(source, &sf) < 0)
			return err_sys(e, "statfs %s", source);
		if (sf.f_type == PROC_SUPER_MAGIC)
			return 0;
		return err_invalid(e, "\"%s\" cannot be mounted because it is not of type proc",
				   dest);
	}
	for (size_t i = 0; i < ARRAY_SIZE(valid_proc_mounts); i++) {
		_cleanup_free_ char *ok = path_join(root, valid_proc_mounts[i]);
		if (!strcmp(dest, ok))
			return 0;
	}
	return err_invalid(e, "\"%s\" cannot be mounted because it is inside /proc", dest);
}

static int create_if_missing(const char *path, bool dir, struct err *e)
{
	struct stat st;
	if (stat(path, &st) == 0 || errno != ENOENT)
		return 0;
	if (dir)
		return fs_mkdir_p(path, 0755, e);
	_cleanup_free_ char *parent = path_join(path, "..");
	if (fs_mkdir_p(parent, 0755, e) < 0)
		return -1;
	int fd = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0755);
	if (fd < 0)
		return err_sys(e, "create %s", path);
	close(fd);
	return 0;
}

/* A bind remount that fails (EPERM in a user namespace) may have tried to clear a flag the
 * source has locked: retry keeping the source's ro/nosuid/nodev/noexec/atime flags. */
static int remount_bind(const char *root, const char *dest, const char *src, unsigned long flags,
			struct err *e)
{
	char procfd[32];
	_cleanup_close_ int fd = securejoin_open(root, dest, NULL, e);
	if (fd < 0)
		return -1;
	securejoin_fd_path(fd, procfd);
	if (mount(src, procfd, NULL, flags | MS_REMOUNT, NULL) == 0)
		return 0;
	int saved = errno;
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return err_errno(e, saved, "remount");
	/* ST_* and MS_* share these bit values. */
	unsigned long locked =
	    (unsigned long)sf.f_flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
					 MS_NODIRATIME | MS_RELATIME);
	if ((flags | locked) == flags)
		return err_errno(e, saved, "remount");
	if (mount(src, procfd, NULL, flags | locked | MS_REMOUNT, NULL) < 0)
		return err_sys(e, "remount");
	return 0;
}

/* The source as an fd from rootfs_open_mount_sources: a plain bind through its /proc name
 * works for an fd of our own namespace; a detached clone (open_tree) from before the user
 * namespace can only be attached, with move_mount. */
static int attach_source_fd(const struct rootfs_ctx *c, const struct spec_mount *m, int mount_fd,
			    unsigned long flags, struct err *e)
{
	char src[32], dst[32];
	_cleanup_close_ int fd = securejoin_open(c->root, m->destination, NULL, e);
	if (fd < 0)
		return -1;
	securejoin_fd_path(mount_fd, src);
	securejoin_fd_path(fd, dst);
	if (mount(src, dst, NULL, MS_BIND | (flags & MS_REC), NULL) < 0) {
		if (errno != EINVAL)
			return err_sys(e, "mount");
		if (syscall(SYS_move_mount, mount_fd, "", fd, "",
			    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return err_sys(e, "move_mount");
	}
	return apply_propagation(c->root, m, e);
}

static int mount_bind(const struct rootfs_ctx *c, const struct spec_mount *m, int mount_fd,
		      struct err *e)
{
	char fdsrc[32];
	const char *src = mount_fd >= 0 ? securejoin_fd_path(mount_fd, fdsrc) : m->source;
	if (!src || !*src)
		return err_invalid(e, "bind mount without a source");
	struct stat st;
	if (mount_fd >= 0 ? fstat(mount_fd, &st) < 0 : stat(src, &st) < 0)
		return err_sys(e, "stat %s", mount_fd >= 0 ? m->source : src);
	_cleanup_free_ char *dest = securejoin_resolve(c->root, m->destination, e);
	if (!dest || check_proc_mount(c->root, dest, src, e) < 0 ||
	    create_if_missing(dest, S_ISDIR(st.st_mode), e) < 0)
		return -1;
	unsigned long flags = m->flags | MS_BIND | (m->rbind ? MS_REC : 0);
	if (mount_fd >= 0 ? attach_source_fd(c, m, mount_fd, flags, e) < 0
			  : mount_propagate(c, m, src, "bind", flags, e) < 0)
		return -1;
	/* A bind ignores every other flag: only a remount applies them. */
	if (flags & ~(MS_REC | MS_REMOUNT | MS_BIND))
		return remount_bind(c->root, m->destination, src, flags, e);
	return 0;
}

static int mount_tmpfs(const struct rootfs_ctx *c, const struct spec_mount *m, struct err *e)
{
	_cleanup_free_ char *dest = securejoin_resolve(c->root, m->destination, e);
	if (!dest)
		return -1;
	struct stat st;
	bool existed = stat(dest, &st) == 0;
	if (!existed && fs_mkdir_p(dest, 0755, e) < 0)
		return -1;
	bool copyup = m->tmpcopyup;
	/* The directory's own fd keeps its content reachable once the tmpfs covers it. */
	_cleanup_close_ int under = -1;
	if (copyup && (under = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_sys(e, "tmpcopyup: open %s", dest);
	if (mount_propagate(c, m, m->source ? m->source : "tmpfs", "tmpfs", m->flags, e) < 0)
		return -1;
	if (copyup) {
		_cleanup_close_ int top = securejoin_open(c->root, m->destination, NULL, e);
		if (top < 0 || rootfs_copy_tree(under, top, e) < 0)
			return err_wrap(e, "tmpcopyup");
	}
	/* Like runc, the tmpfs takes the mode of the directory it covers. */
	if (existed && chmod(dest, st.st_mode & 07777) < 0)
		return err_sys(e, "chmod %s", dest);
	return 0;
}

/* In a user namespace without its own network namespace the kernel refuses sysfs: bind the
 * host's /sys read-only instead. */
static int sysfs_fallback(const struct rootfs_ctx *c, const struct spec_mount *m, struct err *e)
{
	struct spec_mount b = *m;
	b.type = "bind";
	b.source = "/sys";
	b.bind = b.rbind = true;
	b.flags = m->flags | MS_BIND | MS_REC | MS_RDONLY;
	err_clear(e);
	return mount_bind(c, &b, -1, e);
}

static int mount_procsys(const struct rootfs_ctx *c, const struct spec_mount *m, struct err *e)
{
	/* No securejoin here: the destination itself must not be a symlink at all. Cleaned as
	 * an absolute path first, so that ".." can't climb out of the root. */
	_cleanup_free_ char *abs = str_printf("/%s", m->destination);
	_cleanup_free_ char *clean = path_clean(abs);
	_cleanup_free_ char *dest = path_join(c->root, clean);
	struct stat st;
	if (lstat(dest, &st) == 0 && !S_ISDIR(st.st_mode))
		return err_invalid(e, "filesystem \"%s\" must be mounted on ordinary directory",
				   m->type);
	if (fs_mkdir_p(dest, 0755, e) < 0)
		return -1;
	bool sysfs = str_eq(m->type, "sysfs");
	if (sysfs && c->o->netns_ready && c->o->netns_ready(c->o->cgroup_ready_arg, e) < 0)
		return -1;
	const char *src = m->source ? m->source : m->type;
	if (mount_propagate(c, m, src, m->type, m->flags, e) == 0)
		return 0;
	if (sysfs && e && e->errnum == EPERM && c->o->userns)
		return sysfs_fallback(c, m, e);
	return -1;
}

static int mount_plain(const struct rootfs_ctx *c, const struct spec_mount *m, bool check_proc,
		       struct err *e)
{
	_cleanup_free_ char *dest = securejoin_resolve(c->root, m->destination, e);
	if (!dest)
		return -1;
	if (check_proc && check_proc_mount(c->root, dest, m->source, e) < 0)
		return -1;
	if (fs_mkdir_p(dest, 0755, e) < 0)
		return -1;
	const char *src = m->source ? m->source : m->type;
	return mount_propagate(c, m, src, m->type, m->flags, e);
}

int rootfs_mount_one(const struct rootfs_ctx *c, const struct spec_mount *m, int mount_fd,
		     struct err *e)
{
	int r;
	if (!m->destination || !*m->destination)
		return err_invalid(e, "destination is empty");
	if (rootfs_mount_is_bind(m))
		r = mount_bind(c, m, mount_fd, e);
	else if (!m->type || !*m->type)
		r = err_invalid(e, "mount type is empty");
	else if (str_eq(m->type, "proc") || str_eq(m->type, "sysfs"))
		r = mount_procsys(c, m, e);
	else if (str_eq(m->type, "tmpfs"))
		r = mount_tmpfs(c, m, e);
	else if (str_eq(m->type, "cgroup"))
		r = rootfs_mount_cgroup(c, m, e);
	else
		r = mount_plain(c, m, !str_eq(m->type, "mqueue"), e);
	if (r < 0)
		return -1;
	return apply_rec_attrs(c->root, m, e);
}

int *rootfs_open_mount_sources(const struct spec *s)
{
	int *fds = xcalloc(s->n_mounts ? s->n_mounts : 1, sizeof(int));
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		fds[i] = -1;
		if (!rootfs_mount_is_bind(m) || !m->source || m->source[0] != '/')
			continue;
		unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
		if (m->rbind || (m->flags & MS_REC))
			flags |= AT_RECURSIVE;
		/* Any failure (missing source, old kernel) leaves the path to prepare, which then
		 * reports it naming the mount. */
		fds[i] = (int)syscall(SYS_open_tree, AT_FDCWD, m->source, flags);
		if (fds[i] < 0)
			fds[i] = -1;
	}
	return fds;
}

void rootfs_close_mount_sources(int *fds, size_t n)
{
	for (size_t i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}
