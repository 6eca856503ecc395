/* rootfs_paths: what happens inside the root after pivot: sysctls (checked against the
 * namespaces as runc does), readonlyPaths, maskedPaths, late read-only remounts, ro root. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include "runtime/rootfs_int.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

/* Flags a bind remount must repeat: a user namespace may not drop them (ST_* == MS_*). */
#define KEEP_FLAGS                                                                     \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK | \
	 MS_NOATIME | MS_NODIRATIME | MS_RELATIME)

/* IPC-namespaced sysctls outside fs.mqueue.* (runc's list). */
static const char *const ipc_sysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

/* "net/ipv4/conf/eth0.100/rp_filter" is also accepted: it becomes the dotted form. */
static char *sysctl_dotted(const char *key)
{
	char *k = str_dup(key);
	if (!strchr(k, '/'))
		return k;
	for (char *p = k; *p; p++)
		*p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
	return k;
}

/* Whether the namespace file at path is the one we are in now. */
static int same_netns(const char *path, bool *same, struct err *e)
{
	struct stat a, b;
	if (stat(path, &a) < 0)
		return err_sys(e, "invalid netns path: stat %s", path);
	if (stat("/proc/self/ns/net", &b) < 0)
		return err_sys(e, "stat /proc/self/ns/net");
	*same = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	return 0;
}

static bool is_ipc_sysctl(const char *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(ipc_sysctls); i++)
		if (!strcmp(k, ipc_sysctls[i]))
			return true;
	return str_has_prefix(k, "fs.mqueue.");
}

static int check_one(const struct spec *s, const char *k, bool check_ns_paths, struct err *e)
{
	if (is_ipc_sysctl(k)) {
		if (s->ns[NS_IPC].enabled)
			return 0;
		return err_invalid(e, "sysctl \"%s\" is not allowed in the hosts ipc namespace", k);
	}
	if (str_has_prefix(k, "net.")) {
		bool host = !s->ns[NS_NET].enabled;
		/* A netns joined by path may be the one we're in ("host" means current). */
		if (!host && check_ns_paths && s->ns[NS_NET].path &&
		    same_netns(s->ns[NS_NET].path, &host, e) < 0)
			return -1;
		if (host)
			return err_invalid(e, "sysctl \"%s\" not allowed in host network namespace",
					   k);
		return 0;
	}
	if (s->ns[NS_UTS].enabled && !strcmp(k, "kernel.domainname"))
		return 0;
	if (s->ns[NS_UTS].enabled && !strcmp(k, "kernel.hostname"))
		return err_invalid(e,
				   "sysctl \"%s\" is not allowed as it conflicts with the OCI "
				   "\"hostname\" field",
				   k);
	return err_invalid(e, "sysctl \"%s\" is not in a separate kernel namespace", k);
}

int rootfs_sysctl_check(const struct spec *s, bool check_ns_paths, struct err *e)
{
	for (size_t i = 0; i < s->n_sysctl; i++) {
		_cleanup_free_ char *k = sysctl_dotted(s->sysctl[i].key);
		if (check_one(s, k, check_ns_paths, e) < 0)
			return err_wrap(e, "linux.sysctl");
	}
	return 0;
}

int rootfs_sysctl_apply(const struct spec *s, struct err *e)
{
	for (size_t i = 0; i < s->n_sysctl; i++) {
		_cleanup_free_ char *k = sysctl_dotted(s->sysctl[i].key);
		for (char *p = k; *p; p++)
			if (*p == '.')
				*p = '/';
		_cleanup_free_ char *path = str_printf("/proc/sys/%s", k);
		if (fs_write_string(path, s->sysctl[i].value ? s->sysctl[i].value : "", e) < 0)
			return err_wrap(e, "linux.sysctl: %s", s->sysctl[i].key);
	}
	return 0;
}

int rootfs_readonly_path(const char *path, struct err *e)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, "can't make \"%s\" read-only: bind", path);
	}
	struct statfs sf;
	if (statfs(path, &sf) < 0)
		return err_sys(e, "can't make \"%s\" read-only: statfs", path);
	unsigned long keep = (unsigned long)sf.f_flags & KEEP_FLAGS;
	if (mount(path, path, NULL, keep | MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return err_sys(e, "can't make \"%s\" read-only: remount", path);
	return 0;
}

/* A directory is looked at first: a bind of /dev/null onto one fails only after the kernel
 * has copied the mount, and undoing that copy waits for an RCU grace period (~0.1 ms each,
 * twice per container with Docker's list). The bind stays the fallback for a race. */
int rootfs_mask_path(const char *path, struct err *e)
{
	struct stat st;
	int r = stat(path, &st);
	if (r < 0 && errno == ENOENT)
		return 0;
	if (r == 0 && S_ISDIR(st.st_mode) && mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) == 0)
		return 0;
	if (mount("/dev/null", path, NULL, MS_BIND, NULL) == 0 || errno == ENOENT)
		return 0;
	/* /dev/null can't cover a directory: an empty read-only tmpfs does. */
	if (errno == ENOTDIR && mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) == 0)
		return 0;
	return err_sys(e, "can't mask path %s", path);
}

int rootfs_remount_readonly(const char *dest, unsigned long flags, struct err *e)
{
	/* MS_REMOUNT|MS_BIND only changes per-mount flags, which a user namespace may do. */
	flags |= MS_REMOUNT | MS_BIND | MS_RDONLY;
	for (int i = 0; i < 5; i++) {
		if (mount(NULL, dest, NULL, flags, NULL) == 0)
			return 0;
		if (errno != EBUSY)
			return err_sys(e, "remount %s read-only", dest);
		nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	}
	return err_set(e, ERR_INTERNAL, EBUSY, "unable to mount %s as readonly max retries reached",
		       dest);
}

int rootfs_root_readonly(struct err *e)
{
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
	if (mount(NULL, "/", NULL, flags, NULL) == 0)
		return 0;
	/* Locked flags (nosuid, nodev... in a user namespace) must be repeated. */
	struct statfs sf;
	if (statfs("/", &sf) < 0)
		return err_sys(e, "error setting rootfs as readonly: statfs /");
	flags |= (unsigned long)sf.f_flags & KEEP_FLAGS;
	if (mount(NULL, "/", NULL, flags, NULL) < 0)
		return err_sys(e, "error setting rootfs as readonly");
	return 0;
}
