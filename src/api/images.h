/* api/images: JSON shapes of images (images_json.c) for the image handlers (images.c). */
#ifndef BERTH_API_IMAGES_H
#define BERTH_API_IMAGES_H

#include <jansson.h>

#include "api/http.h"

/* RepoTags and RepoDigests (familiar forms) of an image, new arrays. */
void api_image_refs(struct api_req *req, const struct image *img, json_t **tags, json_t **digests);
json_t *api_image_inspect_json(struct api_req *req, const struct image *img);
/* A /images/json item; tags and digests are stolen. */
json_t *api_image_summary_json(struct api_req *req, const struct image *img, json_t *tags,
			       json_t *digests);
json_t *api_image_history_json(struct api_req *req, struct image *img);
/* Chain ID -> number of the images using it (new object); *total: every layer's size once. */
json_t *api_image_layer_refs(struct image **imgs, size_t n, int64_t *total);
/* SharedSize: the sizes of img's layers that other images use too. */
int64_t api_image_shared_size(const struct image *img, const json_t *refs);
/* POST /images/create?fromSrc=URL: fetches and imports with a progress stream; imp stolen. */
void api_images_import_url(struct api_req *req, struct engine_import *imp);

#endif
