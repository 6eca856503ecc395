/* image/digest: sha256 via OpenSSL's SHA256_* functions: the same code as EVP's, without
 * OpenSSL 3's provider and configuration loading, which costs a daemon that only checks its
 * images at start 2 MiB of RSS for good. */
/* deprecated in OpenSSL 3.0, not removed: */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "image/digest.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

static void to_hex(const unsigned char *md, unsigned n, char out[IMAGE_DIGEST_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < n && i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[IMAGE_DIGEST_LEN] = '\0';
}

int image_sha256_init(struct image_sha256 *h, struct err *e)
{
	SHA256_CTX *ctx = malloc(sizeof(*ctx));
	if (!ctx || SHA256_Init(ctx) != 1) {
		free(ctx);
		h->ctx = NULL;
		return err_set(e, ERR_INTERNAL, 0, "sha256: cannot initialise digest");
	}
	h->ctx = ctx;
	return 0;
}

void image_sha256_update(struct image_sha256 *h, const void *data, size_t len)
{
	if (SHA256_Update(h->ctx, data, len) != 1)
		abort();
}

void image_sha256_final(struct image_sha256 *h, char out[IMAGE_DIGEST_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	if (SHA256_Final(md, h->ctx) != 1)
		abort();
	to_hex(md, sizeof(md), out);
}

void image_sha256_release(struct image_sha256 *h)
{
	if (h && h->ctx) {
		free(h->ctx);
		h->ctx = NULL;
	}
}

void image_sha256_buf(const void *data, size_t len, char out[IMAGE_DIGEST_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_CTX c;
	/* not SHA256(): OpenSSL 3 makes it an EVP call */
	if (SHA256_Init(&c) != 1 || SHA256_Update(&c, data, len) != 1 || SHA256_Final(md, &c) != 1)
		abort();
	to_hex(md, sizeof(md), out);
}

void image_chain_id(const char *parent, const char *diff_id, char out[IMAGE_DIGEST_LEN + 1])
{
	if (!parent) {
		snprintf(out, IMAGE_DIGEST_LEN + 1, "%s", diff_id);
		return;
	}
	char *s = str_printf("%s %s", parent, diff_id);
	image_sha256_buf(s, strlen(s), out);
	free(s);
}

const char *image_digest_hex(const char *s)
{
	return strncmp(s, "sha256:", 7) == 0 ? s + 7 : s;
}
