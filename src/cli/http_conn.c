/* cli/http_conn: the wire side of the CLI's HTTP/1.1 client over the daemon's Unix socket:
 * dialing, a buffered reader, the reply head, and bodies by length, chunks or to EOF. */
#include "cli/http_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/str.h"

int http_dial(const char *sock, struct err *e)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(sock) >= sizeof(a.sun_path))
		return err_invalid(e, "socket path too long: %s", sock);
	strcpy(a.sun_path, sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(e, "socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int en = errno;
		close(fd);
		if (en == ENOENT || en == ECONNREFUSED)
			return err_set(e, ERR_UNAVAILABLE, en,
				       "Cannot connect to the berth daemon at unix://%s. Is the "
				       "berth daemon running?",
				       sock);
		return err_set(e, ERR_UNAVAILABLE, en, "error during connect to unix://%s: %s",
			       sock, strerror(en));
	}
	return fd;
}

void http_rd_init(struct http_rd *r, int fd)
{
	r->fd = fd;
	r->off = r->len = 0;
}

/* Makes at least one byte available; 0 at EOF, -1 on error. */
static ssize_t rd_fill(struct http_rd *r)
{
	if (r->off < r->len)
		return (ssize_t)(r->len - r->off);
	for (;;) {
		ssize_t n = read(r->fd, r->buf, sizeof(r->buf));
		if (n < 0 && errno == EINTR)
			continue;
		r->off = 0;
		r->len = n > 0 ? (size_t)n : 0;
		return n;
	}
}

/* One line without its CRLF into out (NUL-terminated, truncated at cap-1). */
static int rd_line(struct http_rd *r, char *out, size_t cap, struct err *e)
{
	size_t n = 0;
	for (;;) {
		if (rd_fill(r) <= 0)
			return err_set(e, ERR_UNAVAILABLE, 0, "the daemon closed the connection");
		char c = r->buf[r->off++];
		if (c == '\n')
			break;
		if (n + 1 < cap)
			out[n++] = c;
	}
	if (n && out[n - 1] == '\r')
		n--;
	out[n] = 0;
	return 0;
}

static void head_field(struct http_head *h, const char *line)
{
	const char *colon = strchr(line, ':');
	if (!colon)
		return;
	const char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t k = (size_t)(colon - line);
	if (k == 14 && !strncasecmp(line, "Content-Length", k))
		h->length = strtoll(v, NULL, 10);
	else if (k == 17 && !strncasecmp(line, "Transfer-Encoding", k))
		h->chunked = strcasestr(v, "chunked") != NULL;
	else if (k == 10 && !strncasecmp(line, "Connection", k))
		h->close = strcasestr(v, "close") != NULL;
	else if (k == 28 && !strncasecmp(line, "X-Docker-Container-Path-Stat", k))
		snprintf(h->path_stat, sizeof(h->path_stat), "%s", v);
}

int http_read_head(struct http_rd *r, struct http_head *h, struct err *e)
{
	char line[8192];
	do {
		*h = (struct http_head){.length = -1};
		if (rd_line(r, line, sizeof(line), e) < 0)
			return -1;
		if (sscanf(line, "HTTP/1.%*d %d", &h->status) != 1)
			return err_set(e, ERR_UNAVAILABLE, 0,
				       "malformed reply from the daemon: %.80s", line);
		for (;;) {
			if (rd_line(r, line, sizeof(line), e) < 0)
				return -1;
			if (!line[0])
				break;
			head_field(h, line);
		}
	} while (h->status >= 100 && h->status < 200 && h->status != 101);
	return 0;
}

/* Hands up to want bytes (or all to EOF when want < 0) to out. */
static int body_copy(struct http_rd *r, long long want, http_out_fn out, void *ud, struct err *e)
{
	while (want != 0) {
		ssize_t got = rd_fill(r);
		if (got < 0)
			return err_sys(e, "reading the reply");
		if (got == 0) {
			if (want < 0)
				return 0;
			return err_set(e, ERR_UNAVAILABLE, 0, "the daemon closed the connection");
		}
		size_t k = (size_t)got;
		if (want > 0 && (long long)k > want)
			k = (size_t)want;
		int rc = out(r->buf + r->off, k, ud);
		r->off += k;
		if (want > 0)
			want -= (long long)k;
		if (rc < 0)
			return 1;
	}
	return 0;
}

static int body_chunked(struct http_rd *r, http_out_fn out, void *ud, struct err *e)
{
	char line[256];
	for (;;) {
		if (rd_line(r, line, sizeof(line), e) < 0)
			return -1;
		char *end;
		long long size = strtoll(line, &end, 16);
		if (end == line || size < 0)
			return err_set(e, ERR_UNAVAILABLE, 0, "malformed chunk in the reply");
		if (size == 0)
			break;
		int rc = body_copy(r, size, out, ud, e);
		if (rc != 0)
			return rc;
		if (rd_line(r, line, sizeof(line), e) < 0)
			return -1;
	}
	/* trailers up to the blank line */
	do {
		if (rd_line(r, line, sizeof(line), e) < 0)
			return -1;
	} while (line[0]);
	return 0;
}

int http_read_body(struct http_rd *r, const struct http_head *h, bool head_only, http_out_fn out,
		   void *ud, struct err *e)
{
	if (head_only || h->status == 204 || h->status == 304)
		return 0;
	if (h->chunked)
		return body_chunked(r, out, ud, e);
	return body_copy(r, h->length, out, ud, e);
}
