/* rootfs_dev: /dev when the config doesn't bind one in: runc's default devices plus
 * linux.devices (mknod, or a bind of the host node in a user namespace), /dev/ptmx and the
 * /dev/fd, stdin, stdout, stderr and core links. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/rootfs_int.h"
#include "runtime/securejoin.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/str.h"

struct dev_node {
	const char *path;
	char type;
	int64_t major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/* runc's AllowedDevices that have a path, in its order. */
static const struct dev_node default_devices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0}, {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
    {"/dev/zero", 'c', 1, 5, 0666, 0, 0}, {"/dev/urandom", 'c', 1, 9, 0666, 0, 0},
};

bool rootfs_needs_dev(const struct spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (rootfs_mount_is_bind(&s->mounts[i]) &&
		    rootfs_dest_is(s->mounts[i].destination, "/dev"))
			return false;
	return true;
}

/* path's directory resolved inside root, then its last name as it is: we act on that name
 * itself (replace a link, create a node), never on what it points to. */
static char *resolve_parent(const char *root, const char *path, struct err *e)
{
	_cleanup_free_ char *clean = path_clean(path);
	const char *slash = strrchr(clean, '/');
	_cleanup_free_ char *dir = str_ndup(clean, slash ? (size_t)(slash - clean) : 0);
	_cleanup_free_ char *rdir = securejoin_resolve(root, dir, e);
	if (!rdir)
		return NULL;
	if (fs_mkdir_p(rdir, 0755, e) < 0)
		return NULL;
	return path_join(rdir, slash ? slash + 1 : clean);
}

/* Already inside a user namespace (as a rootless runc would be)? */
static bool in_user_ns(void)
{
	_cleanup_free_ char *map = fs_read_file("/proc/self/uid_map", NULL, NULL);
	if (!map)
		return false;
	_cleanup_strv_ char **f = strv_split(map, " \t\n");
	return !(strv_len(f) == 3 && !strcmp(f[0], "0") && !strcmp(f[1], "0") &&
		 !strcmp(f[2], "4294967295"));
}

/* A user namespace can't mknod: bind the host's node onto an empty file instead. */
static int bind_node(const char *root, const char *dest, const struct dev_node *d, struct err *e)
{
	int fd = open(dest, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0 && errno != EEXIST)
		return err_sys(e, "create %s", dest);
	if (fd >= 0)
		close(fd);
	return rootfs_mount_at(root, d->path, d->path, "bind", MS_BIND, NULL, e);
}

static int node_type(char t, mode_t *out)
{
	switch (t) {
	case 'b':
		*out = S_IFBLK;
		return 0;
	case 'c':
	case 'u':
		*out = S_IFCHR;
		return 0;
	case 'p':
		*out = S_IFIFO;
		return 0;
	default:
		return -1;
	}
}

static int create_node(const char *root, const struct dev_node *d, bool bind, struct err *e)
{
	/* The /dev/ptmx link to pts/ptmx replaces any node. */
	if (!d->path || !*d->path || rootfs_dest_is(d->path, "/dev/ptmx"))
		return 0;
	_cleanup_free_ char *dest = resolve_parent(root, d->path, e);
	if (!dest)
		return -1;
	if (bind)
		return bind_node(root, dest, d, e);
	mode_t type;
	if (node_type(d->type, &type) < 0)
		return err_invalid(e, "%c is not a valid device type", d->type);
	if (mknod(dest, (d->mode & ~S_IFMT) | type,
		  makedev((unsigned)d->major, (unsigned)d->minor)) < 0) {
		if (errno == EEXIST)
			return 0;
		if (errno == EPERM)
			return bind_node(root, dest, d, e);
		return err_sys(e, "mknod %s", dest);
	}
	if (lchown(dest, d->uid, d->gid) < 0)
		return err_sys(e, "chown %s", dest);
	return 0;
}

static bool spec_has_device(const struct spec *s, const char *path)
{
	for (size_t i = 0; i < s->n_devices; i++)
		if (str_eq(s->devices[i].path, path))
			return true;
	return false;
}

static int create_devices(const struct rootfs_ctx *c, struct err *e)
{
	bool bind = c->o->userns || in_user_ns();
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		const struct dev_node *d = &default_devices[i];
		/* A configured device of the same path replaces the default. */
		if (!spec_has_device(c->s, d->path) && create_node(c->root, d, bind, e) < 0)
			return err_wrap(e, "%s", d->path);
	}
	for (size_t i = 0; i < c->s->n_devices; i++) {
		const struct spec_device *sd = &c->s->devices[i];
		struct dev_node d = {.path = sd->path,
				     .type = sd->type,
				     .major = sd->major,
				     .minor = sd->minor,
				     .mode = sd->has_mode ? sd->mode : 0666,
				     .uid = sd->has_uid ? sd->uid : 0,
				     .gid = sd->has_gid ? sd->gid : 0};
		if (create_node(c->root, &d, bind, e) < 0)
			return err_wrap(e, "linux.devices[%zu] (%s)", i, sd->path);
	}
	return 0;
}

static int setup_ptmx(const char *root, struct err *e)
{
	_cleanup_free_ char *ptmx = resolve_parent(root, "/dev/ptmx", e);
	if (!ptmx)
		return -1;
	if (unlink(ptmx) < 0 && errno != ENOENT)
		return err_sys(e, "remove %s", ptmx);
	if (symlink("pts/ptmx", ptmx) < 0)
		return err_sys(e, "symlink %s", ptmx);
	return 0;
}

static int setup_links(const char *root, struct err *e)
{
	static const char *const links[][2] = {
	    {"/proc/self/fd", "/dev/fd"},	{"/proc/self/fd/0", "/dev/stdin"},
	    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
	    {"/proc/kcore", "/dev/core"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		/* kcore depends on CONFIG_PROC_KCORE: link it only when the host has it. */
		if (!strcmp(links[i][1], "/dev/core") && access("/proc/kcore", F_OK) < 0)
			continue;
		_cleanup_free_ char *dst = resolve_parent(root, links[i][1], e);
		if (!dst)
			return -1;
		if (symlink(links[i][0], dst) < 0 && errno != EEXIST)
			return err_sys(e, "symlink %s", dst);
	}
	return 0;
}

int rootfs_dev_setup(const struct rootfs_ctx *c, struct err *e)
{
	/* Modes are exactly what the config says. */
	mode_t old = umask(0);
	int r = create_devices(c, e);
	umask(old);
	if (r < 0)
		return err_wrap(e, "error creating device nodes");
	if (setup_ptmx(c->root, e) < 0)
		return err_wrap(e, "error setting up ptmx");
	if (setup_links(c->root, e) < 0)
		return err_wrap(e, "error setting up /dev symlinks");
	return 0;
}

int rootfs_dev_reopen_null(struct err *e)
{
	_cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return err_sys(e, "open /dev/null");
	struct stat ns, st;
	if (fstat(null, &ns) < 0)
		return err_sys(e, "fstat /dev/null");
	for (int fd = 0; fd < 3; fd++) {
		if (fstat(fd, &st) < 0) {
			if (errno == EBADF)
				continue;
			return err_sys(e, "fstat fd %d", fd);
		}
		if (S_ISCHR(st.st_mode) && st.st_rdev == ns.st_rdev && dup3(null, fd, 0) < 0)
			return err_sys(e, "dup3 fd %d", fd);
	}
	return 0;
}
