/* api/server: libmicrohttpd glue: Unix listeners, the per-request state machine (route and
 * version checks before the body, body buffered or streamed, then the handler), replies. */
#include <errno.h>
#include <grp.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/api.h"
#include "api/http.h"
#include "api/server_priv.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/str.h"

#define BODY_MAX (64u << 20) /* buffered (JSON) bodies; archives are streamed */

static void route_request(struct api_server *srv, struct api_req *req, const char *url)
{
	unsigned v;
	const char *rest;
	bool ok = api_split_version(url, &v, &rest);
	req->path = str_dup(ok ? rest : url);
	/* "/v0/" is a prefix too (too old), not the absence of one */
	bool versioned = ok && rest != url;
	req->version = versioned ? v : API_MAX_VERSION;
	if (!ok ||
	    !api_route_match(api_routes, api_routes_count, req->method, req->path, &req->match) ||
	    (str_has_prefix(req->path, "/_berth/") && !srv->debug_routes)) {
		req->failed = true;
		err_notfound(&req->err, "page not found");
		return;
	}
	const char *vs = url + 2;
	int vlen = (int)(rest - vs);
	if (versioned && v > API_MAX_VERSION) {
		req->failed = true;
		err_invalid(&req->err,
			    "client version %.*s is too new. Maximum supported API version is "
			    "%s",
			    vlen, vs, API_MAX_VERSION_STR);
	} else if (versioned && v < API_MIN_VERSION) {
		req->failed = true;
		err_invalid(&req->err,
			    "client version %.*s is too old. Minimum supported API version is %s, "
			    "please upgrade your client to a newer version",
			    vlen, vs, API_MIN_VERSION_STR);
	}
}

static void take_body(struct api_req *req, const char *data, size_t len)
{
	const struct api_body_ops *ops = req->match.route ? req->match.route->stream : NULL;
	if (req->failed)
		return; /* discarded: the reply is the error */
	if (ops) {
		if (ops->data(req, data, len, &req->err) < 0)
			req->failed = true;
		return;
	}
	if (req->body_len + len > BODY_MAX) {
		req->failed = true;
		err_invalid(&req->err, "request body larger than %u bytes", BODY_MAX);
		return;
	}
	if (req->body_len + len + 1 > req->body_cap) {
		req->body_cap = (req->body_len + len + 1) * 2;
		req->body = xrealloc(req->body, req->body_cap);
	}
	memcpy(req->body + req->body_len, data, len);
	req->body_len += len;
	req->body[req->body_len] = '\0';
}

