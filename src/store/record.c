/* store/record: atomic files, JSON records and directory listings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static char *dir_of(const char *path)
{
	_cleanup_free_ char *copy = str_dup(path);
	return str_dup(dirname(copy));
}

int store_write_file(const char *path, const void *data, size_t len, mode_t mode, struct err *e)
{
	_cleanup_free_ char *dir = dir_of(path);
	_cleanup_free_ char *base_copy = str_dup(path);
	_cleanup_free_ char *tmp =
	    str_printf("%s/" STORE_TMP_PREFIX "%s-XXXXXX", dir, basename(base_copy));
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "create temporary file for %s", path);
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		err_sys(e, "write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		err_sys(e, "rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return fs_fsync_dir(dir, e);
}

int store_save_json(const char *path, const json_t *j, struct err *e)
{
	_cleanup_free_ char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return err_set(e, ERR_INTERNAL, ENOMEM, "encode %s", path);
	return store_write_file(path, s, strlen(s), 0600, e);
}

json_t *store_load_json(const char *path, struct err *e)
{
	return jx_load_file(path, e);
}

int store_remove_file(const char *path, struct err *e)
{
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, "remove %s", path);
	}
	_cleanup_free_ char *dir = dir_of(path);
	return fs_fsync_dir(dir, e);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **store_list_dir(const char *dir, const char *suffix, struct err *e)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d) {
		err_sys(e, "open directory %s", dir);
		return NULL;
	}
	char **v = xcalloc(1, sizeof(char *));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !str_has_suffix(de->d_name, suffix))
			continue;
		strv_push(&v, de->d_name);
	}
	qsort(v, strv_len(v), sizeof(char *), cmp_str);
	return v;
}

int store_clean_tmp(const char *dir, struct err *e)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : err_sys(e, "open directory %s", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!str_has_prefix(de->d_name, STORE_TMP_PREFIX))
			continue;
		_cleanup_free_ char *p = str_printf("%s/%s", dir, de->d_name);
		if (fs_rm_rf(p, e) < 0)
			return -1;
	}
	return 0;
}

int store_mkdir(const char *path, mode_t mode, struct err *e)
{
	if (fs_is_dir(path))
		return 0;
	if (fs_mkdir_p(path, mode, e) < 0)
		return -1;
	_cleanup_free_ char *dir = dir_of(path);
	return fs_fsync_dir(dir, e);
}
