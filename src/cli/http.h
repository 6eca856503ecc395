/* cli/http: the berth CLI's HTTP client over the daemon's Unix socket (cli/http_conn), versioned
 * paths (/v1.45), buffered and streamed replies, daemon errors as "Error response from daemon". */
#ifndef BERTH_CLI_HTTP_H
#define BERTH_CLI_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/err.h"

#define CLI_API_VERSION "1.45"

struct cli_http {
	char *sock; /* socket path */
	int fd;	    /* the current request's socket (-1 between requests), for cli_http_abort */
	const char *headers; /* extra request header lines ("Name: value\r\n"...), or NULL */
};

struct cli_resp {
	long status;
	char *path_stat; /* X-Docker-Container-Path-Stat, decoded JSON text (NULL if none) */
	char *body;	 /* NUL-terminated, malloc'd */
	size_t len;
};

/* Gets each piece of a streamed 2xx body; returns 0 to go on, -1 to stop. */
typedef int (*cli_sink_fn)(const char *buf, size_t n, void *ud);
/* Supplies a streamed request body: returns bytes put in buf, 0 at the end, -1 on error. */
typedef long (*cli_source_fn)(char *buf, size_t n, void *ud);

int cli_http_init(struct cli_http *h, const char *sock, struct err *e);
/* Ends a request blocked on h from another thread (its socket shut down). */
void cli_http_abort(struct cli_http *h);
void cli_http_release(struct cli_http *h);
void cli_resp_release(struct cli_resp *r);

/* One request; path without the version prefix ("/containers/json?all=1"). body may be
 * NULL. A reply >= 400 is an error whose message is "Error response from daemon: <msg>"
 * and whose kind follows the status. r (optional) gets status and body either way. */
int cli_http_do(struct cli_http *h, const char *method, const char *path, const char *body,
		struct cli_resp *r, struct err *e);
/* As cli_http_do with a JSON body and a JSON reply (*out NULL for an empty body). */
int cli_http_json(struct cli_http *h, const char *method, const char *path, const json_t *body,
		  json_t **out, struct err *e);
/* A streamed reply (logs, events, pull...) handed to sink (first called with buf NULL once
 * the headers of a 2xx reply are in: a held wait is then registered); a streamed request body from
 * source when given (sent chunked). *status (optional) gets the HTTP status. */
int cli_http_stream(struct cli_http *h, const char *method, const char *path, const char *ctype,
		    cli_source_fn source, void *src_ud, cli_sink_fn sink, void *ud, long *status,
		    struct err *e);
/* Whether a daemon answers /_ping on sock within one short try. */
bool cli_http_ping(const char *sock);
/* A query value percent-encoded (malloc'd). */
char *cli_http_escape(const char *s);
/* Appends "&key=value" (value percent-encoded) to a query being written to f: nothing when
 * value is NULL; _all: one for each of values. */
void cli_http_query_add(FILE *f, const char *key, const char *value);
void cli_http_query_add_all(FILE *f, const char *key, char **values);

#endif
