/* cli/http_conn: HTTP/1.1 on the wire for the CLI (a Unix socket to the daemon): dial,
 * buffered reads, reply heads, and bodies by Content-Length, chunked or to EOF. */
#ifndef BERTH_CLI_HTTP_CONN_H
#define BERTH_CLI_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct http_rd {
	int fd;
	size_t off, len;
	char buf[65536];
};

struct http_head {
	int status;
	long long length; /* -1: none given */
	bool chunked;
	bool close;	      /* Connection: close */
	char path_stat[1024]; /* X-Docker-Container-Path-Stat (base64 JSON), "" if none */
};

/* Gets each piece of a body; returns 0 to go on, -1 to stop reading. */
typedef int (*http_out_fn)(const char *buf, size_t n, void *ud);

/* A connected socket (O_CLOEXEC); an absent or refusing socket is "Cannot connect". */
int http_dial(const char *sock, struct err *e);

void http_rd_init(struct http_rd *r, int fd);
/* The head of the final reply (1xx interim replies skipped, 101 kept). */
int http_read_head(struct http_rd *r, struct http_head *h, struct err *e);
/* The body to out: 0 read whole, 1 stopped by out (the connection is then unusable). */
int http_read_body(struct http_rd *r, const struct http_head *h, bool head_only, http_out_fn out,
		   void *ud, struct err *e);

#endif
