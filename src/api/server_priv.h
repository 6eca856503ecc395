/* api/server_priv: the server object and the helpers of server.c, socket.c and
 * response.c. Not for use outside src/api. */
#ifndef BERTH_API_SERVER_PRIV_H
#define BERTH_API_SERVER_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

#include "engine/engine.h"
#include "util/err.h"

struct MHD_Daemon;
struct MHD_Response;

struct api_listener {
	char *path;
	int fd;
	struct MHD_Daemon *d;
};

struct api_server {
	struct engine *eng;
	struct api_listener *ls;
	size_t n;
	gid_t gid;
	bool debug_routes;
};

/* A listening Unix socket at path, mode 0660, group gid ((gid_t)-1: unchanged). A stale
 * socket file (nobody listening) is replaced; a live one is ERR_CONFLICT. */
int server_listen_unix(const char *path, gid_t gid, struct err *e);
/* The group sockets get: name, else "docker", else "berth"; (gid_t)-1 when none exists. */
gid_t server_socket_group(const char *name);
/* Api-Version, Docker-Experimental, Ostype, Server. */
void server_add_std_headers(struct MHD_Response *resp);

#endif
