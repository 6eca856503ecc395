/* rootfs_int: what the rootfs_*.c files share: the per-run context, the mount primitives
 * that always act through an fd checked to be inside the root, and mountinfo parsing. */
#ifndef BERTH_RUNTIME_ROOTFS_INT_H
#define BERTH_RUNTIME_ROOTFS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/mount.h>

#include "runtime/rootfs.h"

/* MS_NOEXEC | MS_NOSUID | MS_NODEV: what runc gives its own helper mounts. */
#define ROOTFS_DEFAULT_FLAGS (MS_NOEXEC | MS_NOSUID | MS_NODEV)

struct rootfs_ctx {
	const struct spec *s;
	const struct rootfs_opts *o;
	char *root;   /* realpath of s->root_path */
	bool cgroup2; /* the host runs the unified cgroup v2 hierarchy only */
};

/* rootfs_mount.c: the config mounts. */
int rootfs_mount_one(const struct rootfs_ctx *c, const struct spec_mount *m, int mount_fd,
		     struct err *e);
/* mount(2) of src onto dest (a path inside the root, resolved with securejoin); the
 * destination must exist. */
int rootfs_mount_at(const char *root, const char *dest, const char *src, const char *type,
		    unsigned long flags, const char *data, struct err *e);
/* A mount given as a bind (type "bind", option bind or rbind). */
bool rootfs_mount_is_bind(const struct spec_mount *m);
/* Lexically clean destination equal to path ("/dev", "/dev/" and "//dev" all match "/dev"). */
bool rootfs_dest_is(const char *dest, const char *path);

/* rootfs_cgroup.c: "cgroup" mounts (v1: tmpfs + one bind or mount per hierarchy; v2). */
int rootfs_mount_cgroup(const struct rootfs_ctx *c, const struct spec_mount *m, struct err *e);

/* rootfs_copyup.c: copies the tree under from_dir into to_dir (tmpcopyup). */
int rootfs_copy_tree(int from_dir, int to_dir, struct err *e);

/* rootfs_dev.c */
bool rootfs_needs_dev(const struct spec *s);
/* Default and configured devices, /dev/ptmx, /dev/fd and friends. */
int rootfs_dev_setup(const struct rootfs_ctx *c, struct err *e);
/* After pivot: stdio that pointed at the host's /dev/null gets the container's. */
int rootfs_dev_reopen_null(struct err *e);

/* rootfs_paths.c (after pivot) */
int rootfs_sysctl_check(const struct spec *s, bool check_ns_paths, struct err *e);
int rootfs_sysctl_apply(const struct spec *s, struct err *e);
int rootfs_readonly_path(const char *path, struct err *e);
int rootfs_mask_path(const char *path, struct err *e);
int rootfs_remount_readonly(const char *dest, unsigned long flags, struct err *e);
int rootfs_root_readonly(struct err *e);

/* rootfs_mountinfo.c */
struct rootfs_mountinfo {
	char *root;	  /* root of the mount inside its filesystem */
	char *mountpoint; /* unescaped */
	char *optional;	  /* optional fields ("shared:1 master:2"), "" if none */
	char *fstype;
	char *source;
	char *options; /* super options ("rw,cpu,cpuacct") */
};
/* Every mount of the calling process' namespace, in mountinfo order. */
int rootfs_mountinfo_read(struct rootfs_mountinfo **out, size_t *n, struct err *e);
void rootfs_mountinfo_free(struct rootfs_mountinfo *v, size_t n);
/* Whether path is dir itself or below it ("/a/b" is under "/a", "/ab" is not). */
bool rootfs_path_under(const char *path, const char *dir);

#endif
