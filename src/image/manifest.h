/* image/manifest: registry manifests as a pull reads them (untrusted input): a manifest list
 * or OCI index narrowed to linux/<arch>, or an image manifest (Docker schema 2, OCI) with its
 * config and layer descriptors checked (digests, media types, sizes). */
#ifndef BERTH_IMAGE_MANIFEST_H
#define BERTH_IMAGE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/digest.h"
#include "util/err.h"

struct image_manifest_layer {
	char digest[IMAGE_DIGEST_LEN + 1];
	int64_t size; /* -1 when the descriptor has none */
};

struct image_manifest {
	bool index;			     /* a list/index: child names the image manifest */
	char child[IMAGE_DIGEST_LEN + 1];    /* index: the linux/<arch> entry */
	char config[IMAGE_DIGEST_LEN + 1];   /* image: the config blob */
	struct image_manifest_layer *layers; /* image: bottom first */
	size_t n;
};

/* Parses bytes served with media_type (may be NULL: the document's mediaType or its shape
 * decide). An index picks linux/arch (ERR_NOT_FOUND "no matching manifest for linux/amd64 in
 * the manifest list entries"); schema 1 and unknown types are ERR_INVALID; so are layers that
 * are foreign, of an unknown media type or without a sha256 digest. */
int image_manifest_parse(const char *data, size_t len, const char *media_type, const char *arch,
			 struct image_manifest *m, struct err *e);
void image_manifest_release(struct image_manifest *m);

#endif
