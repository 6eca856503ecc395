/* engine/volume_priv: the volume store's state, shared by volume.c (records) and
 * volume_use.c (users, option mounts, sizes). Not for use outside src/engine. */
#ifndef BERTH_ENGINE_VOLUME_PRIV_H
#define BERTH_ENGINE_VOLUME_PRIV_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#define VOLUME_NAME_FIRST "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define VOLUME_ANON_LABEL "com.docker.volume.anonymous"

struct volume_store {
	pthread_mutex_t mu;
	char *dir;    /* <root>/volumes */
	json_t *recs; /* name -> record {Name, Driver, CreatedAt, Labels, Options, Anonymous} */
	json_t *uses; /* name -> count of running users of an option-mounted volume */
};

/* Whether path is a mount point (its device differs from its parent's, or a bind). */
bool volume_mounted(const char *path);
int volume_cmp_names(const void *a, const void *b);

#endif
