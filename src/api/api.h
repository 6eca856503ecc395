/* api: the Docker Engine API server: libmicrohttpd on Unix sockets, one thread per
 * connection (waits, streams and hijacked sessions hold connections for long). */
#ifndef BERTH_API_API_H
#define BERTH_API_API_H

#include "engine/engine.h"
#include "util/err.h"

#define API_MAX_VERSION_STR "1.45"
#define API_MIN_VERSION_STR "1.24"

struct api_server;

struct api_options {
	char *const *hosts; /* "unix:///path" (repeatable), NULL-terminated */
	const char *group;  /* socket group; NULL: "docker", else "berth", else root's */
	bool debug_routes;  /* also serve /_berth/... test routes */
};

/* Binds every host (refusing one another live daemon listens on), then serves. */
struct api_server *api_server_start(struct engine *eng, const struct api_options *o, struct err *e);
/* Stops accepting, closes idle connections, waits for running requests (call
 * engine_shutdown first so that streams end), removes the socket files. */
void api_server_stop(struct api_server *srv);

#endif
