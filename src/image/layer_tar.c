/* image/layer_tar: a layer directory as a tar stream: replayed from its recorded tar-split
 * (byte for byte the tar it was made from), else written in a fixed canonical form with
 * overlay whiteouts turned back into .wh. files. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/store_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/idmap.h"
#include "util/str.h"

#define COPY_BLOCK (256 * 1024)

struct ltw {
	struct archive *a;
	image_sink_fn *fn;
	void *arg;
	struct err *e;
	bool failed;
	json_t *links; /* "dev:ino" -> first path, for hard links */
	char *buf;
	char *const *skip;	      /* relative paths left out with their subtrees (NULL: none) */
	const struct idmap_pair *ids; /* owners translated (--userns-remap), NULL: as stored */
};

static bool skipped(const struct ltw *w, const char *path)
{
	for (char *const *s = w->skip; s && *s; s++)
		if (!strcmp(*s, path))
			return true;
	return false;
}

static la_ssize_t ltw_write(struct archive *a, void *cls, const void *buf, size_t n)
{
	struct ltw *w = cls;
	if (w->fn(w->arg, buf, n, w->e) < 0) {
		w->failed = true;
		archive_set_error(a, EIO, "layer tar: write failed");
		return -1;
	}
	return (la_ssize_t)n;
}

static int ltw_error(struct ltw *w, const char *path)
{
	if (w->failed)
		return -1;
	return err_set(w->e, ERR_INTERNAL, archive_errno(w->a), "layer tar %s: %s", path,
		       archive_error_string(w->a));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **sorted_names(int dirfd, struct err *e)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		err_sys(e, "read layer directory");
		return NULL;
	}
	rewinddir(d);
	char **v = xcalloc(1, sizeof(char *));
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&v, de->d_name);
	closedir(d);
	qsort(v, strv_len(v), sizeof(char *), cmp_str);
	return v;
}

/* Extended attributes but overlayfs' own. */
static void add_xattrs(struct archive_entry *ent, int dirfd, const char *name)
{
	_cleanup_free_ char *p = str_printf("/proc/self/fd/%d/%s", dirfd, name);
	char list[4096];
	ssize_t n = llistxattr(p, list, sizeof(list));
	for (ssize_t i = 0; i > -1 && i < n; i += (ssize_t)strlen(list + i) + 1) {
		const char *k = list + i;
		if (str_has_prefix(k, "trusted.overlay."))
			continue;
		char val[4096];
		ssize_t vn = lgetxattr(p, k, val, sizeof(val));
		if (vn >= 0)
			archive_entry_xattr_add_entry(ent, k, val, (size_t)vn);
	}
}

static struct archive_entry *new_entry(const struct ltw *w, const char *path, const struct stat *st)
{
	struct archive_entry *ent = archive_entry_new();
	archive_entry_copy_stat(ent, st);
	if (w->ids) {
		uint32_t uid = st->st_uid, gid = st->st_gid;
		idmap_pair_apply(w->ids, &uid, &gid);
		archive_entry_set_uid(ent, uid);
		archive_entry_set_gid(ent, gid);
	}
	archive_entry_set_pathname(ent, path);
	archive_entry_unset_atime(ent);
	archive_entry_unset_ctime(ent);
	archive_entry_unset_birthtime(ent);
	archive_entry_set_mtime(ent, st->st_mtim.tv_sec, 0);
	archive_entry_set_nlink(ent, 1);
	archive_entry_set_ino(ent, 0);
	archive_entry_set_dev(ent, 0);
	return ent;
}

/* A plain empty file standing for a whiteout (.wh.NAME) or an opaque directory. */
static int write_marker(struct ltw *w, const char *path, const struct stat *st, mode_t mode)
{
	struct stat m = *st;
	m.st_mode = S_IFREG | mode;
	m.st_size = 0;
	m.st_rdev = 0;
	struct archive_entry *ent = new_entry(w, path, &m);
	int r = archive_write_header(w->a, ent);
	archive_entry_free(ent);
	return r < ARCHIVE_WARN ? ltw_error(w, path) : 0;
}

static int write_data(struct ltw *w, int dirfd, const char *name, const char *path)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(w->e, "open %s", path);
	for (;;) {
		ssize_t n = read(fd, w->buf, COPY_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(w->e, "read %s", path);
		if (n == 0)
			return 0;
		if (archive_write_data(w->a, w->buf, (size_t)n) < 0)
			return ltw_error(w, path);
	}
}

static int write_entry(struct ltw *w, int dirfd, const char *name, const char *path,
		       const struct stat *st)
{
	struct archive_entry *ent = new_entry(w, path, st);
	bool data = S_ISREG(st->st_mode) && st->st_size > 0;
	if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
		_cleanup_free_ char *key =
		    str_printf("%lu:%lu", (unsigned long)st->st_dev, (unsigned long)st->st_ino);
		const char *first = json_string_value(json_object_get(w->links, key));
		if (first) {
			archive_entry_set_hardlink(ent, first);
			archive_entry_set_size(ent, 0);
			data = false;
		} else {
			json_object_set_new(w->links, key, json_string(path));
		}
	} else if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		archive_entry_set_symlink(ent, target);
		archive_entry_set_size(ent, 0);
	}
	add_xattrs(ent, dirfd, name);
	int r = archive_write_header(w->a, ent);
	archive_entry_free(ent);
	if (r < ARCHIVE_WARN)
		return ltw_error(w, path);
	return data ? write_data(w, dirfd, name, path) : 0;
}

