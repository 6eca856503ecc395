/* rootfs: the container's mount namespace: root propagation, config mounts (bind, proc,
 * sysfs, tmpfs, devpts, mqueue, cgroup), /dev and devices, pivot_root (or chroot with
 * --no-pivot), masked and read-only paths, read-only root. Runs inside the new mount ns. */
#ifndef BERTH_RUNTIME_ROOTFS_H
#define BERTH_RUNTIME_ROOTFS_H

#include <stdbool.h>

#include "runtime/cgroup.h"
#include "runtime/spec.h"
#include "util/err.h"

struct rootfs_opts {
	const struct cgroup *cgroup; /* for "cgroup" mounts; may be NULL */
	bool no_pivot;
	bool userns;	   /* in a new user namespace: bind devices instead of mknod */
	bool new_cgroupns; /* cgroup mounts show the namespace root */
	/* Optional, one per config mount (s->n_mounts), from rootfs_open_mount_sources: a bind
	 * mount's source opened before entering the user namespace (runc's mountFds), or -1 to
	 * use the source path. */
	const int *mount_fds;
	/* Optional: called before a "cgroup" mount, returns once the container's cgroup
	 * directories exist (they may be created concurrently). */
	int (*cgroup_ready)(void *arg, struct err *e);
	void *cgroup_ready_arg;
	/* Optional: called (with cgroup_ready_arg) before a "sysfs" mount, which shows the
	 * mounter's network namespace: returns once the process is in the container's. */
	int (*netns_ready)(void *arg, struct err *e);
};

/* With a new user namespace the container's root may not be allowed to reach a bind
 * source (a 0700 directory of the host's root): call this while still privileged, before
 * unshare(CLONE_NEWUSER), and pass the result as rootfs_opts.mount_fds. Each bind mount's
 * source becomes a detached clone of it (open_tree), attached by rootfs_prepare; other
 * mounts, and sources that can't be opened, get -1. Never fails; malloc'd, s->n_mounts long. */
int *rootfs_open_mount_sources(const struct spec *s);
void rootfs_close_mount_sources(int *fds, size_t n);

/* The checks runc makes at create time, before any process exists: root.path an existing
 * directory, sysctls allowed by the namespaces (a netns joined by path must not be the
 * caller's own), masked/readonly paths only with a mount namespace. */
int rootfs_validate(const struct spec *s, struct err *e);

/* Before pivot: propagation, root bind, mounts, devices, /dev links, /dev/ptmx; leaves the
 * cwd in the root (for createContainer hooks). Errors name the mount ("mounts[3] (proc on
 * /proc): mount: ..."). */
int rootfs_prepare(const struct spec *s, const struct rootfs_opts *o, struct err *e);
/* pivot_root into the root (or MS_MOVE + chroot with no_pivot, or chroot without a mount
 * namespace) and chdir("/"); then stdio on the host's /dev/null is reopened on the
 * container's and process.cwd is created if missing, as runc does. */
int rootfs_pivot(const struct spec *s, const struct rootfs_opts *o, struct err *e);
/* After pivot, in runc's order: late read-only remounts (tmpfs, /dev), read-only root,
 * sysctls (checked against the namespaces first), readonlyPaths, maskedPaths. */
int rootfs_finalize(const struct spec *s, struct err *e);

#endif
