/* engine/container_mounts: a container's mounts as dockerd registers them: the record's
 * Mounts (inspect shape) from VolumesFrom, Binds, Mounts and Config.Volumes, the volumes they
 * name, and what a start and a removal do with them. */
#ifndef BERTH_ENGINE_CONTAINER_MOUNTS_H
#define BERTH_ENGINE_CONTAINER_MOUNTS_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

struct engine;

/* The record's Mounts, every spec checked (400 naming it); nothing is created yet. cfg has
 * the image's config merged (its Volumes become anonymous volumes). */
json_t *container_mounts_plan(struct engine *eng, const json_t *cfg, const json_t *hc,
			      struct err *e);

/* What the parser needs of the world: where volumes live, and the Mounts of a container
 * named in VolumesFrom (a new reference; NULL and an error when there is none). */
struct mounts_src {
	const char *voldir;
	json_t *(*from)(void *arg, const char *name, struct err *e);
	void *arg;
};
/* Anonymous volume entries carry this until container_mounts_create made them. */
#define CONTAINER_MOUNT_ANON_KEY "_Anonymous"
/* container_mounts_plan's parser (container_mounts.c). */
json_t *container_mounts_parse(const struct mounts_src *ms, const json_t *cfg, const json_t *hc,
			       struct err *e);
/* The --mount entry (HostConfig.Mounts) whose Target is dest, or NULL. */
const json_t *container_mount_at(const json_t *hc, const char *dest);
/* Creates the volumes the plan names (missing named ones, the anonymous ones); *made gets
 * the names created, for container_mounts_undo when the container is not created after all. */
int container_mounts_create(struct engine *eng, const json_t *rec, char ***made, struct err *e);
void container_mounts_undo(struct engine *eng, char **made);

/* At start, with the root mounted under cdir (cdir/merged): missing bind sources made (as dockerd
 * does for -v), option volumes mounted, an empty volume filled with the image's files at its path.
 */
int container_volumes_setup(struct engine *eng, const json_t *rec, const char *cdir, struct err *e);
/* After the exit (or a failed start): option volumes unmounted when no longer used. */
void container_volumes_release(struct engine *eng, const json_t *rec);
/* The same without the volume mount/unmount events (docker cp on a stopped container). */
int container_volumes_setup_quiet(struct engine *eng, const json_t *rec, const char *cdir,
				  struct err *e);
void container_volumes_release_quiet(struct engine *eng, const json_t *rec);
/* After the removal: anonymous volumes removed when asked (rm -v, AutoRemove) and unused. */
void container_volumes_removed(struct engine *eng, const json_t *rec, bool anonymous);
/* Whether the volume mount at dest must not be filled from the image (nocopy). */
bool container_mount_nocopy(const json_t *hc, const char *dest);

#endif
