/* cli/http: libcurl over a Unix socket; error replies become struct err. */
#include "cli/http.h"

#include <curl/curl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

int cli_http_init(struct cli_http *h, const char *sock, struct err *e)
{
	static bool global_done;
	if (!global_done) {
		curl_global_init(CURL_GLOBAL_NOTHING);
		global_done = true;
	}
	h->sock = str_dup(sock);
	h->fd = -1;
	h->curl = curl_easy_init();
	if (!h->curl)
		return err_set(e, ERR_INTERNAL, 0, "curl_easy_init failed");
	return 0;
}

void cli_http_release(struct cli_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
	free(h->sock);
	h->sock = NULL;
}

void cli_resp_release(struct cli_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

char *cli_http_escape(const char *s)
{
	char *q = curl_easy_escape(NULL, s, 0);
	char *out = str_dup(q ? q : "");
	curl_free(q);
	return out;
}

/* Remembers the socket curl opens, so another thread can end a blocked request. */
static int on_sockopt(void *ud, curl_socket_t fd, curlsocktype purpose)
{
	__atomic_store_n(&((struct cli_http *)ud)->fd, (int)fd, __ATOMIC_SEQ_CST);
	return CURL_SOCKOPT_OK;
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

static int conn_error(struct cli_http *h, CURLcode rc, struct err *e)
{
	if (rc == CURLE_COULDNT_CONNECT)
		return err_set(e, ERR_UNAVAILABLE, 0,
			       "Cannot connect to the berth daemon at unix://%s. Is the berth "
			       "daemon running?",
			       h->sock);
	return err_set(e, ERR_UNAVAILABLE, 0, "error during connect to unix://%s: %s", h->sock,
		       curl_easy_strerror(rc));
}

struct xfer {
	CURL *curl;
	struct buf body; /* error bodies, or the whole reply when no sink */
	cli_sink_fn sink;
	void *ud;
	cli_source_fn source;
	void *src_ud;
	bool stopped;
};

static bool xfer_ok(struct xfer *x)
{
	long st = 0;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &st);
	return st >= 200 && st < 400;
}

static size_t on_write(char *p, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;
	if (x->sink && xfer_ok(x)) {
		if (x->sink(p, sz * n, x->ud) < 0) {
			x->stopped = true;
			return 0;
		}
		return sz * n;
	}
	buf_add(&x->body, p, sz * n);
	return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;
	/* the blank line ending the head of a final (non-1xx) reply */
	if (x->sink && sz * n <= 2 && (p[0] == '\r' || p[0] == '\n') && xfer_ok(x))
		x->sink(NULL, 0, x->ud);
	return sz * n;
}

static size_t on_read(char *p, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;
	long got = x->source(p, sz * n, x->src_ud);
	return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static CURLcode perform(struct cli_http *h, struct xfer *x, const char *method, const char *path,
			const char *body, const char *ctype)
{
	CURL *c = h->curl;
	_cleanup_free_ char *url = str_printf("http://localhost/v" CLI_API_VERSION "%s", path);
	struct curl_slist *hdrs = NULL;
	_cleanup_free_ char *ct =
	    str_printf("Content-Type: %s", ctype ? ctype : "application/json");
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
	curl_easy_setopt(c, CURLOPT_SOCKOPTDATA, h);
	hdrs = curl_slist_append(hdrs, "User-Agent: berth-cli");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		hdrs = curl_slist_append(hdrs, ct);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (x->source) {
		hdrs = curl_slist_append(hdrs, ct);
		hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	return rc;
}

static int finish(struct cli_http *h, struct xfer *x, CURLcode rc, long *status, struct err *e)
{
	long st = 0;
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &st);
	if (status)
		*status = st;
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && x->stopped))
		return st ? err_set(e, ERR_UNAVAILABLE, 0, "error reading the reply: %s",
				    curl_easy_strerror(rc))
			  : conn_error(h, rc, e);
	if (st >= 400)
		return daemon_error(st, x->body.p, x->body.len, e);
	return 0;
}

int cli_http_do(struct cli_http *h, const char *method, const char *path, const char *body,
		struct cli_resp *r, struct err *e)
{
	struct xfer x = {.curl = h->curl};
	CURLcode rc = perform(h, &x, method, path, body, NULL);
	long st = 0;
	int ret = finish(h, &x, rc, &st, e);
	if (r) {
		r->status = st;
		r->body = x.body.p ? x.body.p : str_dup("");
		r->len = x.body.len;
	} else {
		free(x.body.p);
	}
	return ret;
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
	struct xfer x = {
	    .curl = h->curl, .sink = sink, .ud = ud, .source = source, .src_ud = src_ud};
	CURLcode rc = perform(h, &x, method, path, NULL, ctype);
	int ret = finish(h, &x, rc, status, e);
	free(x.body.p);
	return ret;
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