static int walk(struct ltw *w, int dirfd, const char *rel)
{
	_cleanup_strv_ char **names = sorted_names(dirfd, w->e);
	if (!names)
		return -1;
	for (char **n = names; *n; n++) {
		_cleanup_free_ char *path = *rel ? str_printf("%s/%s", rel, *n) : str_dup(*n);
		if (skipped(w, path))
			continue;
		struct stat st;
		if (fstatat(dirfd, *n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(w->e, "stat %s", path);
		if (S_ISSOCK(st.st_mode))
			continue; /* tar has no sockets */
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			_cleanup_free_ char *wh =
			    *rel ? str_printf("%s/.wh.%s", rel, *n) : str_printf(".wh.%s", *n);
			if (write_marker(w, wh, &st, 0600) < 0)
				return -1;
			continue;
		}
		if (write_entry(w, dirfd, *n, path, &st) < 0)
			return -1;
		if (!S_ISDIR(st.st_mode))
			continue;
		_cleanup_close_ int fd =
		    openat(dirfd, *n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return err_sys(w->e, "open %s", path);
		char v[4];
		ssize_t vn = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v));
		_cleanup_free_ char *opq = str_printf("%s/.wh..wh..opq", path);
		if (vn == 1 && v[0] == 'y' && write_marker(w, opq, &st, st.st_mode & 0777) < 0)
			return -1;
		if (walk(w, fd, path) < 0)
			return -1;
	}
	return 0;
}

int image_layer_tar_write(const char *dir, image_sink_fn *fn, void *arg, struct err *e)
{
	return image_layer_tar_write_skip(dir, NULL, fn, arg, e);
}

int image_layer_tar_write_skip(const char *dir, char *const *skip, image_sink_fn *fn, void *arg,
			       struct err *e)
{
	return image_layer_tar_write_ids(dir, skip, NULL, fn, arg, e);
}

int image_layer_tar_write_ids(const char *dir, char *const *skip, const struct idmap_pair *ids,
			      image_sink_fn *fn, void *arg, struct err *e)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "open %s", dir);
	struct ltw w = {
	    .fn = fn, .arg = arg, .e = e, .links = json_object(), .skip = skip, .ids = ids};
	w.buf = xmalloc(COPY_BLOCK);
	w.a = archive_write_new();
	archive_write_set_format_pax_restricted(w.a);
	/* no blocking: the data goes to the sink as it is read (one copy less, big writes), and
	 * the last block isn't padded, so the bytes are those of a 512-byte blocking (the same
	 * diff IDs) */
	archive_write_set_bytes_per_block(w.a, 0);
	archive_write_set_bytes_in_last_block(w.a, 1);
	int r = -1;
	if (archive_write_open(w.a, &w, NULL, ltw_write, NULL) != ARCHIVE_OK)
		ltw_error(&w, dir);
	else if (walk(&w, fd, "") == 0)
		r = archive_write_close(w.a) == ARCHIVE_OK ? 0 : ltw_error(&w, dir);
	archive_write_free(w.a);
	json_decref(w.links);
	free(w.buf);
	return r;
}

static char *split_path(struct image_store *s, const char *chain_id)
{
	return str_printf("%s/%s/tar-split", s->layers_dir, image_digest_hex(chain_id));
}

int image_store_layer_set_split(struct image_store *s, const char *chain_id, const char *digest,
				const char *split, size_t len, struct err *e)
{
	pthread_mutex_lock(&s->mu);
	json_t *l = json_object_get(s->layers, chain_id);
	int r = 0;
	_cleanup_free_ char *path = split_path(s, chain_id);
	if (l && str_eq(json_string_value(json_object_get(l, "diff_id")), digest) &&
	    !fs_exists(path))
		r = store_write_file(path, split, len, 0600, e);
	pthread_mutex_unlock(&s->mu);
	return r;
}

struct counter {
	int64_t n;
	struct image_sha256 h;
};

static int count_sink(void *arg, const void *data, size_t len, struct err *e)
{
	struct counter *c = arg;
	c->n += (int64_t)len;
	image_sha256_update(&c->h, data, len);
	return 0;
}

int image_store_layer_tar_info(struct image_store *s, const char *chain_id, int64_t *size,
			       char digest[IMAGE_DIGEST_LEN + 1], struct err *e)
{
	_cleanup_free_ char *path = split_path(s, chain_id);
	size_t len;
	_cleanup_free_ char *split = fs_exists(path) ? fs_read_file(path, &len, NULL) : NULL;
	if (split) {
		pthread_mutex_lock(&s->mu);
		json_t *l = json_object_get(s->layers, chain_id);
		snprintf(digest, IMAGE_DIGEST_LEN + 1, "%s",
			 l ? json_string_value(json_object_get(l, "diff_id")) : "");
		pthread_mutex_unlock(&s->mu);
		return image_tarsplit_size(split, len, size, e);
	}
	struct counter c = {0};
	if (image_sha256_init(&c.h, e) < 0)
		return -1;
	int r = image_store_layer_tar(s, chain_id, count_sink, &c, e);
	image_sha256_final(&c.h, digest);
	image_sha256_release(&c.h);
	*size = c.n;
	return r;
}

int image_store_layer_tar(struct image_store *s, const char *chain_id, image_sink_fn *fn, void *arg,
			  struct err *e)
{
	_cleanup_free_ char *path = split_path(s, chain_id);
	_cleanup_free_ char *dir = image_store_layer_path(s, chain_id);
	size_t len;
	_cleanup_free_ char *split = fs_exists(path) ? fs_read_file(path, &len, NULL) : NULL;
	if (split)
		return image_tarsplit_replay(split, len, dir, fn, arg, e);
	return image_layer_tar_write(dir, fn, arg, e);
}
