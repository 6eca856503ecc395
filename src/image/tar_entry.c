/* image/tar_entry: one archive entry at a time: name checks, whiteout conversion, xattr
 * filtering, then libarchive's disk writer (cwd and root are the target directory). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/tar_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

#define WH_PREFIX ".wh."
#define WH_META	  ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"

char *image_tar_clean_name(const char *name, struct err *e)
{
	if (!name) {
		err_invalid(e, "archive entry without a name");
		return NULL;
	}
	if (name[0] == '/') {
		err_invalid(e, "archive entry '%s': absolute path refused", name);
		return NULL;
	}
	_cleanup_strv_ char **parts = strv_split(name, "/");
	char **keep = xcalloc(strv_len(parts) + 1, sizeof(char *));
	size_t n = 0;
	for (char **p = parts; *p; p++) {
		if (!strcmp(*p, "."))
			continue;
		if (!strcmp(*p, "..")) {
			free(keep);
			err_invalid(e, "archive entry '%s': path with '..' refused", name);
			return NULL;
		}
		keep[n++] = *p;
	}
	char *s = n ? strv_join(keep, "/") : str_dup("");
	free(keep);
	return s;
}

static bool fatal_errno(int en)
{
	return en == ENOSPC || en == EDQUOT || en == EIO || en == ENOMEM || en == EROFS;
}

static int write_error(struct tar_ctx *x, const char *name, struct err *e)
{
	int en = archive_errno(x->out);
	const char *msg = archive_error_string(x->out);
	if (fatal_errno(en))
		return err_errno(e, en, "extract '%s'", name);
	return err_invalid(e, "archive entry '%s': %s", name, msg ? msg : "cannot be extracted");
}

static int write_entry(struct tar_ctx *x, struct archive_entry *ent, const char *name,
		       struct err *e)
{
	if (archive_write_header(x->out, ent) < ARCHIVE_WARN)
		return write_error(x, name, e);
	if (archive_entry_size(ent) > 0) {
		for (;;) {
			const void *buf;
			size_t size;
			la_int64_t off;
			int r = archive_read_data_block(x->in, &buf, &size, &off);
			if (r == ARCHIVE_EOF)
				break;
			if (r < ARCHIVE_WARN)
				return err_invalid(e, "invalid tar archive: %s",
						   archive_error_string(x->in));
			if (archive_write_data_block(x->out, buf, size, off) < ARCHIVE_WARN)
				return write_error(x, name, e);
		}
	}
	if (archive_write_finish_entry(x->out) < ARCHIVE_WARN)
		return write_error(x, name, e);
	return 0;
}

/* Layers must not smuggle in overlayfs control attributes (opaque, redirect, metacopy). */
static void strip_overlay_xattrs(struct archive_entry *ent)
{
	if (archive_entry_xattr_reset(ent) == 0)
		return;
	struct kv {
		char *name;
		void *value;
		size_t size;
	} *keep = xcalloc((size_t)archive_entry_xattr_count(ent), sizeof(*keep));
	size_t n = 0;
	bool dropped = false;
	const char *name;
	const void *value;
	size_t size;
	while (archive_entry_xattr_next(ent, &name, &value, &size) == ARCHIVE_OK) {
		if (str_has_prefix(name, "trusted.overlay.")) {
			dropped = true;
			continue;
		}
		keep[n].name = str_dup(name);
		keep[n].value = xmalloc(size);
		memcpy(keep[n].value, value, size);
		keep[n++].size = size;
	}
	if (dropped) {
		archive_entry_xattr_clear(ent);
		for (size_t i = 0; i < n; i++)
			archive_entry_xattr_add_entry(ent, keep[i].name, keep[i].value,
						      keep[i].size);
	}
	for (size_t i = 0; i < n; i++) {
		free(keep[i].name);
		free(keep[i].value);
	}
	free(keep);
}

