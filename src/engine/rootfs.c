/* engine/rootfs: a container's root: overlayfs of the image's layer directories (top first)
 * with the container's upper and work directories, mounted at start, unmounted after exit;
 * plus the files Docker bind-mounts into /etc and the user lookup in the image's passwd. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "engine/ocispec.h"
#include "engine/userns.h"
#include "runtime/proc.h"
#include "runtime/securejoin.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

/* Options longer than a page are refused by the kernel. */
#define MOUNT_OPTS_MAX 4000

struct overlay_job {
	const char *chdir_to; /* NULL: absolute paths */
	const char *target;
	const char *opts;
	int err;
};

/* Runs on its own thread when the lower dirs are relative: unshare(CLONE_FS) gives the
 * thread its own cwd, so the daemon's other threads never see the chdir. */
static void *overlay_thread(void *p)
{
	struct overlay_job *j = p;
	if (j->chdir_to && (unshare(CLONE_FS) < 0 || chdir(j->chdir_to) < 0)) {
		j->err = errno;
		return NULL;
	}
	if (mount("overlay", j->target, "overlay", 0, j->opts) < 0)
		j->err = errno;
	return NULL;
}

/* lowerdir list relative to the common layers directory (…/image/layers). */
static char *relative_lowers(const char *lowers, char **base)
{
	_cleanup_strv_ char **v = strv_split(lowers, ":");
	if (!v || !v[0])
		return NULL;
	/* <base>/<chain>/diff */
	char *slash = strrchr(v[0], '/');
	if (!slash)
		return NULL;
	_cleanup_free_ char *first = str_ndup(v[0], (size_t)(slash - v[0]));
	char *s2 = strrchr(first, '/');
	if (!s2)
		return NULL;
	*base = str_ndup(first, (size_t)(s2 - first));
	size_t blen = strlen(*base);
	for (char **p = v; *p; p++) {
		if (strncmp(*p, *base, blen) != 0 || (*p)[blen] != '/')
			return NULL;
		memmove(*p, *p + blen + 1, strlen(*p + blen + 1) + 1);
	}
	return strv_join(v, ":");
}

static int mount_overlay(const char *lowers, const char *upper, const char *work,
			 const char *target, struct err *e)
{
	_cleanup_free_ char *opts =
	    str_printf("lowerdir=%s,upperdir=%s,workdir=%s", lowers, upper, work);
	_cleanup_free_ char *base = NULL, *rel = NULL;
	struct overlay_job j = {NULL, target, opts, 0};
	if (strlen(opts) > MOUNT_OPTS_MAX) {
		rel = relative_lowers(lowers, &base);
		free(opts);
		opts =
		    rel ? str_printf("lowerdir=%s,upperdir=%s,workdir=%s", rel, upper, work) : NULL;
		if (!opts || strlen(opts) > MOUNT_OPTS_MAX)
			return err_set(e, ERR_INTERNAL, 0,
				       "mount overlay on %s: too many image layers", target);
		j.chdir_to = base;
		j.opts = opts;
		pthread_t t;
		if (pthread_create(&t, NULL, overlay_thread, &j) != 0)
			return err_set(e, ERR_INTERNAL, 0, "mount overlay: cannot start a thread");
		pthread_join(t, NULL);
	} else {
		overlay_thread(&j);
	}
	if (j.err)
		return err_errno(e, j.err, "mount overlay on %s", target);
	return 0;
}

int rootfs_mount(struct engine *eng, const json_t *rec, const char *dir, struct err *e)
{
	const json_t *data = json_object_get(json_object_get(rec, "GraphDriver"), "Data");
	const char *lowers = json_string_value(json_object_get(data, "LowerDir"));
	_cleanup_free_ char *upper = str_printf("%s/upper", dir);
	_cleanup_free_ char *work = str_printf("%s/work", dir);
	_cleanup_free_ char *merged = str_printf("%s/merged", dir);
	_cleanup_free_ char *empty = str_printf("%s/empty", dir);
	if (fs_mkdir_p(upper, 0755, e) < 0 || fs_mkdir_p(work, 0700, e) < 0 ||
	    fs_mkdir_p(merged, 0755, e) < 0)
		return -1;
	/* --userns-remap: the lowers come through the idmapped view of the layer store (owned by
	 * the remapped root there), the upper is the remapped root's own (what the container
	 * writes is stored with host ids, as in dockerd's chowned storage) */
	bool remap = engine_userns_private(eng, json_object_get(rec, "HostConfig"));
	_cleanup_free_ char *mapped = remap ? engine_userns_lowers(eng, lowers) : NULL;
	if (remap && engine_userns_chown(eng, upper, e) < 0)
		return -1;
	if (mapped)
		lowers = mapped;
	if (!lowers || !*lowers) { /* an image without layers: overlay needs a lower dir */
		if (fs_mkdir_p(empty, 0755, e) < 0)
			return -1;
		lowers = empty;
	}
	rootfs_unmount(dir, NULL); /* a leftover of a crash */
	return mount_overlay(lowers, upper, work, merged, e);
}

