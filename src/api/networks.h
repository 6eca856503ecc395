/* api/networks: the /networks endpoints (list with filters, inspect, create, remove,
 * prune, connect, disconnect). */
#ifndef BERTH_API_NETWORKS_H
#define BERTH_API_NETWORKS_H

#include "api/http.h"

void api_networks_list(struct api_req *req);
void api_network_inspect(struct api_req *req);
void api_network_create(struct api_req *req);
void api_network_delete(struct api_req *req);
void api_networks_prune(struct api_req *req);
void api_network_connect(struct api_req *req);
void api_network_disconnect(struct api_req *req);
/* DELETE /containers/{id}/{link}?link=1: drops a legacy link of a container. */
void api_container_link_delete(struct api_req *req);

#endif
