/* engine/build: what the image builder (src/build) needs of the engine beyond containers:
 * a build step committed as an image (a container's changes or none), and the cache probe. */
#ifndef BERTH_ENGINE_BUILD_H
#define BERTH_ENGINE_BUILD_H

#include <jansson.h>

#include "engine/engine.h"
#include "util/err.h"

struct engine_build_commit {
	const char *container; /* its upper directory becomes the layer; NULL: no layer */
	const char *dir;       /* or this directory's files (no container) */
	const char *parent;    /* image ID; NULL: FROM scratch */
	const json_t *config;  /* the new image's Config */
	const json_t *cconfig; /* container_config: the step's run config (the cache key) */
	const char *author;    /* MAINTAINER, may be NULL */
};
/* A child image of parent (history: the cconfig's Cmd joined). Held image. */
struct image *engine_build_commit(struct engine *eng, const struct engine_build_commit *o,
				  struct err *e);
/* The legacy builder's cache: an image whose parent is parent (NULL: none) and whose
 * container_config equals cconfig. only (--cache-from; NULL: any image) restricts the
 * candidates to these images and their ancestors, and then, as dockerd's ImageCache, a
 * source whose history continues parent's with this step (pulled or loaded images have no
 * parent links) is reused: whole when it is the step's last, else that step restored as an
 * image of its own. Full ID (malloc'd) or NULL. */
char *engine_build_cache_find(struct engine *eng, const char *parent, const json_t *cconfig,
			      char *const *only);
#endif
