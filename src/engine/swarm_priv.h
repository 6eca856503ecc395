/* engine/swarm_priv: the swarm state's shape (swarm_state.c) shared by swarm.c,
 * swarm_node.c and swarm_net.c. */
#ifndef BERTH_ENGINE_SWARM_PRIV_H
#define BERTH_ENGINE_SWARM_PRIV_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

/* A new state from a POST /swarm/init body (addresses resolved, spec merged over the
 * defaults, IDs made; JoinTokens still empty). 400 for bad input. */
json_t *swarm_state_new(const json_t *body, struct err *e);
/* spec (Name "" or "default") over swarmkit's defaults: zero values keep the default. */
json_t *swarm_spec_merge(const json_t *spec, struct err *e);
/* GET /swarm's object (with JoinTokens) or /info's Cluster (without). */
json_t *swarm_cluster_json(const json_t *st, bool tokens);
/* "host" of AdvertiseAddr "host:port". malloc'd. */
char *swarm_advertise_host(const json_t *st);

#endif
