/* engine/swarm: single-node swarm mode: the cluster and its one node (the leading manager),
 * kept in root/swarm/state.json; swarm-scoped networks (overlay) in swarm_net.c. */
#ifndef BERTH_ENGINE_SWARM_H
#define BERTH_ENGINE_SWARM_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/err.h"

#define SWARM_ID_LEN 25 /* swarmkit's IDs: 128 random bits in base 36 */

/* Lock order: swarm->mu before the network store's mu. */
struct swarm {
	pthread_mutex_t mu;
	char *path; /* root/swarm/state.json */
	json_t *st; /* NULL while the node is in no swarm */
};

/* mu held: *st saved (atomically) and made the state; *st is taken then. */
int swarm_replace_locked(struct swarm *s, json_t **st, struct err *e);

int swarm_open(struct engine *eng, struct err *e);
void swarm_close(struct engine *eng);

/* POST /swarm/init: the new node's ID (503 when in a swarm already). */
char *engine_swarm_init(struct engine *eng, const json_t *body, struct err *e);
/* POST /swarm/leave: a manager leaves only with force; the swarm networks go. */
int engine_swarm_leave(struct engine *eng, bool force, struct err *e);
json_t *engine_swarm_inspect(struct engine *eng, struct err *e);
struct swarm_rotate {
	bool worker, manager, unlock_key;
};
/* POST /swarm/update: spec replaces the cluster's (zero values: the defaults). */
int engine_swarm_update(struct engine *eng, int64_t version, const json_t *spec,
			const struct swarm_rotate *rot, struct err *e);
json_t *engine_swarm_unlockkey(struct engine *eng, struct err *e);
/* POST /swarm/unlock: berth never locks (no state encrypted at rest): 409 / 503. */
int engine_swarm_unlock(struct engine *eng, struct err *e);

/* swarm_node.c: GET /nodes (filters: id, label, membership, name, node.label, role: an object
 * of arrays), /nodes/{id}; the Swarm part of /info; the Swarm header of /_ping. */
json_t *engine_swarm_nodes(struct engine *eng, const json_t *filters, struct err *e);
json_t *engine_swarm_node(struct engine *eng, const char *id, struct err *e);
json_t *engine_swarm_info(struct engine *eng);
/* POST /nodes/{id}/update: Labels, Name, Availability; the only node stays a manager. */
int engine_swarm_node_update(struct engine *eng, const char *id, int64_t version,
			     const json_t *spec, struct err *e);
/* DELETE /nodes/{id}: the only node is a manager in the raft cluster: refused (400). */
int engine_swarm_node_remove(struct engine *eng, const char *id, struct err *e);
const char *engine_swarm_status(struct engine *eng);

/* swarm.c helpers for swarm_node.c and swarm_net.c (s->mu held) */
int swarm_new_id(char out[SWARM_ID_LEN + 1], struct err *e);
struct swarm *swarm_of(struct engine *eng);
/* dockerd's 503 for cluster requests outside a swarm. */
int swarm_err_no_manager(struct err *e);

/* swarm_net.c */
/* Whether a POST /networks/create body is the swarm's (overlay, Scope swarm, Ingress). */
bool swarm_network_wanted(const json_t *body);
json_t *swarm_network_create(struct engine *eng, const json_t *body, struct err *e);
/* The ingress network of a new swarm (s->mu held). */
int swarm_network_ingress_locked(struct engine *eng, struct swarm *s, struct err *e);
/* Every swarm network, its containers disconnected first (s->mu held). */
int swarm_networks_remove_locked(struct engine *eng, struct err *e);
/* A container joins a swarm network only when it is attachable (at start or connect). */
int swarm_network_attach_check(const json_t *net, struct err *e);

#endif
