/* cli/http: the CLI's requests to the daemon: one HTTP/1.1 exchange per connection on its
 * Unix socket (no keep-alive to get wrong; a local connect costs microseconds), error
 * replies become struct err. No libcurl: the CLI binary stays small and starts fast. */
#include "cli/http.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/http_conn.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(const char *s, size_t n, void *ud)
{
	struct buf *b = ud;
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int cli_http_init(struct cli_http *h, const char *sock, struct err *e)
{
	h->sock = str_dup(sock);
	h->fd = -1;
	return 0;
}

void cli_http_release(struct cli_http *h)
{
	free(h->sock);
	h->sock = NULL;
}

void cli_resp_release(struct cli_resp *r)
{
	free(r->body);
	free(r->path_stat);
	r->path_stat = NULL;
	r->body = NULL;
	r->len = 0;
}

char *cli_http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = 0;
	return out;
}

void cli_http_query_add(FILE *f, const char *key, const char *value)
{
	if (!value)
		return;
	_cleanup_free_ char *v = cli_http_escape(value);
	fprintf(f, "&%s=%s", key, v);
}

void cli_http_query_add_all(FILE *f, const char *key, char **values)
{
	for (; values && *values; values++)
		cli_http_query_add(f, key, *values);
}

void cli_http_abort(struct cli_http *h)
{
	int fd = __atomic_load_n(&h->fd, __ATOMIC_SEQ_CST);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

static enum err_kind kind_of(long status)
{
	switch (status) {
	case 400:
		return ERR_INVALID;
	case 403:
		return ERR_FORBIDDEN;
	case 404:
		return ERR_NOT_FOUND;
	case 409:
		return ERR_CONFLICT;
	case 503:
		return ERR_UNAVAILABLE;
	default:
		return ERR_INTERNAL;
	}
}

/* The daemon's {"message":...} (or the raw body) as the error. */
static int daemon_error(long status, const char *body, size_t len, struct err *e)
{
	_cleanup_json_ json_t *j = len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
	if (msg)
		return err_set(e, kind_of(status), 0, "Error response from daemon: %s", msg);
	if (len)
		return err_set(e, kind_of(status), 0, "Error response from daemon: %.*s", (int)len,
			       body);
	return err_set(e, kind_of(status), 0, "Error response from daemon: request returned %ld",
		       status);
}

/* Standard base64 (or URL-safe) to a NUL-terminated string; stops at the first bad byte. */
static char *b64_decode_str(const char *s)
{
	static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc(strlen(s) / 4 * 3 + 4), *o = out;
	unsigned v = 0;
	int bits = 0;
	for (; *s && *s != '='; s++) {
		const char *p = strchr(A, *s == '-' ? '+' : *s == '_' ? '/' : *s);
		if (!p)
			break;
		v = v << 6 | (unsigned)(p - A);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)(v >> bits & 0xff);
		}
	}
	*o = 0;
	return out;
}

struct xfer {
	const char *method, *path, *body, *ctype;
	cli_source_fn source;
	void *src_ud;
	cli_sink_fn sink;
	void *ud;
};

/* The body from x->source in chunks; a daemon that stopped reading (it replied early with
 * an error) ends the upload quietly: its reply says why. */
static int send_source(int fd, struct xfer *x, struct err *e)
{
	_cleanup_free_ char *buf = xmalloc(65536 + 32);
	for (;;) {
		long n = x->source(buf + 16, 65536, x->src_ud);
		if (n < 0)
			return err_set(e, ERR_INVALID, 0, "reading the request body failed");
		int k = snprintf(buf, 16, "%lx\r\n", (unsigned long)n);
		memmove(buf + 16 - k, buf, (size_t)k);
		/* after the data; after the last (empty) chunk it is the closing blank line */
		memcpy(buf + 16 + n, "\r\n", 2);
		if (fs_send_all(fd, buf + 16 - k, (size_t)k + (size_t)n + 2) < 0 || n == 0)
			return 0;
	}
}

