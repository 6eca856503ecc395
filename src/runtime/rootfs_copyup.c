/* rootfs_copyup: tmpcopyup: what the image had in a directory is copied into the tmpfs
 * mounted over it (files, directories, symlinks, nodes; modes and owners kept). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/rootfs_int.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int copy_file(int from, int to, const char *name, const struct stat *st, struct err *e)
{
	_cleanup_close_ int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return err_sys(e, "open %s", name);
	_cleanup_close_ int out = openat(
	    to, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
	if (out < 0)
		return err_sys(e, "create %s", name);
	return fs_copy_fd(in, out, e);
}

static int copy_link(int from, int to, const char *name, struct err *e)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
	if (n < 0)
		return err_sys(e, "readlink %s", name);
	target[n] = '\0';
	if (symlinkat(target, to, name) < 0 && errno != EEXIST)
		return err_sys(e, "symlink %s", name);
	return 0;
}

static int copy_dir(int from, int to, const char *name, struct err *e)
{
	if (mkdirat(to, name, 0700) < 0 && errno != EEXIST)
		return err_sys(e, "mkdir %s", name);
	_cleanup_close_ int sub_from =
	    openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int sub_to =
	    openat(to, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub_from < 0 || sub_to < 0)
		return err_sys(e, "open %s", name);
	if (rootfs_copy_tree(sub_from, sub_to, e) < 0)
		return err_wrap(e, "%s", name);
	return 0;
}

static int copy_one(int from, int to, const char *name, const struct stat *st, struct err *e)
{
	int r;
	if (S_ISDIR(st->st_mode))
		r = copy_dir(from, to, name, e);
	else if (S_ISREG(st->st_mode))
		r = copy_file(from, to, name, st, e);
	else if (S_ISLNK(st->st_mode))
		r = copy_link(from, to, name, e);
	else if (mknodat(to, name, st->st_mode, st->st_rdev) < 0 && errno != EEXIST)
		r = err_sys(e, "mknod %s", name);
	else
		r = 0;
	if (r < 0)
		return -1;
	if (fchownat(to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(e, "chown %s", name);
	if (!S_ISLNK(st->st_mode) && fchmodat(to, name, st->st_mode & 07777, 0) < 0)
		return err_sys(e, "chmod %s", name);
	return 0;
}

int rootfs_copy_tree(int from_dir, int to_dir, struct err *e)
{
	int fd = openat(from_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "open directory");
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys(e, "opendir");
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(e, "stat %s", de->d_name);
		if (copy_one(fd, to_dir, de->d_name, &st, e) < 0)
			return -1;
	}
	if (errno)
		return err_sys(e, "readdir");
	return 0;
}
