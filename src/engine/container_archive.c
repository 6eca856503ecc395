/* engine/container_archive: docker cp: the stat of a path in a container (Go FileMode bits),
 * a tar of it (GET archive), and a tar extracted into a directory of it (PUT archive). A
 * stopped container's root is mounted for the operation and unmounted after. */
#define _XOPEN_SOURCE 700
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "image/tar.h"
#include "runtime/securejoin.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

/* Go's os.FileMode from st_mode. */
static uint32_t go_mode(mode_t m)
{
	uint32_t g = m & 0777;
	if (S_ISDIR(m))
		g |= 1u << 31;
	if (S_ISLNK(m))
		g |= 1u << 27;
	if (S_ISBLK(m))
		g |= 1u << 26;
	if (S_ISCHR(m))
		g |= 1u << 26 | 1u << 21;
	if (S_ISFIFO(m))
		g |= 1u << 25;
	if (S_ISSOCK(m))
		g |= 1u << 24;
	if (m & S_ISUID)
		g |= 1u << 23;
	if (m & S_ISGID)
		g |= 1u << 22;
	if (m & S_ISVTX)
		g |= 1u << 20;
	return g;
}

/* The container's root, mounted for the call when the container is stopped; busy held. */
struct croot {
	struct engine *eng;
	struct container *c;
	char *cdir, *merged;
	bool mounted;
};

static int croot_open(struct engine *eng, const char *name, struct croot *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	r->c = container_get(eng, name, e);
	if (!r->c)
		return -1;
	r->eng = eng;
	container_lock_busy(eng, r->c);
	r->cdir = container_dir(eng, r->c->id);
	r->merged = str_printf("%s/merged", r->cdir);
	if (!container_running(r->c)) {
		if (rootfs_mount(eng, r->c->rec, r->cdir, e) < 0)
			return -1;
		r->mounted = true;
	}
	return 0;
}

static void croot_close(struct croot *r)
{
	if (r->mounted)
		rootfs_unmount(r->cdir, NULL);
	if (r->c) {
		container_unlock_busy(r->eng, r->c);
		container_put(r->eng, r->c);
	}
	free(r->cdir);
	free(r->merged);
}

static json_t *stat_json(const char *real, const char *name, struct err *e, const char *path,
			 const char *cname)
{
	struct stat st;
	if (lstat(real, &st) < 0) {
		err_notfound(e, "Could not find the file %s in container %s", path, cname);
		return NULL;
	}
	char mtime[STORE_TIME_MAX];
	store_time_format((int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, mtime);
	char link[4096] = "";
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(real, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
	}
	return json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", name, "size", (json_int_t)st.st_size,
			 "mode", (json_int_t)go_mode(st.st_mode), "mtime", mtime, "linkTarget",
			 link);
}

/* Resolves path in the root; the last component is not followed (stat reports links). */
static char *resolve(const char *root, const char *path, char **base, struct err *e)
{
	_cleanup_free_ char *abs = str_printf("/%s", path);
	_cleanup_free_ char *clean = path_clean(abs);
	if (!strcmp(clean, "/")) {
		*base = str_dup("/");
		return str_dup(root);
	}
	char *slash = strrchr(clean, '/');
	*base = str_dup(slash + 1);
	_cleanup_free_ char *d = str_ndup(clean, (size_t)(slash - clean));
	_cleanup_free_ char *rdir = securejoin_resolve(root, *d ? d : "/", e);
	return rdir ? str_printf("%s/%s", rdir, *base) : NULL;
}

json_t *engine_container_archive_stat(struct engine *eng, const char *name, const char *path,
				      struct err *e)
{
	struct croot r;
	json_t *j = NULL;
	if (croot_open(eng, name, &r, e) == 0) {
		_cleanup_free_ char *base = NULL;
		_cleanup_free_ char *real = resolve(r.merged, path, &base, e);
		if (real)
			j = stat_json(real, base, e, path, name);
	}
	croot_close(&r);
	return j;
}

struct tarw {
	struct archive *a;
	const char *top; /* the resolved path */
	const char *base;
	int err;
};

static __thread struct tarw *tw;

static int add_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = p + strlen(tw->top);
	_cleanup_free_ char *name =
	    str_printf("%s%s", !strcmp(tw->base, "/") ? "." : tw->base, rel);
	struct archive_entry *ent = archive_entry_new();
	archive_entry_copy_stat(ent, st);
	archive_entry_set_pathname(ent, name);
	if (S_ISLNK(st->st_mode)) {
		char link[4096];
		ssize_t n = readlink(p, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		archive_entry_set_symlink(ent, link);
	}
	if (!S_ISREG(st->st_mode))
		archive_entry_set_size(ent, 0);
	if (archive_write_header(tw->a, ent) != ARCHIVE_OK)
		tw->err = EIO;
	archive_entry_free(ent);
	if (S_ISREG(st->st_mode) && !tw->err) {
		_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		char buf[65536];
		ssize_t n;
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			if (archive_write_data(tw->a, buf, (size_t)n) < 0) {
				tw->err = EIO;
				break;
			}
	}
	return tw->err ? 1 : 0;
}

/* GET archive: a memfd holding the tar (read from offset 0); *stat the path's stat. */
int engine_container_archive_get(struct engine *eng, const char *name, const char *path,
				 json_t **stat, struct err *e)
{
	struct croot r;
	int fd = -1;
	*stat = NULL;
	if (croot_open(eng, name, &r, e) == 0) {
		_cleanup_free_ char *base = NULL;
		_cleanup_free_ char *real = resolve(r.merged, path, &base, e);
		*stat = real ? stat_json(real, base, e, path, name) : NULL;
		if (*stat)
			fd = memfd_create("archive", MFD_CLOEXEC);
		if (*stat && fd < 0)
			err_sys(e, "memfd");
		if (fd >= 0) {
			struct tarw w = {archive_write_new(), real, base, 0};
			archive_write_set_format_pax_restricted(w.a);
			archive_write_open_fd(w.a, fd);
			tw = &w;
			nftw(real, add_entry, 16, FTW_PHYS);
			tw = NULL;
			archive_write_close(w.a);
			archive_write_free(w.a);
			if (w.err) {
				close(fd);
				fd = err_errno(e, w.err, "archive %s", path);
			} else {
				lseek(fd, 0, SEEK_SET);
			}
		}
	}
	croot_close(&r);
	if (fd < 0) {
		json_decref(*stat);
		*stat = NULL;
	}
	return fd;
}

/* PUT archive: the tar in data is extracted into path (an existing directory). */
int engine_container_archive_put(struct engine *eng, const char *name, const char *path,
				 const void *data, size_t len, struct err *e)
{
	struct croot r;
	int ret = -1;
	if (croot_open(eng, name, &r, e) == 0) {
		_cleanup_free_ char *real = securejoin_resolve(r.merged, path, e);
		if (real && !fs_is_dir(real)) {
			if (fs_exists(real))
				err_invalid(e, "extraction point is not a directory");
			else
				err_notfound(e, "Could not find the file %s in container %s", path,
					     name);
		} else if (real) {
			_cleanup_close_ int fd = memfd_create("put", MFD_CLOEXEC);
			struct image_tar_result res;
			if (fd < 0 || write(fd, data, len) != (ssize_t)len)
				err_sys(e, "buffer the archive");
			else if (lseek(fd, 0, SEEK_SET) == 0)
				ret = image_tar_extract(fd, real, &res, e);
		}
	}
	croot_close(&r);
	return ret;
}
