/* api/server_priv: the server object and the helpers of server.c, socket.c and
 * response.c. Not for use outside src/api. */
#ifndef BERTH_API_SERVER_PRIV_H
#define BERTH_API_SERVER_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine/engine.h"
#include "util/err.h"

struct MHD_Daemon;
struct MHD_Response;

struct api_listener {
	char *path; /* a Unix socket's path, or "tcp://host:port" */
	int fd;
	struct MHD_Daemon *d;
	bool tcp;	    /* TLS connections, accepted by our thread, handed to d */
	bool accepting;	    /* acceptor runs */
	pthread_t acceptor; /* tcp only */
};

struct api_server {
	struct engine *eng;
	struct api_listener *ls;
	size_t n;
	gid_t gid;
	bool debug_routes;
	struct server_tls *tls; /* made only when a tcp:// host is there */
};

/* A listening Unix socket at path, mode 0660, group gid ((gid_t)-1: unchanged). A stale
 * socket file (nobody listening) is replaced; a live one is ERR_CONFLICT. */
int server_listen_unix(const char *path, gid_t gid, struct err *e);
/* The group sockets get: name, else "docker", else "berth"; (gid_t)-1 when none exists. */
gid_t server_socket_group(const char *name);
/* "host:port" of a tcp:// host (the part after "tcp://"), as dockerd reads it: "[v6]:port",
 * no host means 127.0.0.1, no port 2376; no path. Allocated host and port. */
int server_parse_tcp(const char *spec, char **host, char **port, struct err *e);
/* A listening TCP socket on spec (as server_parse_tcp). */
int server_listen_tcp(const char *spec, struct err *e);

/* TLS for tcp:// listeners (tls.c): credentials from the PEM files (the CA only with
 * verify), an accept thread per listener, a relay per connection. */
struct server_tls;
struct api_tls;
struct server_tls *server_tls_new(const struct api_tls *o, struct err *e);
int server_tls_accept_start(struct server_tls *t, struct api_listener *l, struct err *e);
/* No connection is handed to libmicrohttpd any more. */
void server_tls_quiesce(struct server_tls *t);
void server_tls_accept_stop(struct api_listener *l);
/* Ends the connections still relayed, waits for their threads, frees. */
void server_tls_free(struct server_tls *t);

/* Api-Version, Docker-Experimental, Ostype, Server. */
void server_add_std_headers(struct MHD_Response *resp);

#endif
