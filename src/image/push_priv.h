/* image/push_priv: a push's state shared by push.c (tags, config, manifest) and push_layer.c
 * (each layer skipped, mounted or compressed and uploaded, in parallel). */
#ifndef BERTH_IMAGE_PUSH_PRIV_H
#define BERTH_IMAGE_PUSH_PRIV_H

#include "image/archive.h"
#include "image/distribution.h"
#include "image/store_priv.h"

#define PUSH_CONCURRENCY 3

struct push_layer {
	struct image_push *p;
	char diff_id[IMAGE_DIGEST_LEN + 1];
	char chain[IMAGE_DIGEST_LEN + 1];
	char short_id[13];
	char digest[IMAGE_DIGEST_LEN + 1]; /* the blob as the registry has it */
	int64_t size;			   /* of the blob */
	int64_t tar_size;		   /* of the layer tar (dockerd's progress unit) */
	int64_t start_ns, last_ns;
	int rc;
	struct err err;
};

struct image_push {
	struct image_store *s;
	struct image_ref ref;
	const struct registry_auth *auth;
	char *const *insecure;
	image_progress_fn *progress;
	void *arg;
	struct registry *reg;
	char *repo; /* "domain/path", as distmeta records it */
	char *tmp;  /* layers/.tmp-push-XXXXXX: compressed layers */
	int cancelled;
	struct push_layer *layers;
	size_t n;
	size_t next;
	int failed;
};

/* Pushes every layer of img (bottom up, PUSH_CONCURRENCY at a time); fills digests/sizes. */
int push_layers(struct image_push *p, const struct image *img, struct err *e);
void push_emit(struct image_push *p, json_t *msg);

#endif
