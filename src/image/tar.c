/* image/tar: the extraction pipeline: fd -> decompression (libarchive "raw" reader with
 * filters, hashed for the diff ID) -> tar reader -> archive_write_disk inside a chroot. */
#include "image/tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/tar_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

#define READ_BLOCK (128 * 1024)

static ssize_t fd_read(void *arg, const void **buf)
{
	struct tar_ctx *x = arg;
	for (;;) {
		ssize_t n = read(x->fd, x->buf, READ_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		*buf = x->buf;
		return n;
	}
}

static la_ssize_t src_read(struct archive *a, void *cls, const void **buf)
{
	struct tar_ctx *x = cls;
	ssize_t n = x->read(x->read_arg, buf);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	x->res->input += (uint64_t)n;
	return n;
}

/* The tar reader pulls decompressed blocks from the outer reader; each is hashed once. */
static la_ssize_t inner_read(struct archive *a, void *cls, const void **buf)
{
	struct tar_ctx *x = cls;
	size_t size = 0;
	la_int64_t off;
	int r = archive_read_data_block(x->outer, buf, &size, &off);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN) {
		archive_set_error(a, archive_errno(x->outer), "%s", archive_error_string(x->outer));
		return -1;
	}
	if (x->hashing < 0)
		x->hashing = !(x->skip_hash && __atomic_load_n(x->skip_hash, __ATOMIC_ACQUIRE));
	if (x->hashing)
		image_sha256_update(&x->hash, *buf, size);
	return (la_ssize_t)size;
}

static int open_outer(struct tar_ctx *x, struct err *e)
{
	if (!x->outer || !x->in || !x->out)
		return err_set(e, ERR_INTERNAL, ENOMEM, "archive_read_new");
	archive_read_support_filter_gzip(x->outer);
	archive_read_support_filter_bzip2(x->outer);
	archive_read_support_filter_xz(x->outer);
	archive_read_support_filter_zstd(x->outer);
	archive_read_support_format_raw(x->outer);
	struct archive_entry *ent;
	if (archive_read_open(x->outer, x, NULL, src_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(x->outer, &ent) != ARCHIVE_OK) {
		if (x->res->input == 0)
			return err_invalid(e, "invalid tar archive: the archive is empty");
		return err_invalid(e, "invalid tar archive: %s", archive_error_string(x->outer));
	}
	return 0;
}

static int open_inner(struct tar_ctx *x, struct err *e)
{
	archive_read_support_format_tar(x->in);
	if (archive_read_open(x->in, x, NULL, inner_read, NULL) != ARCHIVE_OK)
		return err_invalid(e, "invalid tar archive: %s", archive_error_string(x->in));
	/* No user/group lookup: numeric IDs from the headers, as Docker does. */
	archive_write_disk_set_options(
	    x->out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
			ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	return 0;
}

/* Reads whatever follows the end-of-archive blocks, so that the diff ID covers the whole
 * uncompressed stream as Docker's does. */
static int drain(struct tar_ctx *x, struct err *e)
{
	const void *buf;
	for (;;) {
		la_ssize_t n = inner_read(x->in, x, &buf);
		if (n == 0)
			return 0;
		if (n < 0)
			return err_invalid(e, "invalid tar archive: %s",
					   archive_error_string(x->in));
	}
}

static int extract_stream(struct tar_ctx *x, struct err *e)
{
	if (open_outer(x, e) < 0 || open_inner(x, e) < 0)
		return -1;
	for (;;) {
		struct archive_entry *ent;
		int r = archive_read_next_header(x->in, &ent);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return err_invalid(e, "invalid tar archive: %s",
					   archive_error_string(x->in));
		x->res->entries++;
		if (tar_extract_entry(x, ent, e) < 0)
			return -1;
	}
	if (x->res->entries == 0)
		return err_invalid(e, "invalid tar archive: no entries");
	if (archive_write_close(x->out) != ARCHIVE_OK)
		return err_set(e, ERR_INTERNAL, archive_errno(x->out), "extract: %s",
			       archive_error_string(x->out));
	return drain(x, e);
}

static void *extract_thread(void *arg)
{
	struct tar_ctx *x = arg;
	/* Pathnames pass through unchanged (UTF-8 in, UTF-8 out) whatever the daemon's locale. */
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (loc)
		uselocale(loc);
	/* Made before the chroot: nothing of libarchive's may need the host's files after it
	 * (a library loaded on first use, say). */
	x->outer = archive_read_new();
	x->in = archive_read_new();
	x->out = archive_write_disk_new();
	/* A private cwd, root and umask for this thread only; the chroot makes writes outside
	 * the target impossible whatever libarchive or the archive does. */
	if (unshare(CLONE_FS) < 0)
		x->rc = err_sys(x->e, "unshare(CLONE_FS)");
	else if (chroot(x->dir) < 0 || chdir("/") < 0)
		x->rc = err_sys(x->e, "chroot %s", x->dir);
	else {
		umask(022);
		x->rc = extract_stream(x, x->e);
	}
	if (loc) {
		uselocale(LC_GLOBAL_LOCALE);
		freelocale(loc);
	}
	return NULL;
}

bool image_tar_compressed(const void *data, size_t n)
{
	static const unsigned char magic[][6] = {
	    {0x1f, 0x8b}, {'B', 'Z', 'h'}, {0xfd, '7', 'z', 'X', 'Z', 0}, {0x28, 0xb5, 0x2f, 0xfd}};
	static const size_t mlen[] = {2, 3, 6, 4};
	for (size_t i = 0; i < ARRAY_SIZE(mlen); i++)
		if (n >= mlen[i] && !memcmp(data, magic[i], mlen[i]))
			return true;
	return false;
}

static int extract(struct tar_ctx *x, struct err *e)
{
	memset(x->res, 0, sizeof(*x->res));
	if (image_sha256_init(&x->hash, e) < 0)
		return -1;
	pthread_t t;
	int r = pthread_create(&t, NULL, extract_thread, x);
	if (r != 0)
		err_errno(e, r, "start extraction thread");
	else
		pthread_join(t, NULL);
	if (r == 0 && x->rc == 0 && x->hashing != 0)
		image_sha256_final(&x->hash, x->res->diff_id);
	if (x->out)
		archive_write_free(x->out);
	if (x->in)
		archive_read_free(x->in);
	if (x->outer)
		archive_read_free(x->outer);
	image_sha256_release(&x->hash);
	return r == 0 ? x->rc : -1;
}

int image_tar_extract(int fd, const char *dir, struct image_tar_result *res, struct err *e)
{
	struct tar_ctx x = {.fd = fd, .dir = dir, .res = res, .e = e, .rc = -1, .hashing = -1};
	x.read = fd_read;
	x.read_arg = &x;
	x.buf = xmalloc(READ_BLOCK);
	int r = extract(&x, e);
	free(x.buf);
	return r;
}

int image_tar_extract_from(image_tar_read_fn *fn, void *arg, const char *dir, const bool *skip_hash,
			   struct image_tar_result *res, struct err *e)
{
	struct tar_ctx x = {.read = fn,
			    .read_arg = arg,
			    .fd = -1,
			    .dir = dir,
			    .res = res,
			    .e = e,
			    .rc = -1,
			    .hashing = -1};
	x.skip_hash = skip_hash;
	return extract(&x, e);
}
