/* image/archive_priv: the state of a docker load shared by its reader (archive_load.c: the
 * archive entries, layers extracted as they stream by) and its commit (archive_commit.c). */
#ifndef BERTH_IMAGE_ARCHIVE_PRIV_H
#define BERTH_IMAGE_ARCHIVE_PRIV_H

#include <pthread.h>

#include "image/archive.h"
#include "image/store_priv.h"

/* A small file of the archive kept in memory (manifest.json, configs, OCI manifests). */
struct ld_blob {
	char *path;
	char *data;
	size_t len;
};

/* A layer tar extracted into tmp/diff. */
struct ld_layer {
	char *path;
	char *tmp;
	struct image_tar_result res;
	char *split; /* tar-split, NULL when the stream can't be rebuilt */
	size_t split_len;
	char split_digest[IMAGE_DIGEST_LEN + 1];
	bool used;
	char chain[IMAGE_DIGEST_LEN + 1];
	bool failed; /* extraction refused it (err): fatal only if the manifest names it */
	struct err err;
};

/* A symlink or hard link of the archive: another name for a file. */
struct ld_alias {
	char *path, *target;
};

struct image_load {
	struct image_store *s;
	char *tmp; /* layers/.tmp-load-XXXXXX */
	int rfd, wfd;
	pthread_t worker;
	bool started;
	struct ld_blob *blobs;
	size_t n_blobs;
	size_t kept; /* bytes of the blobs */
	struct ld_layer **layers;
	size_t n_layers;
	struct ld_alias *aliases;
	size_t n_aliases;
	struct err err;
	int rc;
	bool unsafe;
	json_t *added; /* layers registered: see image_load_result.layers */
};

/* The file an archive path names (aliases followed): a blob or a layer (one is NULL). */
int load_lookup(struct image_load *ld, const char *path, struct ld_blob **blob,
		struct ld_layer **layer, struct err *e);
/* A kept file the manifest names as a layer (skopeo writes <digest>.tar): extracted now. */
struct ld_layer *load_layer_from_blob(struct image_load *ld, const struct ld_blob *b,
				      struct err *e);
/* After the archive was read: checks every image, then registers layers, configs, tags. */
int load_commit(struct image_load *ld, struct image_load_result *res, struct err *e);

#endif
