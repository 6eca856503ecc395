/* fs: file helpers. */
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/str.h"

/* sock: send(MSG_NOSIGNAL), so that a peer that closed early is an error, not a SIGPIPE. */
static int out_all(int fd, const void *buf, size_t n, bool sock)
{
	const char *p = buf;
	while (n) {
		ssize_t w = sock ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int fs_write_all(int fd, const void *buf, size_t n)
{
	return out_all(fd, buf, n, false);
}

int fs_send_all(int fd, const void *buf, size_t n)
{
	return out_all(fd, buf, n, true);
}

int fs_fsync_dir(const char *path, struct err *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "open directory %s", path);
	if (fsync(fd) < 0)
		return err_sys(e, "fsync directory %s", path);
	return 0;
}

static int write_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync,
			 struct err *e)
{
	/* A unique temporary name: threads of one process may write the same record. */
	_cleanup_free_ char *tmp = str_printf("%s.tmp-XXXXXX", path);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "create %s", tmp);
	if (fchmod(fd, mode) < 0 || fs_write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		err_sys(e, "write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		err_sys(e, "rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int fs_write_replace(const char *path, const void *data, size_t len, mode_t mode, struct err *e)
{
	return write_replace(path, data, len, mode, false, e);
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct err *e)
{
	if (write_replace(path, data, len, mode, true, e) < 0)
		return -1;
	_cleanup_free_ char *dir = str_dup(path);
	return fs_fsync_dir(dirname(dir), e);
}

char *fs_read_fileat(int at, const char *path, size_t *len, struct err *e)
{
	_cleanup_close_ int fd = openat(at, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, "open %s", path);
		return NULL;
	}
	size_t cap = 4096, n = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		abort();
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb)
				abort();
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err_sys(e, "read %s", path);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return TAKE_PTR(buf);
}

char *fs_read_file(const char *path, size_t *len, struct err *e)
{
	return fs_read_fileat(AT_FDCWD, path, len, e);
}

int fs_write_stringat(int at, const char *path, const char *s, struct err *e)
{
	_cleanup_close_ int fd = openat(at, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "open %s", path);
	size_t len = strlen(s);
	ssize_t n = write(fd, s, len);
	if (n < 0)
		return err_sys(e, "write '%s' to %s", s, path);
	if ((size_t)n != len)
		return err_set(e, ERR_INTERNAL, EIO, "short write to %s", path);
	return 0;
}

int fs_write_string(const char *path, const char *s, struct err *e)
{
	return fs_write_stringat(AT_FDCWD, path, s, e);
}

int fs_mkdir_p(const char *path, mode_t mode, struct err *e)
{
	/* Usually only the last component is missing, or none: one mkdir, not one per level. */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return err_sys(e, "mkdir %s", path);
	_cleanup_free_ char *p = str_dup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return err_sys(e, "mkdir %s", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return err_sys(e, "mkdir %s", p);
	return 0;
}

static int rm_rf_at(int parent, const char *name, dev_t dev, struct err *e)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_sys(e, "stat %s", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return err_sys(e, "unlink %s", name);
		return 0;
	}
	if (st.st_dev != dev)
		return err_set(e, ERR_CONFLICT, EBUSY, "%s is a mount point", name);
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "open %s", name);
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys(e, "opendir %s", name);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rm_rf_at(dirfd(d), de->d_name, dev, e) < 0)
			return err_wrap(e, "%s", name);
	}
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return err_sys(e, "rmdir %s", name);
	return 0;
}

int fs_rm_rf(const char *path, struct err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_sys(e, "stat %s", path);
	return rm_rf_at(AT_FDCWD, path, st.st_dev, e);
}

int fs_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int fs_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_copy_fd(int from, int to, struct err *e)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(e, "read");
		}
		if (n == 0)
			return 0;
		if (fs_write_all(to, buf, (size_t)n) < 0)
			return err_sys(e, "write");
	}
}
