/* api/swarm: the single-node swarm endpoints: /swarm (init, join, leave, update, unlockkey,
 * unlock) and /nodes. */
#ifndef BERTH_API_SWARM_H
#define BERTH_API_SWARM_H

#include "api/http.h"

void api_swarm_init(struct api_req *req);
void api_swarm_join(struct api_req *req);
void api_swarm_leave(struct api_req *req);
void api_swarm_inspect(struct api_req *req);
void api_swarm_update(struct api_req *req);
void api_swarm_unlockkey(struct api_req *req);
void api_swarm_unlock(struct api_req *req);
void api_nodes_list(struct api_req *req);
void api_node_inspect(struct api_req *req);
void api_node_update(struct api_req *req);
void api_node_delete(struct api_req *req);

#endif
