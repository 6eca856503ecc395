/* api/routes: the Engine API route table. Fixed names come before the greedy image-name
 * patterns; unknown paths or methods are 404 "page not found" (server.c). */
#include "api/http.h"
#include "api/networks.h"
#include "api/swarm.h"
#include "util/cleanup.h"

const struct api_route api_routes[] = {
    {"GET", "/_ping", api_ping, NULL},
    {"HEAD", "/_ping", api_ping, NULL},
    {"GET", "/version", api_version, NULL},
    {"GET", "/info", api_info, NULL},
    {"GET", "/events", api_events, NULL},
    {"GET", "/system/df", api_system_df, NULL},

    {"POST", "/containers/create", api_container_create, NULL},
    {"GET", "/containers/json", api_containers_list, NULL},
    {"POST", "/containers/prune", api_containers_prune, NULL},
    {"GET", "/containers/{id}/json", api_container_inspect, NULL},
    {"DELETE", "/containers/{id}", api_container_delete, NULL},
    {"DELETE", "/containers/{id}/{link}", api_container_link_delete, NULL},
    {"POST", "/containers/{id}/rename", api_container_rename, NULL},
    {"POST", "/containers/{id}/start", api_container_start, NULL},
    {"POST", "/containers/{id}/stop", api_container_stop, NULL},
    {"POST", "/containers/{id}/restart", api_container_restart, NULL},
    {"POST", "/containers/{id}/kill", api_container_kill, NULL},
    {"POST", "/containers/{id}/pause", api_container_pause, NULL},
    {"POST", "/containers/{id}/unpause", api_container_unpause, NULL},
    {"POST", "/containers/{id}/wait", api_container_wait, NULL},
    {"POST", "/containers/{id}/resize", api_container_resize, NULL},
    {"POST", "/containers/{id}/attach", api_container_attach, NULL},
    {"GET", "/containers/{id}/logs", api_container_logs, NULL},
    {"POST", "/containers/{id}/exec", api_exec_create, NULL},
    {"GET", "/containers/{id}/top", api_container_top, NULL},
    {"HEAD", "/containers/{id}/archive", api_container_archive_get, NULL},
    {"GET", "/containers/{id}/archive", api_container_archive_get, NULL},
    {"PUT", "/containers/{id}/archive", api_container_archive_put, &api_container_archive_put_body},
    {"GET", "/containers/{id}/changes", api_container_changes, NULL},
    {"POST", "/containers/{id}/update", api_container_update, NULL},
    {"GET", "/containers/{id}/stats", api_container_stats, NULL},
    {"GET", "/containers/{id}/export", api_container_export, NULL},
    {"POST", "/exec/{id}/start", api_exec_start, NULL},
    {"GET", "/exec/{id}/json", api_exec_inspect, NULL},
    {"POST", "/exec/{id}/resize", api_exec_resize, NULL},

    {"GET", "/images/json", api_images_list, NULL},
    {"POST", "/images/create", api_images_create, &api_images_create_body},
    {"GET", "/images/get", api_images_get, NULL},
    {"POST", "/images/load", api_images_load, &api_images_load_body},
    {"POST", "/images/prune", api_images_prune, NULL},
    {"POST", "/auth", api_auth, NULL},
    {"GET", "/distribution/{name*}/json", api_distribution_inspect, NULL},
    {"POST", "/commit", api_commit, NULL},
    {"POST", "/build", api_build, &api_build_body},
    {"POST", "/build/prune", api_build_prune, NULL},
    {"POST", "/images/{name*}/push", api_image_push, NULL},
    {"GET", "/images/{name*}/json", api_image_inspect, NULL},
    {"GET", "/images/{name*}/history", api_image_history, NULL},
    {"POST", "/images/{name*}/tag", api_image_tag, NULL},
    {"GET", "/images/{name*}/get", api_image_get, NULL},
    {"DELETE", "/images/{name*}", api_image_delete, NULL},

    {"GET", "/volumes", api_volumes_list, NULL},
    {"POST", "/volumes/create", api_volume_create, NULL},
    {"POST", "/volumes/prune", api_volumes_prune, NULL},
    {"GET", "/volumes/{name}", api_volume_inspect, NULL},
    {"DELETE", "/volumes/{name}", api_volume_delete, NULL},

    {"GET", "/networks", api_networks_list, NULL},
    {"POST", "/networks/create", api_network_create, NULL},
    {"POST", "/networks/prune", api_networks_prune, NULL},
    {"GET", "/networks/{id}", api_network_inspect, NULL},
    {"DELETE", "/networks/{id}", api_network_delete, NULL},
    {"POST", "/networks/{id}/connect", api_network_connect, NULL},
    {"POST", "/networks/{id}/disconnect", api_network_disconnect, NULL},
    {"POST", "/swarm/init", api_swarm_init, NULL},
    {"POST", "/swarm/join", api_swarm_join, NULL},
    {"POST", "/swarm/leave", api_swarm_leave, NULL},
    {"POST", "/swarm/update", api_swarm_update, NULL},
    {"POST", "/swarm/unlock", api_swarm_unlock, NULL},
    {"GET", "/swarm/unlockkey", api_swarm_unlockkey, NULL},
    {"GET", "/swarm", api_swarm_inspect, NULL},
    {"GET", "/nodes", api_nodes_list, NULL},
    {"GET", "/nodes/{id}", api_node_inspect, NULL},
    {"POST", "/nodes/{id}/update", api_node_update, NULL},
    {"DELETE", "/nodes/{id}", api_node_delete, NULL},

    /* berth's own: the store's consistency (berth system check) */
    {"GET", "/system/check", api_system_check, NULL},

    /* test-only (daemon --debug): a hijacked echo session */
    {"POST", "/_berth/echo", api_debug_echo, NULL},
};

const size_t api_routes_count = ARRAY_SIZE(api_routes);
