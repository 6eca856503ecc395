/* engine_priv: the engine's state, shared by its files (engine.c, events.c, sysinfo.c,
 * image.c). Not for use outside src/engine. */
#ifndef BERTH_ENGINE_PRIV_H
#define BERTH_ENGINE_PRIV_H

#include <pthread.h>

#include "engine/engine.h"
#include "util/idmap.h"

#define EVENTS_RING 1024

struct engine {
	char *root, *run_dir;
	bool debug;
	char id[40];
	int lock_fd;
	struct image_store *images;
	struct container_store *containers; /* container_store.c */
	struct volume_store *volumes;	    /* volume.c */
	char *bridge, *bip;		    /* default network: host bridge, --bip */
	char **insecure_registries;	    /* --insecure-registry */
	char **registry_mirrors;	    /* --registry-mirror */
	struct netctl *net;		    /* networks (netctl.c) */
	struct swarm *swarm;		    /* swarm mode (swarm.c) */
	const struct engine_userns *userns; /* --userns-remap (userns.c), NULL: off */
	int userns_fd;			    /* its user namespace (idmapped mounts) */
	char *userns_layers;		    /* the idmapped view of image/layers */
	struct idmap_pair userns_ids[2];    /* tar owners: [0] to container ids, [1] to host */

	pthread_mutex_t ev_mu;
	pthread_cond_t ev_cond;
	struct engine_event ring[EVENTS_RING]; /* seq n lives at ring[n % EVENTS_RING] */
	uint64_t ev_seq;		       /* last published */
	int ev_listeners;
	bool closing;
};

void events_init(struct engine *eng);
void events_release(struct engine *eng);

#endif