static int send_request(int fd, const char *extra, struct xfer *x, struct err *e)
{
	size_t blen = x->body ? strlen(x->body) : 0;
	_cleanup_free_ char *len = x->body
				       ? str_printf("Content-Length: %zu\r\n", blen)
				       : str_dup(x->source ? "Transfer-Encoding: chunked\r\n" : "");
	_cleanup_free_ char *ct =
	    x->body || x->source
		? str_printf("Content-Type: %s\r\n", x->ctype ? x->ctype : "application/json")
		: str_dup("");
	_cleanup_free_ char *head = str_printf("%s /v" CLI_API_VERSION "%s HTTP/1.1\r\n"
					       "Host: localhost\r\nUser-Agent: berth-cli\r\n"
					       "Connection: close\r\n%s%s%s\r\n",
					       x->method, x->path, ct, len, extra ? extra : "");
	if (fs_send_all(fd, head, strlen(head)) < 0)
		return err_sys(e, "sending %s %s", x->method, x->path);
	if (x->body && blen && fs_send_all(fd, x->body, blen) < 0)
		return err_sys(e, "sending %s %s", x->method, x->path);
	if (x->source)
		return send_source(fd, x, e);
	return 0;
}

/* One exchange: the reply body goes to the sink (2xx with a sink) or into r. */
static int exchange(struct cli_http *h, struct xfer *x, struct cli_resp *r, struct err *e)
{
	_cleanup_close_ int fd = http_dial(h->sock, e);
	if (fd < 0)
		return -1;
	__atomic_store_n(&h->fd, fd, __ATOMIC_SEQ_CST);
	_cleanup_free_ struct http_rd *rd = xmalloc(sizeof(*rd));
	struct http_head hd;
	struct buf b = {0};
	http_rd_init(rd, fd);
	int rc = send_request(fd, h->headers, x, e);
	if (rc == 0)
		rc = http_read_head(rd, &hd, e);
	if (rc == 0) {
		r->status = hd.status;
		if (hd.path_stat[0])
			r->path_stat = b64_decode_str(hd.path_stat);
		bool to_sink = x->sink && hd.status >= 200 && hd.status < 300;
		if (to_sink && x->sink(NULL, 0, x->ud) < 0)
			rc = 1;
		if (rc == 0)
			rc = http_read_body(rd, &hd, !strcmp(x->method, "HEAD"),
					    to_sink ? x->sink : buf_add, to_sink ? x->ud : &b, e);
	}
	__atomic_store_n(&h->fd, -1, __ATOMIC_SEQ_CST);
	r->body = b.p ? b.p : str_dup("");
	r->len = b.len;
	if (rc < 0)
		return -1;
	if (r->status >= 400)
		return daemon_error(r->status, r->body, r->len, e);
	return 0;
}

int cli_http_do(struct cli_http *h, const char *method, const char *path, const char *body,
		struct cli_resp *r, struct err *e)
{
	struct xfer x = {.method = method, .path = path, .body = body};
	struct cli_resp tmp = {0};
	int rc = exchange(h, &x, r ? r : &tmp, e);
	cli_resp_release(&tmp);
	return rc;
}

int cli_http_json(struct cli_http *h, const char *method, const char *path, const json_t *body,
		  json_t **out, struct err *e)
{
	_cleanup_free_ char *b = body ? jx_dumps(body) : NULL;
	struct cli_resp r = {0};
	if (out)
		*out = NULL;
	if (cli_http_do(h, method, path, b, &r, e) < 0) {
		cli_resp_release(&r);
		return -1;
	}
	if (out && r.len) {
		*out = jx_loads(r.body, r.len, e);
		if (!*out) {
			cli_resp_release(&r);
			return err_wrap(e, "reply to %s %s", method, path);
		}
	}
	cli_resp_release(&r);
	return 0;
}

int cli_http_stream(struct cli_http *h, const char *method, const char *path, const char *ctype,
		    cli_source_fn source, void *src_ud, cli_sink_fn sink, void *ud, long *status,
		    struct err *e)
{
	struct xfer x = {.method = method,
			 .path = path,
			 .ctype = ctype,
			 .source = source,
			 .src_ud = src_ud,
			 .sink = sink,
			 .ud = ud};
	struct cli_resp r = {0};
	int rc = exchange(h, &x, &r, e);
	if (status)
		*status = r.status;
	cli_resp_release(&r);
	return rc;
}

bool cli_http_ping(const char *sock)
{
	struct cli_http h = {0};
	struct err e = ERR_INIT;
	if (cli_http_init(&h, sock, &e) < 0)
		return false;
	struct cli_resp r = {0};
	int rc = cli_http_do(&h, "GET", "/_ping", NULL, &r, &e);
	bool ok = rc == 0 && r.status == 200;
	cli_resp_release(&r);
	cli_http_release(&h);
	return ok;
}
