/* image/distribution: pull and push of images between the store and a registry (schema 2 and
 * OCI manifests, manifest lists and indexes), with dockerd's progress messages, and the
 * layer <-> blob digest records that let a push skip or mount layers a registry has. */
#ifndef BERTH_IMAGE_DISTRIBUTION_H
#define BERTH_IMAGE_DISTRIBUTION_H

#include <stdbool.h>

#include "image/image.h"
#include "image/progress.h"
#include "image/registry.h"

struct image_dist_opts {
	const struct image_ref *ref; /* pull: tag or digest set; push: tag optional (all tags) */
	const struct registry_auth *auth;
	char *const *insecure;
	image_progress_fn *progress;
	void *arg;
	bool no_status; /* pull: one tag of a pull -a (the final Status line is the caller's) */
	char *const *mirrors; /* pull of docker.io images: these registries (URLs) first */
};

/* Pull, in two steps: start resolves the manifest (and the config), so that an unknown image
 * fails before any output, as with dockerd (ERR_NOT_FOUND "manifest for x:1 not found: ...");
 * run downloads the missing layers in parallel, checks every digest, extracts, then registers
 * layers, image and references at once. A failure or a kill leaves no image and no layer. */
struct image_pull;
struct image_pull *image_pull_start(struct image_store *s, const struct image_dist_opts *o,
				    struct err *e);
/* Returns the held image; the last message says "Status: Downloaded newer image for ..." or
 * "Image is up to date" (unless no_status); *updated (optional) tells which. */
struct image *image_pull_run(struct image_pull *p, bool *updated, struct err *e);
/* The tags of a repository (pull -a), sorted as the registry lists them. */
char **image_pull_list_tags(const struct image_dist_opts *o, struct err *e);
/* Stops the transfers of a running pull (the client went away); thread-safe. */
void image_pull_cancel(struct image_pull *p);
void image_pull_free(struct image_pull *p);

/* Push of a tag (or every tag of the repository) with progress; errors after the first
 * message are for the caller to stream. *cancel (optional) is polled. Fills pushed (optional,
 * NULL-terminated "name:tag" strings) for events. */
struct image_push;
struct image_push *image_push_new(struct image_store *s, const struct image_dist_opts *o);
int image_push_run(struct image_push *p, char ***pushed, struct err *e);
void image_push_cancel(struct image_push *p);
void image_push_free(struct image_push *p);

/* GET /distribution/{name}/json: {"Descriptor": {mediaType, digest, size}, "Platforms": [...]}
 * of ref (tag or digest set), without pulling. */
json_t *image_distribution_inspect(const struct image_dist_opts *o, struct err *e);

/* Blob digests known for a layer: [{"digest", "repository": "domain/path", "size"}], new
 * reference. */
json_t *image_distmeta_get(struct image_store *s, const char *diff_id);
int image_distmeta_add(struct image_store *s, const char *diff_id, const char *digest,
		       const char *repository, int64_t size, struct err *e);

#endif
