/* Unit tests for src/image/tarsplit and layer_tar: a layer tar recorded while it is extracted
 * is rebuilt byte for byte from the extracted files (pax and GNU long names, links, whiteouts,
 * trailing bytes), streams that can't be rebuilt are recognised, a changed or symlinked file
 * is refused at replay, and the canonical writer turns overlay whiteouts back into .wh. files.
 * Needs root (extraction chroots). */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/tar.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

static char base[64];

struct buf {
	char *data;
	size_t len;
};

static int buf_sink(void *arg, const void *data, size_t len, struct err *e)
{
	struct buf *b = arg;
	b->data = xrealloc(b->data, b->len + len + 1);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

static la_ssize_t mem_write(struct archive *a, void *cls, const void *data, size_t len)
{
	buf_sink(cls, data, len, NULL);
	return (la_ssize_t)len;
}

static void entry(struct archive *a, const char *name, unsigned type, const char *data,
		  const char *link)
{
	struct archive_entry *ent = archive_entry_new();
	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, type);
	archive_entry_set_perm(ent, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_mtime(ent, 1000000000, 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(ent, link);
	else if (link)
		archive_entry_set_hardlink(ent, link);
	size_t len = data && !link ? strlen(data) : 0;
	archive_entry_set_size(ent, (la_int64_t)len);
	archive_write_header(a, ent);
	if (len)
		archive_write_data(a, data, len);
	archive_entry_free(ent);
}

/* A layer tar in the given libarchive format, with long names, links and whiteouts. */
static struct buf sample_tar(int format, bool duplicate)
{
	struct buf b = {0};
	struct archive *a = archive_write_new();
	archive_write_set_format(a, format);
	archive_write_open(a, &b, NULL, mem_write, NULL);
	char longname[300];
	memset(longname, 'n', sizeof(longname));
	strcpy(longname + 150, "/file-with-a-long-name");
	entry(a, "d/", AE_IFDIR, NULL, NULL);
	entry(a, "d/file", AE_IFREG, "contents of a file\n", NULL);
	entry(a, "d/hard", AE_IFREG, NULL, "d/file");
	entry(a, "d/sym", AE_IFLNK, NULL, "file");
	entry(a, "d/.wh.gone", AE_IFREG, "", NULL);
	entry(a, "o/.wh..wh..opq", AE_IFREG, "", NULL);
	entry(a, longname, AE_IFREG, "long", NULL);
	if (duplicate)
		entry(a, "d/file", AE_IFREG, "again", NULL);
	archive_write_close(a);
	archive_write_free(a);
	return b;
}

/* Extracts b into a fresh dir while recording its split. */
static char *record(const struct buf *b, const char *dir, size_t *len, char *digest,
		    struct image_tar_result *res)
{
	fs_rm_rf(dir, NULL);
	mkdir(dir, 0755);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	struct image_tarsplit *t = image_tarsplit_new();
	image_tarsplit_feed(t, b->data, b->len / 2);
	image_tarsplit_feed(t, b->data + b->len / 2, b->len - b->len / 2);
	if (write(p[1], b->data, b->len) != (ssize_t)b->len)
		return NULL;
	close(p[1]);
	struct err e = ERR_INIT;
	int r = image_tar_extract(p[0], dir, res, &e);
	close(p[0]);
	char *split = r == 0 ? image_tarsplit_finish(t, len, digest) : NULL;
	image_tarsplit_free(t);
	return split;
}

static void test_roundtrip(const char *what, int format)
{
	struct buf b = sample_tar(format, false);
	_cleanup_free_ char *dir = str_printf("%s/rt", base);
	size_t len = 0;
	char digest[IMAGE_DIGEST_LEN + 1] = "";
	struct image_tar_result res;
	_cleanup_free_ char *split = record(&b, dir, &len, digest, &res);
	ok(split != NULL, "%s: split recorded", what);
	is_str(digest, res.diff_id, "%s: split digest is the diff ID", what);
	int64_t size = -1;
	struct err e = ERR_INIT;
	image_tarsplit_size(split, len, &size, &e);
	is_int(size, b.len, "%s: rebuilt size", what);
	struct buf out = {0};
	int r = image_tarsplit_replay(split, len, dir, buf_sink, &out, &e);
	ok(r == 0 && out.len == b.len && !memcmp(out.data, b.data, b.len),
	   "%s: rebuilt byte for byte (%s)", what, e.msg);
	ok(len < b.len / 2, "%s: split (%zu bytes) smaller than the tar (%zu)", what, len, b.len);
	free(out.data);
	free(b.data);
}

static void test_not_rebuildable(void)
{
	struct buf b = sample_tar(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, true);
	_cleanup_free_ char *dir = str_printf("%s/dup", base);
	size_t len;
	char digest[IMAGE_DIGEST_LEN + 1];
	struct image_tar_result res;
	_cleanup_free_ char *split = record(&b, dir, &len, digest, &res);
	ok(split == NULL, "a file written twice: no split");
	free(b.data);
	struct image_tarsplit *t = image_tarsplit_new();
	image_tarsplit_feed(t, "not a tar at all", 16);
	char *s = image_tarsplit_finish(t, &len, digest);
	ok(s == NULL, "not a tar: no split");
	image_tarsplit_free(t);
}

/* A gzipped layer: the split is of the uncompressed tar, its digest the diff ID. */
static void test_compressed(void)
{
	struct buf plain = sample_tar(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false);
	struct buf gz = {0};
	struct archive *a = archive_write_new();
	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_open(a, &gz, NULL, mem_write, NULL);
	struct archive_entry *ent = archive_entry_new();
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_write_header(a, ent);
	archive_write_data(a, plain.data, plain.len);
	archive_entry_free(ent);
	archive_write_close(a);
	archive_write_free(a);
	_cleanup_free_ char *dir = str_printf("%s/gz", base);
	size_t len = 0;
	char digest[IMAGE_DIGEST_LEN + 1] = "";
	struct image_tar_result res;
	_cleanup_free_ char *split = record(&gz, dir, &len, digest, &res);
	ok(gz.len > 2 && split != NULL, "gzip: split recorded");
	is_str(digest, res.diff_id, "gzip: split digest is the diff ID");
	struct buf out = {0};
	struct err e = ERR_INIT;
	ok(split && image_tarsplit_replay(split, len, dir, buf_sink, &out, &e) == 0 &&
	       out.len == plain.len && !memcmp(out.data, plain.data, plain.len),
	   "gzip: the uncompressed tar rebuilt byte for byte");
	free(out.data);
	free(gz.data);
	free(plain.data);
}

static void test_replay_refusals(void)
{
	struct buf b = sample_tar(ARCHIVE_FORMAT_TAR_GNUTAR, false);
	_cleanup_free_ char *dir = str_printf("%s/chg", base);
	size_t len;
	char digest[IMAGE_DIGEST_LEN + 1];
	struct image_tar_result res;
	_cleanup_free_ char *split = record(&b, dir, &len, digest, &res);
	_cleanup_free_ char *f = str_printf("%s/d/file", dir);
	fs_write_atomic(f, "changed!", 8, 0644, NULL);
	struct buf out = {0};
	struct err e = ERR_INIT;
	ok(image_tarsplit_replay(split, len, dir, buf_sink, &out, &e) < 0 &&
	       strstr(e.msg, "changed since it was stored"),
	   "a changed file is refused: %s", e.msg);
	free(out.data);
	out = (struct buf){0};
	_cleanup_free_ char *d = str_printf("%s/d", dir);
	_cleanup_free_ char *moved = str_printf("%s/elsewhere", dir);
	rename(d, moved);
	if (symlink("elsewhere", d) < 0)
		return;
	err_clear(&e);
	ok(image_tarsplit_replay(split, len, dir, buf_sink, &out, &e) < 0,
	   "a symlink on the way is not followed: %s", e.msg);
	free(out.data);
	free(b.data);
}

static void test_canonical(void)
{
	_cleanup_free_ char *dir = str_printf("%s/canon", base);
	_cleanup_free_ char *sub = str_printf("%s/o", dir);
	_cleanup_free_ char *wh = str_printf("%s/gone", dir);
	_cleanup_free_ char *f = str_printf("%s/o/f", dir);
	_cleanup_free_ char *h = str_printf("%s/o/h", dir);
	mkdir(dir, 0755);
	mkdir(sub, 0755);
	mknod(wh, S_IFCHR, makedev(0, 0));
	setxattr(sub, "trusted.overlay.opaque", "y", 1, 0);
	fs_write_atomic(f, "data", 4, 0644, NULL);
	if (link(f, h) < 0)
		return;
	struct buf out = {0};
	struct err e = ERR_INIT;
	ok(image_layer_tar_write(dir, buf_sink, &out, &e) == 0, "canonical tar written");
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_open_memory(a, out.data, out.len);
	struct archive_entry *ent;
	_cleanup_free_ char *names = str_dup("");
	while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
		char *n =
		    str_printf("%s%s%s%s,", names, archive_entry_pathname(ent),
			       archive_entry_hardlink(ent) ? "=>" : "",
			       archive_entry_hardlink(ent) ? archive_entry_hardlink(ent) : "");
		free(names);
		names = n;
	}
	archive_read_free(a);
	is_str(names, ".wh.gone,o/,o/.wh..wh..opq,o/f,o/h=>o/f,",
	       "whiteout, opaque marker, sorted names, hard link");
	struct buf again = {0};
	image_layer_tar_write(dir, buf_sink, &again, &e);
	ok(again.len == out.len && !memcmp(again.data, out.data, out.len),
	   "the canonical tar is the same every time");
	free(again.data);
	free(out.data);
}

/* A raw ustar header block (name, type, size) with its checksum. */
static void raw_header(unsigned char *b, const char *name, char type, size_t size)
{
	memset(b, 0, 512);
	memcpy(b, name, strlen(name));
	snprintf((char *)b + 100, 8, "%07o", 0644);
	snprintf((char *)b + 124, 12, "%011o", (unsigned)(size & 07777777));
	b[156] = (unsigned char)type;
	memcpy(b + 257,
	       "ustar\0"
	       "00",
	       8);
	memset(b + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < 512; i++)
		sum += b[i];
	snprintf((char *)b + 148, 8, "%06o", sum);
}

/* Malformed pax records and absurd sizes: no split, no crash (found by tarsplit_fuzz). */
static void test_malformed_headers(void)
{
	static const char *const records[] = {"1 path=x\n", "0 \n", "99 path=x\n", "x"};
	for (size_t i = 0; i < ARRAY_SIZE(records); i++) {
		unsigned char tar[2048] = {0};
		size_t n = strlen(records[i]);
		raw_header(tar, "pax", 'x', n);
		memcpy(tar + 512, records[i], n);
		raw_header(tar + 1024, "f", '0', 0);
		struct image_tarsplit *t = image_tarsplit_new();
		image_tarsplit_feed(t, tar, sizeof(tar));
		size_t len;
		char digest[IMAGE_DIGEST_LEN + 1];
		_cleanup_free_ char *split = image_tarsplit_finish(t, &len, digest);
		image_tarsplit_free(t);
		ok(1, "malformed pax record %zu survived (split %s)", i,
		   split ? "kept" : "dropped");
	}
	unsigned char big[512];
	raw_header(big, "L", 'L', 0);
	memset(big + 124, 0, 12);
	big[124] = 0x80; /* base-256: 2^88 bytes of long name */
	big[135] = 1;
	memset(big + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < 512; i++)
		sum += big[i];
	snprintf((char *)big + 148, 8, "%06o", sum);
	struct image_tarsplit *t = image_tarsplit_new();
	image_tarsplit_feed(t, big, sizeof(big));
	size_t len;
	char digest[IMAGE_DIGEST_LEN + 1];
	char *split = image_tarsplit_finish(t, &len, digest);
	ok(split == NULL, "a huge GNU long name is refused, not allocated");
	free(split);
	image_tarsplit_free(t);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (chroot, mknod, trusted xattrs)\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	strcpy(base, "/tmp/berth-archive-test.XXXXXX");
	if (!mkdtemp(base))
		return 1;
	test_roundtrip("pax", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	test_roundtrip("gnu", ARCHIVE_FORMAT_TAR_GNUTAR);
	test_roundtrip("ustar", ARCHIVE_FORMAT_TAR_USTAR);
	test_not_rebuildable();
	test_compressed();
	test_malformed_headers();
	test_replay_refusals();
	test_canonical();
	fs_rm_rf(base, NULL);
	return tap_done();
}
