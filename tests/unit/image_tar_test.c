/* Unit tests for src/image/tar: what a layer extraction keeps (owners, modes, xattrs, hard
 * links, devices, whiteouts) and what it refuses (.., absolute names, symlinked parents,
 * hard links out of the target), with nothing written outside. Needs root (chroot, chown). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/tar.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

struct tent {
	const char *name;
	unsigned type; /* AE_IF* */
	const char *data;
	unsigned perm;
	const char *link; /* symlink target or, with AE_IFREG, hard link target */
	int uid;
};

static char base[64];

static void add_entry(struct archive *a, const struct tent *t)
{
	struct archive_entry *ent = archive_entry_new();
	archive_entry_set_pathname(ent, t->name);
	archive_entry_set_filetype(ent, t->type);
	archive_entry_set_perm(ent, t->perm ? t->perm : 0644);
	archive_entry_set_uid(ent, t->uid);
	archive_entry_set_gid(ent, t->uid);
	archive_entry_set_mtime(ent, 1000000000, 0);
	if (t->type == AE_IFLNK)
		archive_entry_set_symlink(ent, t->link);
	else if (t->link)
		archive_entry_set_hardlink(ent, t->link);
	if (t->type == AE_IFCHR)
		archive_entry_set_rdev(ent, makedev(1, 3));
	size_t len = t->data && !t->link ? strlen(t->data) : 0;
	archive_entry_set_size(ent, (la_int64_t)len);
	if (!strcmp(t->name, "./a/f")) {
		archive_entry_xattr_add_entry(ent, "user.k", "v", 1);
		archive_entry_xattr_add_entry(ent, "trusted.overlay.redirect", "/x", 2);
	}
	archive_write_header(a, ent);
	if (len)
		archive_write_data(a, t->data, len);
	archive_entry_free(ent);
}

/* Writes a pax tar (optionally gzipped) of the entries to base/name; returns its path. */
static char *make_tar(const char *name, const struct tent *ents, size_t n, bool gz)
{
	char *path = str_printf("%s/%s", base, name);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gz)
		archive_write_add_filter_gzip(a);
	archive_write_open_filename(a, path);
	for (size_t i = 0; i < n; i++)
		add_entry(a, &ents[i]);
	archive_write_close(a);
	archive_write_free(a);
	return path;
}

/* Extracts tar into a fresh base/<dir>; returns 0/-1 like image_tar_extract. */
static int extract(const char *tar, const char *dir, struct image_tar_result *res, struct err *e)
{
	_cleanup_free_ char *target = str_printf("%s/%s", base, dir);
	fs_rm_rf(target, NULL);
	mkdir(target, 0755);
	_cleanup_close_ int fd = open(tar, O_RDONLY | O_CLOEXEC);
	return image_tar_extract(fd, target, res, e);
}

static int count_entries(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	return n;
}

static void sha_file(const char *path, char out[IMAGE_DIGEST_LEN + 1])
{
	size_t len;
	_cleanup_free_ char *data = fs_read_file(path, &len, NULL);
	image_sha256_buf(data, len, out);
}

static struct stat st_of(const char *rel)
{
	struct stat st = {0};
	_cleanup_free_ char *p = str_printf("%s/%s", base, rel);
	lstat(p, &st);
	return st;
}

