/* engine/image_priv: helpers the image files of the engine share (image.c, image_commit.c).
 * Not for use outside src/engine. */
#ifndef BERTH_ENGINE_IMAGE_PRIV_H
#define BERTH_ENGINE_IMAGE_PRIV_H

#include <stdbool.h>

#include "engine/engine_priv.h"

/* repo ("busybox", "spyimg:1") plus an optional tag -> a tagged reference; digests refused
 * (tagging: "refusing to create a tag with a digest reference", else import's text). */
int engine_image_repo_ref(const char *repo, const char *tag, struct image_ref *ref, bool tagging,
			  struct err *e);
/* The Config of a committed image (dockerfile.BuildFromConfig + moby's merge): body (a Config,
 * or NULL/null for the container's), changes applied, merged with the container's cconf.
 * ERR_INVALID for a bad body or change. New reference. */
json_t *engine_commit_config(const json_t *body, char *const *changes, const json_t *cconf,
			     struct err *e);
/* Tags img_id as ref and publishes the tag event; the familiar reference (malloc'd). */
char *engine_image_tag_id(struct engine *eng, const char *img_id, const struct image_ref *ref,
			  struct err *e);
/* What commit leaves out of a container's upper directory: the runtime's mount points and
 * empty /etc files (dockerd's init layer). NULL-terminated, relative paths. */
char **engine_commit_skip(const char *upper);
/* A history entry's created_by: the container config's Cmd words joined by spaces. */
char *engine_commit_created_by(const json_t *cconf);

#endif
