/* engine/network: the Engine API's networks: list, inspect, create, remove, prune, connect
 * and disconnect, over the engine's network store (netctl*.c). */
#ifndef BERTH_ENGINE_NETWORK_H
#define BERTH_ENGINE_NETWORK_H

#include <jansson.h>

#include "engine/engine.h"
#include "util/err.h"

/* Every network in inspect shape (Containers filled when verbose). */
json_t *engine_network_list(struct engine *eng);
/* By full name, full ID or unique ID prefix; 404 "network NAME not found". */
json_t *engine_network_inspect(struct engine *eng, const char *name, struct err *e);
/* body: the POST /networks/create body. Returns {"Id": ..., "Warning": ""}. */
json_t *engine_network_create(struct engine *eng, const json_t *body, struct err *e);
int engine_network_remove(struct engine *eng, const char *name, struct err *e);
/* Removes unused user networks whose record matches keep() (NULL: all); names removed. */
json_t *engine_network_prune(struct engine *eng, int (*keep)(const json_t *net, void *arg),
			     void *arg, struct err *e);
/* endpoint: EndpointConfig (Aliases, IPAMConfig.IPv4Address) or NULL. */
int engine_network_connect(struct engine *eng, const char *net, const char *container,
			   const json_t *endpoint, struct err *e);
/* Drops the legacy link alias of container (docker rm --link parent/alias). */
int engine_container_link_remove(struct engine *eng, const char *container, const char *alias,
				 struct err *e);
/* HostConfig.Links of an inspect copy in dockerd's "/target:/container/alias" form. */
void engine_container_links_public(struct engine *eng, json_t *rec);
/* Adds "_LinkNames" ("/container/alias" of each link to it) to the targets among recs (a
 * list copy): docker ps shows them among the target's Names. */
void engine_container_link_names(json_t *recs);
int engine_network_disconnect(struct engine *eng, const char *net, const char *container,
			      bool force, struct err *e);

#endif
