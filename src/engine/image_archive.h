/* engine/image_archive: docker save/load and image prune for the API, with their image
 * events (save, load, untag, delete); the archive formats live in image/archive. */
#ifndef BERTH_ENGINE_IMAGE_ARCHIVE_H
#define BERTH_ENGINE_IMAGE_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "image/archive.h"

/* GET /images/get: names resolved now (404 before any byte is sent), written later. */
struct image_save *engine_image_save_prepare(struct engine *eng, char *const *names, struct err *e);
/* Writes the archive to fd (a pipe to the client) and emits the save events. */
int engine_image_save_write(struct engine *eng, struct image_save *sv, int fd, struct err *e);

/* POST /images/load: start, image_load_write the body, finish (load events), free. */
struct image_load *engine_image_load_start(struct engine *eng, struct err *e);
int engine_image_load_finish(struct engine *eng, struct image_load *ld,
			     struct image_load_result *res, struct err *e);

/* POST /images/prune: dangling_only (the default) prunes untagged heads, else every image no
 * container uses; match (filters: until, label) may be NULL. Removal failures (conflicts) are
 * skipped as dockerd does. reclaimed = sizes of the layers removed. */
typedef bool engine_image_match_fn(const struct image *img, void *arg);
int engine_image_prune(struct engine *eng, bool dangling_only, engine_image_match_fn *match,
		       void *arg, struct image_rm_result *res, int64_t *reclaimed, struct err *e);

#endif
