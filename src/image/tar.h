/* image/tar: safe extraction of layer tarballs (plain, gzip, bzip2, xz, zstd) with libarchive
 * into a directory, turning AUFS/OCI whiteouts into overlayfs whiteouts. */
#ifndef BERTH_IMAGE_TAR_H
#define BERTH_IMAGE_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "util/err.h"

struct image_tar_result {
	char
	    diff_id[IMAGE_DIGEST_LEN + 1]; /* sha256 of the uncompressed stream, trailer included */
	int64_t size;	  /* bytes of regular files and symlinks, each inode once (Docker's Size) */
	uint64_t entries; /* archive entries read */
	uint64_t input;	  /* bytes read from fd */
};

/* Reads an archive from fd until EOF and extracts it into dir (an existing directory).
 * The extraction runs in its own thread, chrooted into dir, with libarchive's secure flags:
 * names that are absolute or contain "..", writes through symlinks and hard links out of dir
 * are refused (ERR_INVALID naming the entry). Keeps ownership, modes (setuid), times, xattrs
 * (except trusted.overlay.*), hard links and device nodes. ".wh.NAME" becomes a 0/0 char
 * device NAME, ".wh..wh..opq" sets trusted.overlay.opaque=y on its directory.
 * On error dir holds a partial tree: the caller removes it. fd is read to EOF either way
 * when possible, so that a writer on the other end of a pipe never blocks. */
int image_tar_extract(int fd, const char *dir, struct image_tar_result *res, struct err *e);

/* A source of archive bytes: the next block in *buf (valid until the next call), 0 at the
 * end, -1 with errno set on error. */
typedef ssize_t image_tar_read_fn(void *arg, const void **buf);

/* The same, reading from fn; when *skip_hash is true by the time the first bytes arrive, the
 * stream is not hashed (res->diff_id stays empty): the caller hashes what it writes, on its
 * own thread. The source is not read to its end on error: its writer must learn of it. */
int image_tar_extract_from(image_tar_read_fn *fn, void *arg, const char *dir, const bool *skip_hash,
			   struct image_tar_result *res, struct err *e);
/* gzip, bzip2, xz or zstd magic at the start of data. */
bool image_tar_compressed(const void *data, size_t n);

/* The name checks alone (for tests and callers): "./a//b/" -> "a/b"; "" for the root;
 * NULL with ERR_INVALID for absolute names or ".." components. malloc'd. */
char *image_tar_clean_name(const char *name, struct err *e);

#endif
