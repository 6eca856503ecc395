/* api: the Docker Engine API server: libmicrohttpd on Unix sockets and TLS over TCP, one
 * thread per connection (waits, streams and hijacked sessions hold connections for long). */
#ifndef BERTH_API_API_H
#define BERTH_API_API_H

#include "engine/engine.h"
#include "util/err.h"

#define API_MAX_VERSION_STR "1.45"
#define API_MIN_VERSION_STR "1.24"

struct api_server;

/* TLS of tcp:// hosts (PEM files). */
struct api_tls {
	const char *ca, *cert, *key;
	bool verify; /* a client certificate signed by ca is required */
};

struct api_options {
	char *const *hosts; /* "unix:///path", "tcp://host:port" (repeatable), NULL-terminated */
	const char *group;  /* socket group; NULL: "docker", else "berth", else root's */
	bool debug_routes;  /* also serve /_berth/... test routes */
	const struct api_tls *tls; /* required by tcp:// hosts */
};

/* Loads the TLS files as a tcp:// host will (errors name the flag and file). */
int api_tls_check(const struct api_tls *t, struct err *e);
/* Binds every host (refusing one another live daemon listens on), then serves. */
struct api_server *api_server_start(struct engine *eng, const struct api_options *o, struct err *e);
/* Stops accepting, closes idle connections, waits for running requests (call
 * engine_shutdown first so that streams end), removes the socket files. */
void api_server_stop(struct api_server *srv);

#endif