int rootfs_unmount(const char *dir, struct err *e)
{
	_cleanup_free_ char *merged = str_printf("%s/merged", dir);
	for (int i = 0; i < 50; i++) {
		if (umount2(merged, UMOUNT_NOFOLLOW) == 0)
			continue; /* stacked mounts: until none is left */
		if (errno == EINVAL || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return err_sys(e, "unmount %s", merged);
		if (umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL)
			return err_sys(e, "unmount %s", merged);
	}
	return 0;
}

/* A file of the rootfs, read without following links out of it; NULL when absent. */
static char *read_in_root(const char *rootfs, const char *path)
{
	_cleanup_free_ char *real = securejoin_resolve(rootfs, path, NULL);
	if (!real)
		return NULL;
	struct stat st;
	if (lstat(real, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	return fs_read_file(real, NULL, NULL);
}

int ocispec_user(const char *rootfs, const char *user, const json_t *group_add, uid_t *uid,
		 gid_t *gid, gid_t **gids, size_t *ngids, struct err *e)
{
	_cleanup_free_ char *passwd = read_in_root(rootfs, "/etc/passwd");
	_cleanup_free_ char *group = read_in_root(rootfs, "/etc/group");
	struct spec_user u = {0};
	if (proc_user_resolve(user && *user ? user : "0", passwd, group, &u, e) < 0) {
		free(u.additional_gids);
		return err_wrap(e, "unable to find user %s", user && *user ? user : "root");
	}
	*uid = u.uid;
	*gid = u.gid;
	*gids = u.additional_gids;
	*ngids = u.n_additional_gids;
	size_t i;
	json_t *v;
	json_array_foreach (group_add, i, v) {
		const char *g = json_string_value(v);
		struct spec_user gu = {0};
		_cleanup_free_ char *spec = str_printf("0:%s", g ? g : "");
		if (proc_user_resolve(spec, passwd, group, &gu, e) < 0) {
			free(gu.additional_gids);
			return err_wrap(e, "unable to find group %s", g);
		}
		free(gu.additional_gids);
		*gids = xrealloc(*gids, (*ngids + 1) * sizeof(gid_t));
		(*gids)[(*ngids)++] = gu.gid;
	}
	return 0;
}

/* /etc/hostname, /etc/hosts and /etc/resolv.conf sources in the container dir. */
int rootfs_write_etc(const json_t *rec, const char *dir, struct err *e)
{
	const json_t *cfg = json_object_get(rec, "Config");
	const char *host = json_string_value(json_object_get(cfg, "Hostname"));
	bool hostnet = str_eq(
	    json_string_value(json_object_get(json_object_get(rec, "HostConfig"), "NetworkMode")),
	    "host");
	_cleanup_free_ char *hn = str_printf("%s\n", host ? host : "");
	_cleanup_free_ char *hn_path = str_printf("%s/hostname", dir);
	_cleanup_free_ char *hosts_path = str_printf("%s/hosts", dir);
	_cleanup_free_ char *resolv_path = str_printf("%s/resolv.conf", dir);
	_cleanup_free_ char *hosts =
	    hostnet ? fs_read_file("/etc/hosts", NULL, NULL)
		    : str_printf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
				 "ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n"
				 "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
	_cleanup_free_ char *resolv = fs_read_file("/etc/resolv.conf", NULL, NULL);
	if (!hosts)
		hosts = str_dup("127.0.0.1\tlocalhost\n");
	if (!resolv)
		resolv = str_dup("");
	/* made again at every start: replaced atomically, without fsync */
	if (fs_write_replace(hn_path, hn, strlen(hn), 0644, e) < 0 ||
	    fs_write_replace(hosts_path, hosts, strlen(hosts), 0644, e) < 0 ||
	    fs_write_replace(resolv_path, resolv, strlen(resolv), 0644, e) < 0)
		return -1;
	return 0;
}

/* Docker creates a missing working directory (owned by root) before the start. */
int rootfs_make_workdir(const char *rootfs, const char *wd, struct err *e)
{
	if (!wd || !*wd || !strcmp(wd, "/"))
		return 0;
	_cleanup_free_ char *real = securejoin_resolve(rootfs, wd, e);
	if (!real)
		return -1;
	return fs_is_dir(real) ? 0 : fs_mkdir_p(real, 0755, e);
}
