/* image/tar_priv: state shared by the extraction pipeline (tar.c) and the per-entry
 * handling (tar_entry.c). Not for use outside src/image/tar*.c. */
#ifndef BERTH_IMAGE_TAR_PRIV_H
#define BERTH_IMAGE_TAR_PRIV_H

#include <archive.h>
#include <stdbool.h>
#include <archive_entry.h>

#include "image/digest.h"
#include "image/tar.h"

struct tar_ctx {
	image_tar_read_fn *read; /* the source: an fd (fd_read, through buf) or the caller's */
	void *read_arg;
	int fd;
	const char *dir;
	char *buf;
	struct archive *outer; /* fd -> decompressed bytes */
	struct archive *in;    /* decompressed bytes -> tar entries */
	struct archive *out;   /* entries -> files (cwd and root are the target) */
	struct image_sha256 hash;
	const bool *skip_hash; /* the caller hashes the stream (read at the first bytes) */
	int hashing;	       /* -1 undecided, 0 no, 1 yes */
	struct image_tar_result *res;
	struct err *e;
	int rc;
};

/* Sanitises one entry (names, whiteouts, xattrs) and writes it with its data. */
int tar_extract_entry(struct tar_ctx *x, struct archive_entry *ent, struct err *e);

#endif
