/* image/pull_priv: a pull's state shared by its manifest side (pull.c: resolution, commit) and
 * its layer side (pull_layer.c: parallel downloads streamed into extraction). */
#ifndef BERTH_IMAGE_PULL_PRIV_H
#define BERTH_IMAGE_PULL_PRIV_H

#include "image/archive.h"
#include "image/distribution.h"
#include "image/store_priv.h"

#define PULL_CONCURRENCY 3 /* dockerd's max-concurrent-downloads */

struct pull_layer {
	struct image_pull *p;
	char digest[IMAGE_DIGEST_LEN + 1]; /* the blob (compressed) */
	char diff_id[IMAGE_DIGEST_LEN + 1];
	char short_id[13];
	int64_t size;
	bool present; /* its chain is in the store already */
	char *dir;    /* <pull tmp>/<n>, holding diff/ and tar-split */
	struct image_tar_result res;
	int64_t start_ns, last_ns, done;
	int rc;
	struct err err;
};

struct image_pull {
	struct image_store *s;
	struct registry *reg;
	struct image_ref ref;
	char *tag_or_digest;		   /* what the pull asked for: "latest" or "sha256:..." */
	char digest[IMAGE_DIGEST_LEN + 1]; /* of the manifest (list) named: the RepoDigest */
	char id[IMAGE_DIGEST_LEN + 1];	   /* image ID = config digest */
	char *config;
	size_t config_len;
	struct pull_layer *layers;
	size_t n;
	char *tmp; /* layers/.tmp-pull-XXXXXX */
	image_progress_fn *progress;
	void *arg;
	bool no_status;
	int failed;  /* atomic: a layer failed, the others stop */
	size_t next; /* atomic: next layer for a worker */
};

/* Downloads and extracts every layer not present, PULL_CONCURRENCY at a time. */
int pull_layers(struct image_pull *p, struct err *e);
void pull_emit(struct image_pull *p, json_t *msg);

#endif
