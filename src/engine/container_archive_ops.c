/* engine/container_archive_ops: docker cp's work, done by a thread whose root is the
 * container's (container_archive_ns.c): a path's stat (Go FileMode bits), a tar of it, and a
 * tar extracted into a directory. A tar is checked whole before anything is written: an
 * entry leaving the target (.., links out) or a dir/non-dir clash it may not cause refuses
 * it all. Extraction never follows a symlink it meets (libarchive's secure flags). */
#define _XOPEN_SOURCE 700
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "engine/container_archive.h"
#include "engine/ocispec.h"
#include "image/tar.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

/* Kernel file systems a running container has mounted (a stopped one shows their empty
 * mount points): cp neither reads them (endless or host-wide files) nor writes into them. */
static bool pseudo_fs(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) < 0)
		return false;
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case DEVPTS_SUPER_MAGIC:
	case 0x19800202: /* mqueue */
	case DEBUGFS_MAGIC:
	case SECURITYFS_MAGIC:
	case TRACEFS_MAGIC:
	case BPF_FS_MAGIC:
		return true;
	}
	return false;
}

/* A path inside a kernel file system other than its mount point is not shown. */
static bool hidden(const char *real, const struct stat *st)
{
	if (S_ISLNK(st->st_mode) || !pseudo_fs(real))
		return false;
	_cleanup_free_ char *parent = str_printf("%s/..", real);
	struct stat pst;
	return stat(parent, &pst) < 0 || pst.st_dev == st->st_dev;
}

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

/* The path inside the root; a trailing "/" or "/." follows a final symlink (moby's
 * ResolvePath), else the link itself is what is meant. *base is the tar's top name. */
static char *resolve(const char *path, bool *follow, char **base)
{
	size_t n = strlen(path);
	bool dot = n >= 2 && !strcmp(path + n - 2, "/.");
	*follow = dot || (n > 0 && path[n - 1] == '/') || !strcmp(path, ".");
	_cleanup_free_ char *abs = str_printf("/%s", path);
	char *clean = path_clean(abs);
	char *slash = strrchr(clean, '/');
	*base = str_dup(dot || !strcmp(clean, "/") ? "." : slash + 1);
	return clean;
}

static int stat_path(struct cp_job *j, const char *real, bool follow, struct stat *st,
		     struct err *e)
{
	if ((follow ? stat(real, st) : lstat(real, st)) < 0 || hidden(real, st))
		return err_notfound(e, "Could not find the file %s in container %s", j->path,
				    j->cname);
	return 0;
}

static json_t *stat_json(const char *real, const char *name, const struct stat *st)
{
	char mtime[STORE_TIME_MAX];
	store_time_format((int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec, mtime);
	char link[4096] = "";
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlink(real, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
	}
	return json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", name, "size", (json_int_t)st->st_size,
			 "mode", (json_int_t)go_mode(st->st_mode), "mtime", mtime, "linkTarget",
			 link);
}

int cp_do_stat(struct cp_job *j, struct err *e)
{
	bool follow;
	_cleanup_free_ char *base = NULL;
	_cleanup_free_ char *real = resolve(j->path, &follow, &base);
	struct stat st;
	if (stat_path(j, real, follow, &st, e) < 0)
		return -1;
	_cleanup_free_ char *slash = str_dup(real);
	j->stat = stat_json(real,
			    j->tar_name		 ? base
			    : !strcmp(real, "/") ? "/"
						 : strrchr(slash, '/') + 1,
			    &st);
	return 0;
}

struct tarw {
	const struct idmap_pair *ids;
	struct archive *a;
	const char *top;
	const char *base;
	int err;
};

static __thread struct tarw *tw;

static int add_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = strcmp(tw->top, "/") ? p + strlen(tw->top) : p + 1;
	if (*rel == '/')
		rel++;
	_cleanup_free_ char *name = *rel ? str_printf("%s/%s", tw->base, rel) : str_dup(tw->base);
	struct archive_entry *ent = archive_entry_new();
	archive_entry_copy_stat(ent, st);
	archive_entry_set_pathname(ent, name);
	if (tw->ids) {
		uint32_t uid = st->st_uid, gid = st->st_gid;
		idmap_pair_apply(tw->ids, &uid, &gid);
		archive_entry_set_uid(ent, uid);
		archive_entry_set_gid(ent, gid);
	}
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
		off_t left = st->st_size; /* a growing file: the header's size is what goes in */
		while (fd >= 0 && left > 0 &&
		       (n = read(fd, buf, left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf))) >
			   0) {
			left -= n;
			if (archive_write_data(tw->a, buf, (size_t)n) < 0) {
				tw->err = EIO;
				break;
			}
		}
	}
	if (tw->err)
		return FTW_STOP;
	/* /proc, /sys and the like of a running container: the mount point, not its contents */
	return flag == FTW_D && pseudo_fs(p) ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
}

