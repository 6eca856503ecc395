/* build/imagefs: an image's files as its merged root shows them, read straight from the layer
 * directories (top layer first; an overlay whiteout hides what is below): lookups, listings,
 * symlinks resolved inside the root (as a container would), small files read. COPY and
 * WORKDIR use it to name their destinations without writing through a symlink, --chown to
 * find names. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "build/imagefs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/str.h"

struct imagefs {
	char **layers; /* top first */
};

struct imagefs *imagefs_open(struct engine *eng, const char *image)
{
	struct imagefs *fs = xcalloc(1, sizeof(*fs));
	fs->layers = xcalloc(1, sizeof(char *));
	struct image *img = image ? engine_image_get(eng, image, NULL) : NULL;
	for (size_t i = img ? img->layers : 0; i-- > 0;)
		strv_push_take(&fs->layers, engine_image_layer_path(eng, img->chain_ids[i]));
	image_put(img);
	return fs;
}

void imagefs_close(struct imagefs *fs)
{
	if (!fs)
		return;
	strv_free(fs->layers);
	free(fs);
}

/* The layer path of an absolute path, and its stat; NULL when absent or whited out. */
static char *lookup(const struct imagefs *fs, const char *path, struct stat *st)
{
	for (char **l = fs->layers; *l; l++) {
		char *p = str_printf("%s%s", *l, path);
		if (lstat(p, st) == 0) {
			if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0)) {
				free(p);
				return NULL; /* a whiteout: deleted in this layer */
			}
			return p;
		}
		free(p);
	}
	return NULL;
}

int imagefs_lstat(const struct imagefs *fs, const char *path, struct stat *st)
{
	_cleanup_free_ char *p = lookup(fs, path, st);
	return p ? 0 : -1;
}

char *imagefs_resolve(const struct imagefs *fs, const char *path, bool follow_last)
{
	_cleanup_free_ char *cur = str_dup("");
	_cleanup_free_ char *rest = str_dup(path);
	for (int hops = 0; *rest;) {
		char *r = rest;
		while (*r == '/')
			r++;
		size_t n = strcspn(r, "/");
		_cleanup_free_ char *comp = str_ndup(r, n);
		_cleanup_free_ char *tail = str_dup(r + n);
		free(rest);
		rest = TAKE_PTR(tail);
		if (!*comp || !strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(cur, '/');
			if (slash)
				*slash = '\0';
			continue;
		}
		char *cand = str_printf("%s/%s", cur, comp);
		struct stat st;
		_cleanup_free_ char *lp = NULL;
		bool last = !rest[strspn(rest, "/")];
		if ((!last || follow_last) && hops < 40 && (lp = lookup(fs, cand, &st)) &&
		    S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t tl = readlink(lp, target, sizeof(target) - 1);
			target[tl > 0 ? tl : 0] = '\0';
			char *nrest = str_printf("%s/%s", target, rest);
			free(rest);
			rest = nrest;
			if (target[0] == '/')
				cur[0] = '\0';
			free(cand);
			hops++;
			continue;
		}
		free(cur);
		cur = cand;
	}
	return *cur ? TAKE_PTR(cur) : str_dup("/");
}

bool imagefs_is_dir(const struct imagefs *fs, const char *path)
{
	_cleanup_free_ char *real = imagefs_resolve(fs, path, true);
	struct stat st;
	return imagefs_lstat(fs, real, &st) == 0 && S_ISDIR(st.st_mode);
}

char *imagefs_read(const struct imagefs *fs, const char *path)
{
	_cleanup_free_ char *real = imagefs_resolve(fs, path, true);
	struct stat st;
	_cleanup_free_ char *p = lookup(fs, real, &st);
	return p && S_ISREG(st.st_mode) && st.st_size < (1 << 24) ? fs_read_file(p, NULL, NULL)
								  : NULL;
}

static bool in_list(char *const *v, const char *s)
{
	for (; *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the entries of one layer's directory not yet seen (whiteouts are seen, not added);
 * false when the directory hides the layers below (opaque, or absent under a non-directory). */
static bool list_layer(const char *ldir, char ***seen, char ***out)
{
	DIR *d = opendir(ldir);
	if (!d)
		return errno == ENOENT; /* a file of that name hides the layers below */
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    in_list(*seen, de->d_name))
			continue;
		strv_push(seen, de->d_name);
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)))
			strv_push(out, de->d_name);
	}
	char v[2] = "";
	bool opaque = fgetxattr(dirfd(d), "trusted.overlay.opaque", v, 1) == 1 && v[0] == 'y';
	closedir(d);
	return !opaque;
}

char **imagefs_list(const struct imagefs *fs, const char *dir)
{
	char **out = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **seen = xcalloc(1, sizeof(char *));
	struct stat st;
	if (imagefs_lstat(fs, dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return out;
	for (char **l = fs->layers; *l; l++) {
		_cleanup_free_ char *p = str_printf("%s%s", *l, dir);
		if (lstat(p, &st) == 0 && !S_ISDIR(st.st_mode))
			break; /* a file or whiteout over the directory: nothing below counts */
		if (!list_layer(p, &seen, &out))
			break;
	}
	qsort(out, strv_len(out), sizeof(char *), cmp_str);
	return out;
}
