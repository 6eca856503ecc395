/* api/routes: the Engine API route table. Fixed names come before the greedy image-name
 * patterns; unknown paths or methods are 404 "page not found" (server.c). */
#include "api/http.h"
#include "util/cleanup.h"

const struct api_route api_routes[] = {
    {"GET", "/_ping", api_ping, NULL},
    {"HEAD", "/_ping", api_ping, NULL},
    {"GET", "/version", api_version, NULL},
    {"GET", "/info", api_info, NULL},
    {"GET", "/events", api_events, NULL},

    {"GET", "/images/json", api_images_list, NULL},
    {"POST", "/images/create", api_images_create, &api_images_create_body},
    {"GET", "/images/{name*}/json", api_image_inspect, NULL},
    {"GET", "/images/{name*}/history", api_image_history, NULL},
    {"POST", "/images/{name*}/tag", api_image_tag, NULL},
    {"DELETE", "/images/{name*}", api_image_delete, NULL},

    /* test-only (daemon --debug): a hijacked echo session */
    {"POST", "/_berth/echo", api_debug_echo, NULL},
};

const size_t api_routes_count = ARRAY_SIZE(api_routes);
