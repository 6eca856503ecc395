/* api/response: building replies: JSON documents and errors the way dockerd writes them
 * (trailing newline, exact Content-Type), chunked streams, and 101 upgrades for hijacking. */
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/http.h"
#include "api/server_priv.h"
#include "util/log.h"
#include "util/str.h"

void server_add_std_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Api-Version", API_MAX_VERSION_STR);
	MHD_add_response_header(resp, "Docker-Experimental", "false");
	MHD_add_response_header(resp, "Ostype", "linux");
	MHD_add_response_header(resp, "Server", "Berth/" BERTH_VERSION " (linux)");
}

static void set_resp(struct api_req *req, unsigned status, struct MHD_Response *resp)
{
	if (!resp)
		abort(); /* out of memory */
	if (req->resp)
		MHD_destroy_response(req->resp);
	req->resp = resp;
	req->status = status;
}

static void reply_buffer(struct api_req *req, unsigned status, const char *type, char *data,
			 size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, data, data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (type)
		MHD_add_response_header(r, "Content-Type", type);
	set_resp(req, status, r);
}

void api_reply_json(struct api_req *req, unsigned status, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (!s)
		abort();
	char *t = str_printf("%s\n", s);
	free(s);
	reply_buffer(req, status, "application/json", t, strlen(t));
}

void api_reply_error(struct api_req *req, const struct err *e)
{
	unsigned status = (unsigned)err_http_status(e);
	if (status == 304) {
		api_reply_empty(req, 304);
		return;
	}
	if (status >= 500)
		log_error("%s %s: %s", req->method, req->path, e->msg);
	api_reply_json(req, status, json_pack("{s:s}", "message", e->msg));
}

void api_reply_message(struct api_req *req, unsigned status, const char *fmt, ...)
{
	struct err e = ERR_INIT;
	va_list ap;
	va_start(ap, fmt);
	err_vset(&e, ERR_INTERNAL, 0, fmt, ap);
	va_end(ap);
	api_reply_json(req, status, json_pack("{s:s}", "message", e.msg));
}

void api_reply_empty(struct api_req *req, unsigned status)
{
	reply_buffer(req, status, NULL, NULL, 0);
}

void api_reply_result(struct api_req *req, int r, const struct err *e, unsigned ok)
{
	if (r < 0)
		api_reply_error(req, e);
	else
		api_reply_empty(req, ok);
}

void api_reply_result_json(struct api_req *req, json_t *j, const struct err *e, unsigned ok)
{
	if (!j)
		api_reply_error(req, e);
	else
		api_reply_json(req, ok, j);
}

void api_reply_text(struct api_req *req, unsigned status, const char *type, const char *text)
{
	reply_buffer(req, status, type, str_dup(text), strlen(text));
}

struct stream {
	api_stream_fn *fn;
	void *arg;
	void (*free_arg)(void *);
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	ssize_t n = st->fn(st->arg, buf, max);
	if (n == API_STREAM_END)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;
	if (st->free_arg)
		st->free_arg(st->arg);
	free(st);
}

void api_reply_stream(struct api_req *req, unsigned status, const char *type, api_stream_fn *fn,
		      void *arg, void (*free_arg)(void *))
{
	struct stream *st = xcalloc(1, sizeof(*st));
	*st = (struct stream){fn, arg, free_arg};
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
								   stream_read, st, stream_free);
	if (type)
		MHD_add_response_header(r, "Content-Type", type);
	set_resp(req, status, r);
}

struct chunks {
	char *data;
	size_t len, off;
};

static ssize_t chunks_read(void *arg, char *buf, size_t max)
{
	struct chunks *c = arg;
	if (c->off == c->len)
		return API_STREAM_END;
	size_t n = c->len - c->off < max ? c->len - c->off : max;
	memcpy(buf, c->data + c->off, n);
	c->off += n;
	return (ssize_t)n;
}

static void chunks_free(void *arg)
{
	struct chunks *c = arg;
	free(c->data);
	free(c);
}

void api_reply_chunked(struct api_req *req, unsigned status, const char *type, char *data)
{
	struct chunks *c = xcalloc(1, sizeof(*c));
	c->data = data;
	c->len = strlen(data);
	api_reply_stream(req, status, type, chunks_read, c, chunks_free);
}

struct hijack {
	api_hijack_fn *fn;
	void *arg;
	void (*free_arg)(void *);
	int sock;
	char *extra;
	size_t extra_len;
	struct MHD_UpgradeResponseHandle *urh;
};

static void *hijack_thread(void *p)
{
	struct hijack *h = p;
	/* libmicrohttpd's sockets are non-blocking; sessions get a plain blocking one */
	int fl = fcntl(h->sock, F_GETFL);
	if (fl >= 0)
		fcntl(h->sock, F_SETFL, fl & ~O_NONBLOCK);
	h->fn(h->arg, h->sock, h->extra, h->extra_len);
	MHD_upgrade_action(h->urh, MHD_UPGRADE_ACTION_CLOSE);
	if (h->free_arg)
		h->free_arg(h->arg);
	free(h->extra);
	free(h);
	return NULL;
}

/* MHD hands over the socket; the session runs on its own detached thread. */
static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
		       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct hijack *h = cls;
	h->sock = sock;
	h->urh = urh;
	h->extra_len = extra_in_size;
	h->extra = xmalloc(extra_in_size + 1);
	memcpy(h->extra, extra_in, extra_in_size);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, hijack_thread, h) != 0) {
		log_error("hijack: cannot start a session thread");
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		if (h->free_arg)
			h->free_arg(h->arg);
		free(h->extra);
		free(h);
	}
	pthread_attr_destroy(&attr);
}

void api_reply_upgrade(struct api_req *req, const char *content_type, api_hijack_fn *fn, void *arg,
		       void (*free_arg)(void *))
{
	struct hijack *h = xcalloc(1, sizeof(*h));
	*h = (struct hijack){.fn = fn, .arg = arg, .free_arg = free_arg, .sock = -1};
	struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgrade, h);
	MHD_add_response_header(r, "Upgrade", "tcp");
	if (content_type)
		MHD_add_response_header(r, "Content-Type", content_type);
	set_resp(req, MHD_HTTP_SWITCHING_PROTOCOLS, r);
}
