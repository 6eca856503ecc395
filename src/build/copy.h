/* build/copy: the tar COPY and ADD build for the step's container (copy_tar.c), and the
 * pieces of copy.c that the sources need. */
#ifndef BERTH_BUILD_COPY_H
#define BERTH_BUILD_COPY_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/err.h"

struct archive;

struct copy_tar {
	int fd; /* an anonymous file under the build's directory */
	struct archive *a;
	EVP_MD_CTX *md; /* names, modes, sizes and contents: the cache checksum */
	bool chown;	/* --chown: every entry gets uid:gid */
	uid_t uid;
	gid_t gid;
	json_t *links; /* "dev:ino" -> entry name of files with several links */
};
int copy_tar_open(struct copy_tar *t, const char *dir, struct err *e);
/* Ends the tar (rewound for reading) and gives the checksum. */
int copy_tar_close(struct copy_tar *t, char hex[65], struct err *e);
void copy_tar_release(struct copy_tar *t);
/* path (a file, link or directory with its contents) as entry name. */
int copy_tar_add_path(struct copy_tar *t, const char *path, const char *name, struct err *e);
/* The entries of the tar (compressed or not) in fd whose names are from or under it, renamed
 * to to (from "": all of them, under to). probe: 1 (nothing written) when fd holds no tar. */
int copy_tar_add_archive(struct copy_tar *t, int fd, const char *from, const char *to, bool probe,
			 struct err *e);
/* A directory entry (0755, root) named name. */
int copy_tar_add_dir(struct copy_tar *t, const char *name, struct err *e);

#endif