static enum MHD_Result finish_request(struct api_req *req)
{
	if (!req->failed)
		req->match.route->fn(req);
	if (req->failed)
		api_reply_error(req, &req->err);
	if (!req->resp)
		api_reply_message(req, 500, "internal error: %s %s gave no reply", req->method,
				  req->path);
	log_debug("api: %s %s -> %u", req->method, req->path, req->status);
	server_add_std_headers(req->resp);
	enum MHD_Result r = MHD_queue_response(req->conn, req->status, req->resp);
	MHD_destroy_response(req->resp);
	req->resp = NULL;
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct api_server *srv = cls;
	struct api_req *req = *con_cls;
	if (!req) {
		req = xcalloc(1, sizeof(*req));
		req->eng = srv->eng;
		req->conn = conn;
		req->method = method;
		req->debug_routes = srv->debug_routes;
		*con_cls = req;
		route_request(srv, req, url);
		const struct api_body_ops *ops = req->match.route ? req->match.route->stream : NULL;
		if (!req->failed && ops && ops->begin(req, &req->err) < 0)
			req->failed = true;
		return MHD_YES;
	}
	if (*upload_size) {
		take_body(req, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return finish_request(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct api_req *req = *con_cls;
	if (!req)
		return;
	const struct api_body_ops *ops = req->match.route ? req->match.route->stream : NULL;
	if (ops && ops->cleanup)
		ops->cleanup(req);
	if (req->resp)
		MHD_destroy_response(req->resp);
	api_match_release(&req->match);
	free(req->body);
	free(req->path);
	free(req);
	*con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	if (log_get_level() < LOG_DEBUG)
		return;
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", buf);
}

static int start_listener(struct api_server *srv, struct api_listener *l, struct err *e)
{
	l->fd =
	    l->tcp ? server_listen_tcp(l->path + 6, e) : server_listen_unix(l->path, srv->gid, e);
	if (l->fd < 0)
		return -1;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_AUTO | MHD_ALLOW_UPGRADE | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	/* TCP: connections come from the TLS relays (tls.c), libmicrohttpd sees plaintext */
	struct MHD_OptionItem listen_opt[] = {
	    {l->tcp ? MHD_OPTION_END : MHD_OPTION_LISTEN_SOCKET, l->fd, NULL},
	    {MHD_OPTION_END, 0, NULL}};
	if (l->tcp)
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	/* the logger first, so that option errors already go through it */
	l->d = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_ARRAY, listen_opt, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(256 * 1024), MHD_OPTION_END);
	if (!l->d)
		return err_set(e, ERR_INTERNAL, 0, "start HTTP server on %s", l->path);
	return l->tcp ? server_tls_accept_start(srv->tls, l, e) : 0;
}

/* What each -H names; TLS credentials are loaded for the first tcp:// one. */
static int prepare_listener(struct api_server *srv, struct api_listener *l, const char *h,
			    const struct api_options *o, struct err *e)
{
	if (str_has_prefix(h, "unix://") && h[7]) {
		l->path = str_dup(h + 7);
		return 0;
	}
	if (!str_has_prefix(h, "tcp://"))
		return err_invalid(e, "invalid host %s: unix:///path or tcp://host:port", h);
	if (!o->tls)
		return err_invalid(e,
				   "host %s: TCP needs TLS (--tlsverify, --tlscacert, "
				   "--tlscert, --tlskey)",
				   h);
	if (!srv->tls && !(srv->tls = server_tls_new(o->tls, e)))
		return -1;
	l->tcp = true;
	l->path = str_dup(h);
	return 0;
}

struct api_server *api_server_start(struct engine *eng, const struct api_options *o, struct err *e)
{
	struct api_server *srv = xcalloc(1, sizeof(*srv));
	srv->eng = eng;
	srv->debug_routes = o->debug_routes;
	srv->gid = server_socket_group(o->group);
	srv->n = strv_len(o->hosts);
	srv->ls = xcalloc(srv->n + 1, sizeof(*srv->ls));
	for (size_t i = 0; i < srv->n; i++)
		srv->ls[i].fd = -1;
	for (size_t i = 0; i < srv->n; i++) {
		struct api_listener *l = &srv->ls[i];
		if (prepare_listener(srv, l, o->hosts[i], o, e) < 0 ||
		    start_listener(srv, l, e) < 0) {
			if (l->fd < 0) /* not bound: someone else's, never unlink it */
				free(TAKE_PTR(l->path));
			api_server_stop(srv);
			return NULL;
		}
		log_info("API listening on %s%s", l->path,
			 !l->tcp		    ? ""
			 : o->tls && o->tls->verify ? " (TLS, client certificates verified)"
						    : " (TLS)");
	}
	return srv;
}

void api_server_stop(struct api_server *srv)
{
	if (!srv)
		return;
	if (srv->tls)
		server_tls_quiesce(srv->tls);
	for (size_t i = 0; i < srv->n; i++) {
		struct api_listener *l = &srv->ls[i];
		server_tls_accept_stop(l);
		if (l->d) {
			MHD_socket fd = MHD_quiesce_daemon(l->d);
			if (fd != MHD_INVALID_SOCKET)
				close(fd);
			if (!l->tcp)
				l->fd = -1;
			MHD_stop_daemon(l->d);
		}
		if (l->fd >= 0)
			close(l->fd);
		if (l->path && !l->tcp)
			unlink(l->path);
		free(l->path);
	}
	server_tls_free(srv->tls);
	free(srv->ls);
	free(srv);
}
