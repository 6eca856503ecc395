/* engine/volume: the local volume store under <root>/volumes/<name>/ (_data and the record
 * volume.json) and what containers need of it: creation, use, option mounts, removal. */
#ifndef BERTH_ENGINE_VOLUME_H
#define BERTH_ENGINE_VOLUME_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

struct engine;
struct volume_store;

/* Loads every record under dir (leftovers of interrupted creations/removals removed). */
struct volume_store *volume_store_open(const char *dir, char ***warnings, struct err *e);
void volume_store_free(struct volume_store *vs);
/* After the containers are loaded: option mounts no running container uses are taken off. */
void volume_store_recover(struct engine *eng);

/* Docker's local volume name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
bool volume_name_valid(const char *name);
/* Checks a create request without changing anything (name, driver, options). */
int volume_check(const char *name, const char *driver, const json_t *opts, struct err *e);
/* Creates (or returns the existing) volume; *created tells which. Returns the API shape. */
json_t *volume_create(struct engine *eng, const char *name, const char *driver, const json_t *opts,
		      const json_t *labels, bool anonymous, bool *created, struct err *e);
/* The API shape ({CreatedAt, Driver, Labels, Mountpoint, Name, Options, Scope}). */
json_t *volume_get(struct engine *eng, const char *name, struct err *e);
/* Removes a volume no container uses (409 naming the users otherwise); force: absent is ok. */
int volume_remove(struct engine *eng, const char *name, bool force, struct err *e);
/* Anonymous volumes are removed with their container (rm -v, --rm) when unused. */
bool volume_is_anonymous(struct engine *eng, const char *name);
/* <root>/volumes/<name>/_data (malloc'd). */
char *volume_path(struct engine *eng, const char *name);
/* Names of every volume (sorted). */
char **volume_names(struct engine *eng);

/* Containers (full IDs) whose record mounts the volume; NULL when none. */
char **volume_users(struct engine *eng, const char *name);
/* Mounts a volume with type/device/o options at its first user (counted); no-op otherwise. */
int volume_use(struct engine *eng, const char *name, struct err *e);
/* Drops a use of container id (which is no user any more, whatever its state says); the
 * last one unmounts. */
void volume_unuse(struct engine *eng, const char *name, const char *id);
/* Copies the tree at src (the image's files at the mount path) into the volume directory dst
 * when dst is empty (volume_copy.c). */
int volume_copy_in(const char *src, const char *dst, struct err *e);
/* Bytes under the volume's _data (-1 when it cannot be read). */
long long volume_size(struct engine *eng, const char *name);

#endif
