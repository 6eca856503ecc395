/* image/digest: sha256 digests ("sha256:<64 hex>") over buffers and streams (OpenSSL),
 * and OCI chain IDs of layer stacks. */
#ifndef BERTH_IMAGE_DIGEST_H
#define BERTH_IMAGE_DIGEST_H

#include <stddef.h>

#include "util/err.h"

#define IMAGE_DIGEST_LEN 71 /* "sha256:" + 64 hex */

struct image_sha256 {
	void *ctx; /* SHA256_CTX */
};

int image_sha256_init(struct image_sha256 *h, struct err *e);
void image_sha256_update(struct image_sha256 *h, const void *data, size_t len);
/* Writes "sha256:<hex>" to out; the context can't be updated afterwards. */
void image_sha256_final(struct image_sha256 *h, char out[IMAGE_DIGEST_LEN + 1]);
void image_sha256_release(struct image_sha256 *h);

void image_sha256_buf(const void *data, size_t len, char out[IMAGE_DIGEST_LEN + 1]);
/* ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
 * parent is NULL for the bottom layer. */
void image_chain_id(const char *parent, const char *diff_id, char out[IMAGE_DIGEST_LEN + 1]);
/* "sha256:<hex>" -> "<hex>" (pointer into s); s unchanged when there is no prefix. */
const char *image_digest_hex(const char *s);

#endif
