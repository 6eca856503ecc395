/* engine/volume_copy: the first use of an empty volume copies the image's files at the mount
 * path into it (dockerd's CopyImagePathContent): modes, owners, times, links as they are;
 * nothing is followed out of the source tree (every step is relative to an open dir). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/volume.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

static int copy_dir(int sfd, int dfd, int depth, struct err *e);

static void copy_meta(int dfd, const char *name, const struct stat *st, bool link)
{
	int fl = link ? AT_SYMLINK_NOFOLLOW : 0;
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if (fchownat(dfd, name, st->st_uid, st->st_gid, fl) < 0) {
		/* nothing to do: the copy keeps the daemon's ownership */
	}
	if (!link)
		fchmodat(dfd, name, st->st_mode & 07777, 0);
	utimensat(dfd, name, ts, fl);
}

static int copy_file(int sfd, int dfd, const char *name, const struct stat *st, struct err *e)
{
	_cleanup_close_ int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out =
	    in < 0 ? -1
		   : openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		return err_sys(e, "copy %s", name);
	return fs_copy_fd(in, out, e);
}

static int copy_entry(int sfd, int dfd, const char *name, int depth, struct err *e)
{
	struct stat st;
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(e, "copy %s", name);
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(dfd, name, 0700) < 0)
			return err_sys(e, "copy %s", name);
		_cleanup_close_ int s2 =
		    openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int d2 =
		    openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s2 < 0 || d2 < 0)
			return err_sys(e, "copy %s", name);
		if (copy_dir(s2, d2, depth + 1, e) < 0)
			return -1;
	} else if (S_ISREG(st.st_mode)) {
		if (copy_file(sfd, dfd, name, &st, e) < 0)
			return -1;
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return err_sys(e, "copy %s", name);
		target[n] = '\0';
		if (symlinkat(target, dfd, name) < 0)
			return err_sys(e, "copy %s", name);
	} else if (mknodat(dfd, name, st.st_mode, st.st_rdev) < 0) {
		return err_sys(e, "copy %s", name);
	}
	copy_meta(dfd, name, &st, S_ISLNK(st.st_mode));
	return 0;
}

static int copy_dir(int sfd, int dfd, int depth, struct err *e)
{
	if (depth > 256)
		return err_invalid(e, "copy: directory tree too deep");
	int fd = dup(sfd);
	if (fd < 0)
		return err_sys(e, "copy");
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys(e, "copy");
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (copy_entry(sfd, dfd, de->d_name, depth, e) < 0)
			return -1;
	}
	return 0;
}

static bool dir_empty(int fd)
{
	int fd2 = dup(fd);
	_cleanup_closedir_ DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
	if (!d) {
		if (fd2 >= 0)
			close(fd2);
		return false;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return false;
	return true;
}

/* Removes what a failed copy left in dir (never crossing into a mount). */
static void empty_dir(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *p = str_printf("%s/%s", dir, de->d_name);
		fs_rm_rf(p, NULL);
	}
}

int volume_copy_in(const char *src, const char *dst, struct err *e)
{
	_cleanup_close_ int sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return 0; /* nothing (or no directory) at the path in the image */
	_cleanup_close_ int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(e, "open volume %s", dst);
	if (!dir_empty(dfd))
		return 0;
	struct stat st;
	if (copy_dir(sfd, dfd, 0, e) < 0) {
		empty_dir(dst); /* all or nothing: the next start tries again */
		return err_wrap(e, "copy the image's files into volume %s", dst);
	}
	/* the volume's root takes the owner and mode of the image's directory */
	if (fstat(sfd, &st) == 0) {
		if (fchown(dfd, st.st_uid, st.st_gid) < 0) {
			/* kept as made */
		}
		fchmod(dfd, st.st_mode & 07777);
	}
	return 0;
}