/* mkdir -p inside the chroot, refusing anything on the way that isn't a real directory. */
static int ensure_dir(const char *path, const char *entry, struct err *e)
{
	_cleanup_free_ char *p = str_dup(path);
	for (char *s = p;; s++) {
		char c = *s;
		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		struct stat st;
		if (lstat(p, &st) < 0) {
			if (errno != ENOENT || mkdir(p, 0755) < 0)
				return err_sys(e, "archive entry '%s': mkdir %s", entry, p);
		} else if (!S_ISDIR(st.st_mode)) {
			return err_invalid(e, "archive entry '%s': %s is not a directory", entry,
					   p);
		}
		if (c == '\0')
			return 0;
		*s = '/';
	}
}

static int whiteout(struct tar_ctx *x, struct archive_entry *ent, const char *name,
		    const char *base, struct err *e)
{
	_cleanup_free_ char *dir = str_ndup(name, (size_t)(base - name));
	if (!strcmp(base, WH_OPAQUE)) {
		const char *d = *dir ? dir : ".";
		if (*dir && ensure_dir(dir, name, e) < 0)
			return -1;
		if (lsetxattr(d, "trusted.overlay.opaque", "y", 1, 0) < 0)
			return err_sys(e, "archive entry '%s': mark %s opaque", name, d);
		return 0;
	}
	if (str_has_prefix(base, WH_META)) /* AUFS bookkeeping (.wh..wh.plnk ...) */
		return 0;
	if (!base[strlen(WH_PREFIX)])
		return err_invalid(e, "archive entry '%s': whiteout without a name", name);
	_cleanup_free_ char *target = str_printf("%s%s", dir, base + strlen(WH_PREFIX));
	archive_entry_set_pathname(ent, target);
	archive_entry_set_hardlink(ent, NULL);
	archive_entry_set_filetype(ent, AE_IFCHR);
	archive_entry_set_rdev(ent, 0);
	archive_entry_set_size(ent, 0);
	archive_entry_set_perm(ent, 0);
	archive_entry_xattr_clear(ent);
	return write_entry(x, ent, target, e);
}

/* The archive's "./" entry describes the target directory itself. */
static int root_entry(struct archive_entry *ent, struct err *e)
{
	if (archive_entry_filetype(ent) != AE_IFDIR)
		return err_invalid(e, "archive entry '%s': the root must be a directory",
				   archive_entry_pathname(ent));
	if (lchown(".", archive_entry_uid(ent), archive_entry_gid(ent)) < 0 ||
	    chmod(".", archive_entry_perm(ent) & 07777) < 0)
		return err_sys(e, "archive entry '%s': set owner and mode",
			       archive_entry_pathname(ent));
	return 0;
}

int tar_extract_entry(struct tar_ctx *x, struct archive_entry *ent, struct err *e)
{
	_cleanup_free_ char *name = image_tar_clean_name(archive_entry_pathname(ent), e);
	if (!name)
		return -1;
	const char *link = archive_entry_hardlink(ent);
	_cleanup_free_ char *hl = link ? image_tar_clean_name(link, e) : NULL;
	if (link && (!hl || !*hl))
		return hl ? err_invalid(e, "archive entry '%s': hard link to the root", name) : -1;
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	if (str_has_prefix(base, WH_PREFIX))
		return whiteout(x, ent, name, base, e);
	if (!*name)
		return root_entry(ent, e);
	strip_overlay_xattrs(ent);
	archive_entry_set_pathname(ent, name);
	if (hl) {
		archive_entry_set_hardlink(ent, hl);
	} else if (archive_entry_filetype(ent) == AE_IFREG) {
		x->res->size += archive_entry_size(ent);
	} else if (archive_entry_filetype(ent) == AE_IFLNK && archive_entry_symlink(ent)) {
		x->res->size += (int64_t)strlen(archive_entry_symlink(ent));
	}
	return write_entry(x, ent, name, e);
}