int cp_do_get(struct cp_job *j, struct err *e)
{
	bool follow;
	_cleanup_free_ char *base = NULL;
	_cleanup_free_ char *real = resolve(j->path, &follow, &base);
	struct stat st;
	if (stat_path(j, real, follow, &st, e) < 0)
		return -1;
	/* a followed link is walked from its target (its stat came from the CP_STAT pass) */
	_cleanup_free_ char *top = follow ? realpath(real, NULL) : str_dup(real);
	if (!top)
		return err_notfound(e, "Could not find the file %s in container %s", j->path,
				    j->cname);
	struct tarw w = {j->to_container, archive_write_new(), top, base, 0};
	archive_write_set_format_pax_restricted(w.a);
	archive_write_open_fd(w.a, j->out_fd);
	tw = &w;
	if (nftw(top, add_entry, 16, FTW_PHYS | FTW_ACTIONRETVAL) < 0 && !w.err)
		w.err = errno;
	tw = NULL;
	archive_write_close(w.a);
	archive_write_free(w.a);
	if (w.err)
		return err_errno(e, w.err, "archive %s", j->path);
	return 0;
}

/* The entry's name relative to the target; NULL (400) when it would leave it. */
static char *entry_name(const char *name, struct err *e)
{
	while (*name == '/')
		name++;
	struct err le = ERR_INIT;
	char *clean = image_tar_clean_name(name, &le);
	if (!clean)
		err_invalid(e, "invalid archive: entry \"%s\" would be written outside the target",
			    name);
	return clean;
}

/* Whether writing an entry of type dir over what is at name breaks noOverwriteDirNonDir. */
static int check_overwrite(const char *name, bool dir, struct err *e)
{
	struct stat st;
	if (!*name || lstat(name, &st) < 0)
		return 0;
	if (dir && !S_ISDIR(st.st_mode))
		return err_invalid(e, "cannot overwrite non-directory \"%s\" with directory \"%s\"",
				   name, name);
	if (!dir && S_ISDIR(st.st_mode))
		return err_invalid(e, "cannot overwrite directory \"%s\" with non-directory \"%s\"",
				   name, name);
	return 0;
}

/* Extraction never writes through a symlink: one met (made earlier by the tar, or on disk
 * and not replaced by a directory of the tar) is refused before anything is written.
 * made: what the tar made so far, true for its symlinks, false for the rest. */
static int check_parents(const char *name, json_t *made, struct err *e)
{
	_cleanup_free_ char *p = str_dup(name);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		struct stat st;
		json_t *m = json_object_get(made, p);
		if (json_is_true(m) || (!m && lstat(p, &st) == 0 && S_ISLNK(st.st_mode)))
			return err_invalid(e,
					   "invalid archive: entry \"%s\" would be written through "
					   "the symbolic link \"%s\"",
					   name, p);
		if (!m && pseudo_fs(p))
			return err_invalid(
			    e,
			    "invalid archive: entry \"%s\" would be written into the "
			    "kernel file system at \"%s\"",
			    name, p);
		*s = '/';
	}
	return 0;
}

/* The uploaded tar from its start (it is read twice). */
static int open_tar(struct archive *a, int fd)
{
	if (lseek(fd, 0, SEEK_SET) != 0)
		return ARCHIVE_FATAL;
	return archive_read_open_fd(a, fd, 65536);
}

/* Reads the whole tar once: names, link targets, clashes. Nothing is written. */
static int precheck(struct cp_job *j, struct err *e)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_all(a);
	archive_read_support_filter_all(a);
	int r = 0;
	if (open_tar(a, j->in_fd) != ARCHIVE_OK)
		r = err_invalid(e, "invalid archive: %s", archive_error_string(a));
	struct archive_entry *ent;
	int rr = ARCHIVE_OK;
	_cleanup_json_ json_t *made = json_object();
	while (r == 0 && (rr = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		_cleanup_free_ char *name = entry_name(archive_entry_pathname(ent), e);
		const char *hl = archive_entry_hardlink(ent);
		_cleanup_free_ char *hname = hl ? entry_name(hl, e) : NULL;
		if (!name || (hl && !hname) || check_parents(name, made, e) < 0)
			r = -1;
		else if (j->no_overwrite_dir_nondir)
			r = check_overwrite(name, archive_entry_filetype(ent) == AE_IFDIR, e);
		if (name)
			json_object_set_new(made, name,
					    json_boolean(archive_entry_filetype(ent) == AE_IFLNK));
	}
	if (r == 0 && rr != ARCHIVE_EOF)
		r = err_invalid(e, "invalid archive: %s", archive_error_string(a));
	archive_read_free(a);
	return r;
}

