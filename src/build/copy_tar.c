/* build/copy_tar: the tar that COPY and ADD put into the step's container (entries named from
 * the root, owners as --chown says), made from context files, from another image's files (a
 * docker cp tar renamed) or from a local archive (ADD's auto-extraction); a sha256 over names,
 * modes and contents on the way, for the cache key. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/copy.h"
#include "util/cleanup.h"
#include "util/str.h"

int copy_tar_open(struct copy_tar *t, const char *dir, struct err *e)
{
	memset(t, 0, sizeof(*t));
	t->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (t->fd < 0)
		return err_sys(e, "build: temporary file in %s", dir);
	t->a = archive_write_new();
	archive_write_set_format_pax_restricted(t->a);
	if (archive_write_open_fd(t->a, t->fd) != ARCHIVE_OK) {
		err_set(e, ERR_INTERNAL, 0, "build: tar: %s", archive_error_string(t->a));
		copy_tar_release(t);
		return -1;
	}
	t->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(t->md, EVP_sha256(), NULL);
	t->links = json_object();
	return 0;
}

void copy_tar_release(struct copy_tar *t)
{
	json_decref(t->links);
	if (t->a)
		archive_write_free(t->a);
	if (t->fd >= 0)
		close(t->fd);
	if (t->md)
		EVP_MD_CTX_free(t->md);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

int copy_tar_close(struct copy_tar *t, char hex[65], struct err *e)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		return err_set(e, ERR_INTERNAL, 0, "build: tar: %s", archive_error_string(t->a));
	unsigned char d[32];
	EVP_DigestFinal_ex(t->md, d, NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return lseek(t->fd, 0, SEEK_SET) < 0 ? err_sys(e, "build: rewind tar") : 0;
}

static void hash_str(struct copy_tar *t, const char *s)
{
	EVP_DigestUpdate(t->md, s, strlen(s) + 1);
}

static void owner(const struct copy_tar *t, struct archive_entry *ent)
{
	if (!t->chown)
		return;
	archive_entry_set_uid(ent, t->uid);
	archive_entry_set_gid(ent, t->gid);
}

static int write_header(struct copy_tar *t, struct archive_entry *ent, struct err *e)
{
	char meta[64];
	snprintf(meta, sizeof(meta), "%o:%lld", (unsigned)archive_entry_perm(ent),
		 (long long)archive_entry_size(ent));
	hash_str(t, archive_entry_pathname(ent));
	hash_str(t, meta);
	if (archive_write_header(t->a, ent) < ARCHIVE_WARN)
		return err_set(e, ERR_INTERNAL, 0, "build: tar %s: %s", archive_entry_pathname(ent),
			       archive_error_string(t->a));
	return 0;
}

static int write_data(struct copy_tar *t, const void *buf, size_t n, struct err *e)
{
	EVP_DigestUpdate(t->md, buf, n);
	if (archive_write_data(t->a, buf, n) < 0)
		return err_set(e, ERR_INTERNAL, 0, "build: tar: %s", archive_error_string(t->a));
	return 0;
}

static int add_file_data(struct copy_tar *t, const char *path, struct err *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_sys(e, "build: open %s", path);
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_data(t, buf, (size_t)n, e) < 0)
			return -1;
	return n < 0 ? err_sys(e, "build: read %s", path) : 0;
}

/* One file system object at path as entry name (and a directory's contents below it). */
int copy_tar_add_path(struct copy_tar *t, const char *path, const char *name, struct err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return err_sys(e, "build: stat %s", path);
	if (S_ISSOCK(st.st_mode))
		return 0; /* a tar has no sockets: left out, as docker's archiver does */
	struct archive_entry *ent = archive_entry_new();
	archive_entry_copy_stat(ent, &st);
	archive_entry_set_pathname(ent, name);
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	owner(t, ent);
	char target[PATH_MAX];
	ssize_t tl = S_ISLNK(st.st_mode) ? readlink(path, target, sizeof(target) - 1) : -1;
	if (tl >= 0) {
		target[tl] = '\0';
		archive_entry_set_symlink(ent, target);
		hash_str(t, target);
	}
	/* a file seen before under another name (hard links): a link entry, as docker's tars */
	char key[64];
	snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	const char *first = S_ISREG(st.st_mode) && st.st_nlink > 1
				? json_string_value(json_object_get(t->links, key))
				: NULL;
	if (first) {
		archive_entry_set_hardlink(ent, first);
		hash_str(t, first);
	} else if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		json_object_set_new(t->links, key, json_string(name));
	}
	if (!S_ISREG(st.st_mode) || first)
		archive_entry_set_size(ent, 0);
	int r = write_header(t, ent, e);
	archive_entry_free(ent);
	if (r == 0 && S_ISREG(st.st_mode) && !first)
		r = add_file_data(t, path, e);
	if (r < 0 || !S_ISDIR(st.st_mode))
		return r;
	struct dirent **list;
	int n = scandir(path, &list, NULL, alphasort);
	if (n < 0)
		return err_sys(e, "build: open directory %s", path);
	for (int i = 0; i < n; i++) {
		const char *dn = list[i]->d_name;
		if (r == 0 && strcmp(dn, ".") && strcmp(dn, "..")) {
			_cleanup_free_ char *p = str_printf("%s/%s", path, dn);
			_cleanup_free_ char *nm = str_printf("%s/%s", name, dn);
			r = copy_tar_add_path(t, p, nm, e);
		}
		free(list[i]);
	}
	free(list);
	return r;
}

