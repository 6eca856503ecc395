/* engine/image_registry: pull, push and login for the API: arguments checked as dockerd does
 * (fromImage + tag or digest, X-Registry-Auth), the daemon's insecure registries, and the
 * pull/push image events. */
#ifndef BERTH_ENGINE_IMAGE_REGISTRY_H
#define BERTH_ENGINE_IMAGE_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "image/distribution.h"

struct engine_pull_opts {
	const char *image;    /* fromImage */
	const char *tag;      /* a tag or a digest; "" or NULL: latest */
	const char *platform; /* NULL, "linux" or "linux/<host arch>" */
	const char *auth;     /* X-Registry-Auth */
	image_progress_fn *progress;
	void *arg;
};
struct engine_pull;
/* Checks the reference (ERR_INVALID) and resolves the manifest: errors come before any
 * output (ERR_NOT_FOUND "manifest for x:1 not found: ..."). */
struct engine_pull *engine_image_pull_start(struct engine *eng, const struct engine_pull_opts *o,
					    struct err *e);
/* Downloads and registers the image; emits the pull event. Held image. */
struct image *engine_image_pull_run(struct engine_pull *ep, struct err *e);
void engine_image_pull_cancel(struct engine_pull *ep);
void engine_image_pull_free(struct engine_pull *ep);

struct engine_push_opts {
	const char *name; /* the image name from the path */
	const char *tag;  /* "" or NULL: every tag of the repository */
	const char *auth;
	image_progress_fn *progress;
	void *arg;
};
struct engine_push;
/* Checks the reference (ERR_INVALID); nothing sent yet. */
struct engine_push *engine_image_push_start(struct engine *eng, const struct engine_push_opts *o,
					    struct err *e);
/* Pushes with progress; errors are for the caller to put into the stream. Push events. */
int engine_image_push_run(struct engine_push *ep, struct err *e);
void engine_image_push_cancel(struct engine_push *ep);
void engine_image_push_free(struct engine_push *ep);

/* GET /distribution/{name}/json with X-Registry-Auth; ERR_INVALID for a bad reference. */
json_t *engine_distribution_inspect(struct engine *eng, const char *name, const char *auth,
				    struct err *e);

/* /info's RegistryConfig: insecure registries (CIDRs and names) and mirrors as dockerd's
 * ServiceConfig shows them. New reference. */
json_t *engine_registry_config(struct engine *eng);

/* POST /auth: body {username, password, serveraddress, ...}; *denied when the registry
 * refused the credentials (401 for the client). */
int engine_registry_login(struct engine *eng, const json_t *body, bool *denied, struct err *e);

#endif