/* copyUIDGID with a Config.User: everything belongs to that user (moby tarCopyOptions). */
static int owner_of(struct cp_job *j, bool *set, uid_t *uid, gid_t *gid, struct err *e)
{
	const char *user =
	    json_string_value(json_object_get(json_object_get(j->rec, "Config"), "User"));
	*set = j->copy_uidgid && user && *user;
	if (!*set)
		return 0;
	gid_t *gids = NULL;
	size_t n = 0;
	int r = ocispec_user("/", user, NULL, uid, gid, &gids, &n, e);
	free(gids);
	return r;
}

static int extract(struct cp_job *j, struct err *e)
{
	bool set_owner;
	uid_t uid = 0;
	gid_t gid = 0;
	if (owner_of(j, &set_owner, &uid, &gid, e) < 0)
		return -1;
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	archive_read_support_format_all(a);
	archive_read_support_filter_all(a);
	archive_write_disk_set_options(
	    w, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
		   ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		   ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	int r = open_tar(a, j->in_fd) == ARCHIVE_OK ? 0 : -1;
	struct archive_entry *ent;
	while (r == 0 && archive_read_next_header(a, &ent) == ARCHIVE_OK) {
		_cleanup_free_ char *name = entry_name(archive_entry_pathname(ent), e);
		const char *hl = archive_entry_hardlink(ent);
		_cleanup_free_ char *hname = hl ? entry_name(hl, e) : NULL;
		if (!name || !*name)
			continue; /* "." or "/": the target itself */
		archive_entry_set_pathname(ent, name);
		if (hname)
			archive_entry_set_hardlink(ent, hname);
		if (set_owner) {
			archive_entry_set_uid(ent, uid);
			archive_entry_set_gid(ent, gid);
		}
		if (j->to_host) { /* container ids to the remapped ones */
			uint32_t u = (uint32_t)archive_entry_uid(ent),
				 g = (uint32_t)archive_entry_gid(ent);
			idmap_pair_apply(j->to_host, &u, &g);
			archive_entry_set_uid(ent, u);
			archive_entry_set_gid(ent, g);
		}
		if (archive_write_header(w, ent) < ARCHIVE_WARN) {
			r = -1;
			break;
		}
		const void *buf;
		size_t size;
		la_int64_t off;
		int rr;
		while ((rr = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(w, buf, size, off) < ARCHIVE_WARN)
				break;
		if (archive_write_finish_entry(w) < ARCHIVE_WARN) {
			r = -1;
			break;
		}
	}
	if (r < 0 && e && e->kind == ERR_NONE) {
		int en = archive_errno(w) ? archive_errno(w) : archive_errno(a);
		err_errno(e, en ? en : EIO, "extract into %s: %s", j->path,
			  archive_error_string(w) ? archive_error_string(w)
						  : archive_error_string(a));
	}
	archive_write_close(w);
	archive_write_free(w);
	archive_read_free(a);
	return r;
}

int cp_do_put(struct cp_job *j, struct err *e)
{
	_cleanup_free_ char *abs = str_printf("/%s", j->path);
	_cleanup_free_ char *clean = path_clean(abs);
	struct stat st;
	if (stat(clean, &st) < 0)
		return err_notfound(e, "Could not find the file %s in container %s", j->path,
				    j->cname);
	if (!S_ISDIR(st.st_mode))
		return err_invalid(e, "extraction point is not a directory");
	if (pseudo_fs(clean))
		return err_invalid(e, "cannot copy into %s: a kernel file system", j->path);
	if (chdir(clean) < 0)
		return err_sys(e, "cp: enter %s", j->path);
	struct statvfs vfs;
	struct stat here, root;
	/* on the root's file system or on a mount (volume, bind) of another */
	bool on_root = stat(".", &here) == 0 && stat("/", &root) == 0 && here.st_dev == root.st_dev;
	if (statvfs(".", &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return err_invalid(e, on_root ? "container rootfs is marked read-only"
					      : "mounted volume is marked read-only");
	if (precheck(j, e) < 0)
		return -1;
	return extract(j, e);
}