/* Entry name of an archive entry: prefix "from" replaced by "to" (from "" = all entries
 * go under to). NULL when the entry is outside from. */
static char *renamed(const char *name, const char *from, const char *to)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (*name == '/')
		name++;
	size_t n = strlen(name);
	while (n && name[n - 1] == '/')
		n--;
	_cleanup_free_ char *clean = str_ndup(name, n);
	if (!*from)
		return *clean ? str_printf("%s/%s", to, clean) : str_dup(to);
	size_t f = strlen(from);
	if (strncmp(clean, from, f) != 0 || (clean[f] && clean[f] != '/'))
		return NULL;
	return str_printf("%s%s", to, clean + f);
}

static int copy_entry(struct copy_tar *t, struct archive *in, struct archive_entry *ent,
		      const char *from, const char *to, struct err *e)
{
	_cleanup_free_ char *nm = renamed(archive_entry_pathname(ent), from, to);
	if (!nm || !*nm)
		return 0;
	archive_entry_set_pathname(ent, nm);
	const char *hl = archive_entry_hardlink(ent);
	if (hl) {
		_cleanup_free_ char *hn = renamed(hl, from, to);
		if (hn)
			archive_entry_set_hardlink(ent, hn);
	}
	owner(t, ent);
	if (write_header(t, ent, e) < 0)
		return -1;
	const void *buf;
	size_t size;
	la_int64_t off;
	int rr;
	while ((rr = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
		if (write_data(t, buf, size, e) < 0)
			return -1;
	if (rr != ARCHIVE_EOF)
		return err_invalid(e, "build: read archive: %s", archive_error_string(in));
	return 0;
}

int copy_tar_add_archive(struct copy_tar *t, int fd, const char *from, const char *to, bool probe,
			 struct err *e)
{
	struct archive *in = archive_read_new();
	archive_read_support_format_tar(in);
	archive_read_support_filter_all(in);
	struct archive_entry *ent;
	int r = archive_read_open_fd(in, fd, 65536) == ARCHIVE_OK ? 0 : -1;
	int rr = r == 0 ? archive_read_next_header(in, &ent) : ARCHIVE_FATAL;
	if (rr != ARCHIVE_OK && rr != ARCHIVE_EOF) {
		r = probe ? 1
			  : err_invalid(e, "build: not an archive: %s", archive_error_string(in));
		archive_read_free(in);
		return r;
	}
	for (r = 0; rr == ARCHIVE_OK && r == 0; rr = archive_read_next_header(in, &ent))
		r = copy_entry(t, in, ent, from, to, e);
	if (r == 0 && rr != ARCHIVE_EOF)
		r = err_invalid(e, "build: read archive: %s", archive_error_string(in));
	archive_read_free(in);
	return r;
}

int copy_tar_add_dir(struct copy_tar *t, const char *name, struct err *e)
{
	struct archive_entry *ent = archive_entry_new();
	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, AE_IFDIR);
	archive_entry_set_perm(ent, 0755);
	archive_entry_set_mtime(ent, time(NULL), 0);
	int r = write_header(t, ent, e);
	archive_entry_free(ent);
	return r;
}