static void test_good(void)
{
	const struct tent ents[] = {
	    {"./", AE_IFDIR, NULL, 0755},
	    {"a/", AE_IFDIR, NULL, 0750, NULL, 1234},
	    {"./a/f", AE_IFREG, "hello", 04755},
	    {"a/h", AE_IFREG, NULL, 0, "./a/f"},
	    {"l", AE_IFLNK, NULL, 0777, "/etc/passwd"},
	    {"a/.wh.gone", AE_IFREG, "", 0},
	    {"o/.wh..wh..opq", AE_IFREG, "", 0},
	    {".wh..wh.plnk", AE_IFDIR, NULL, 0700},
	    {"p", AE_IFIFO, NULL, 0600},
	    {"dev", AE_IFCHR, NULL, 0666},
	};
	_cleanup_free_ char *tar = make_tar("good.tar", ents, ARRAY_SIZE(ents), false);
	_cleanup_free_ char *tgz = make_tar("good.tgz", ents, ARRAY_SIZE(ents), true);
	struct err e = ERR_INIT;
	struct image_tar_result res;
	if (!ok(extract(tar, "t", &res, &e) == 0, "good archive extracts"))
		printf("#   %s\n", e.msg);
	char want[IMAGE_DIGEST_LEN + 1];
	sha_file(tar, want);
	is_str(res.diff_id, want, "diff ID is the sha256 of the tar stream");
	is_int(res.size, 5 + strlen("/etc/passwd"), "size counts files and symlinks once");
	is_int(res.entries, ARRAY_SIZE(ents), "entries counted");
	struct stat a = st_of("t/a"), f = st_of("t/a/f"), h = st_of("t/a/h");
	ok(a.st_uid == 1234 && (a.st_mode & 07777) == 0750, "directory owner and mode kept");
	ok((f.st_mode & 07777) == 04755, "setuid mode kept");
	ok(f.st_ino == h.st_ino && f.st_nlink == 2, "hard link kept");
	_cleanup_free_ char *fp = str_printf("%s/t/a/f", base);
	char v[8] = "";
	ok(lgetxattr(fp, "user.k", v, sizeof(v)) == 1 && v[0] == 'v', "user xattr kept");
	ok(lgetxattr(fp, "trusted.overlay.redirect", v, sizeof(v)) < 0, "overlay xattr dropped");
	_cleanup_free_ char *lp = str_printf("%s/t/l", base);
	char target[64] = "";
	ok(readlink(lp, target, sizeof(target)) == 11 && !strncmp(target, "/etc/passwd", 11),
	   "symlink kept as is");
	struct stat g = st_of("t/a/gone");
	ok(S_ISCHR(g.st_mode) && g.st_rdev == makedev(0, 0), ".wh.gone became a 0/0 char device");
	ok(access(fp, F_OK) == 0 && st_of("t/a/.wh.gone").st_mode == 0, "no .wh. file left");
	_cleanup_free_ char *op = str_printf("%s/t/o", base);
	ok(lgetxattr(op, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y',
	   "opaque marker became trusted.overlay.opaque=y");
	ok(st_of("t/.wh..wh.plnk").st_mode == 0, "AUFS metadata skipped");
	ok(S_ISFIFO(st_of("t/p").st_mode), "fifo kept");
	struct stat d = st_of("t/dev");
	ok(S_ISCHR(d.st_mode) && d.st_rdev == makedev(1, 3), "device node kept");
	struct image_tar_result rz;
	ok(extract(tgz, "tz", &rz, &e) == 0, "gzipped archive extracts");
	is_str(rz.diff_id, want, "gzip: diff ID of the uncompressed stream");
}

/* Each bad archive is refused with ERR_INVALID and base/outside stays as it was. */
static void refused(const char *what, const struct tent *ents, size_t n, const char *msg)
{
	_cleanup_free_ char *tar = make_tar("bad.tar", ents, n, false);
	_cleanup_free_ char *outside = str_printf("%s/outside", base);
	int before = count_entries(outside);
	struct err e = ERR_INIT;
	struct image_tar_result res;
	int r = extract(tar, "t", &res, &e);
	ok(r < 0 && e.kind == ERR_INVALID, "%s: refused", what);
	if (!ok(strstr(e.msg, msg) != NULL, "%s: message names it", what))
		printf("#   got: %s\n", e.msg);
	struct stat st = st_of("outside/secret");
	ok(count_entries(outside) == before && st.st_nlink == 1 && st.st_size == 6,
	   "%s: nothing written outside", what);
	ok(count_entries(base) == 6, "%s: nothing next to the target", what);
}

static void test_refused(void)
{
	_cleanup_free_ char *outside = str_printf("%s/outside", base);
	_cleanup_free_ char *abs_outside = str_printf("%s/outside", base);
	const struct tent dotdot[] = {{"a", AE_IFDIR}, {"a/../../escape", AE_IFREG, "x"}};
	refused("'..'", dotdot, 2, "'..' refused");
	const struct tent absolute[] = {{"/abs", AE_IFREG, "x"}};
	refused("absolute name", absolute, 1, "absolute path refused");
	const struct tent symparent[] = {{"evil", AE_IFLNK, NULL, 0777, abs_outside},
					 {"evil/pwned", AE_IFREG, "x"}};
	refused("symlinked parent", symparent, 2, "evil/pwned");
	const struct tent relparent[] = {{"evil", AE_IFLNK, NULL, 0777, "../outside"},
					 {"evil/pwned", AE_IFREG, "x"}};
	refused("relative symlinked parent", relparent, 2, "evil/pwned");
	const struct tent hardout[] = {{"h", AE_IFREG, NULL, 0, "../outside/secret"}};
	refused("hard link out", hardout, 1, "'..' refused");
	const struct tent hardabs[] = {{"h", AE_IFREG, NULL, 0, abs_outside}};
	refused("absolute hard link", hardabs, 1, "absolute path refused");
	const struct tent hardsym[] = {{"evil", AE_IFLNK, NULL, 0777, abs_outside},
				       {"h", AE_IFREG, NULL, 0, "evil/secret"}};
	refused("hard link through a symlink", hardsym, 2, "'h'");
	const struct tent whsym[] = {{"evil", AE_IFLNK, NULL, 0777, abs_outside},
				     {"evil/.wh..wh..opq", AE_IFREG, ""}};
	refused("opaque marker under a symlink", whsym, 2, "not a directory");
}

static void test_garbage(void)
{
	struct err e = ERR_INIT;
	struct image_tar_result res;
	_cleanup_free_ char *junk = str_printf("%s/junk", base);
	fs_write_atomic(junk, "this is not a tar archive at all, just some text\n", 49, 0644, NULL);
	ok(extract(junk, "t", &res, &e) < 0 && e.kind == ERR_INVALID, "non-tar input refused");
	_cleanup_free_ char *empty = str_printf("%s/empty", base);
	fs_write_atomic(empty, "", 0, 0644, NULL);
	ok(extract(empty, "t", &res, &e) < 0 && e.kind == ERR_INVALID, "empty input refused");
	is_str(e.msg, "invalid tar archive: the archive is empty", "empty input message");
	const struct tent big[] = {{"f", AE_IFREG, "0123456789012345678901234567890123456789"}};
	_cleanup_free_ char *tar = make_tar("big.tar", big, 1, false);
	size_t len;
	_cleanup_free_ char *data = fs_read_file(tar, &len, NULL);
	fs_write_atomic(tar, data, 530, 0644, NULL);
	ok(extract(tar, "t", &res, &e) < 0 && e.kind == ERR_INVALID, "truncated tar refused");
	unlink(junk);
	unlink(empty);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (chroot, chown, mknod)\n");
		return 0;
	}
	strcpy(base, "/tmp/berth-tar-test.XXXXXX");
	if (!mkdtemp(base))
		return 1;
	_cleanup_free_ char *outside = str_printf("%s/outside", base);
	_cleanup_free_ char *secret = str_printf("%s/secret", outside);
	mkdir(outside, 0755);
	fs_write_atomic(secret, "secret", 6, 0644, NULL);
	test_good();
	/* base holds outside, t, tz, good.tar, good.tgz and then bad.tar */
	test_refused();
	test_garbage();
	fs_rm_rf(base, NULL);
	return tap_done();
}
