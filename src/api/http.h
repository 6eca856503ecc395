/* api/http: what handlers see of a request (path parameters, query, headers, body, API
 * version) and the ways to answer it (JSON, errors, empty, chunked streams, hijack). */
#ifndef BERTH_API_HTTP_H
#define BERTH_API_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/router.h"
#include "engine/engine.h"
#include "util/err.h"

#define API_MAX_VERSION API_VERSION(1, 45)
#define API_MIN_VERSION API_VERSION(1, 24)

struct MHD_Connection;
struct MHD_Response;

struct api_req {
	struct engine *eng;
	struct MHD_Connection *conn;
	const char *method;
	char *path;	  /* without the version prefix */
	unsigned version; /* requested API version (API_MAX_VERSION when none given) */
	struct api_match match;
	char *body; /* buffered body, NUL-terminated (NULL when none) */
	size_t body_len, body_cap;
	void *state; /* a streamed-body handler's own state */
	bool failed; /* an error before the handler ran; the reply is err */
	struct err err;
	struct MHD_Response *resp;
	unsigned status;
	bool debug_routes;
};

/* Path parameter ({name} in the route pattern). */
const char *api_param(struct api_req *req, const char *name);
/* First value of a query argument; NULL when absent ("" for "?x" or "?x="). */
const char *api_query(struct api_req *req, const char *key);
/* Every value of a repeated query argument (changes=..&changes=..). */
char **api_query_all(struct api_req *req, const char *key);
/* Docker's form booleans: false for absent, "", 0, no, false, none (any case). */
bool api_query_bool(struct api_req *req, const char *key);
/* An integer query argument into *out (left as it is when absent or empty); ERR_INVALID
 * naming key otherwise. */
int api_query_int(struct api_req *req, const char *key, int *out, struct err *e);
const char *api_header(struct api_req *req, const char *name);
bool api_version_ge(const struct api_req *req, unsigned maj, unsigned min);
/* The connection's socket (for streams that must notice a client leaving). */
int api_req_socket(struct api_req *req);
/* True once the peer closed or reset the connection (poll for POLLRDHUP, no wait). */
bool api_socket_gone(int fd);
/* The body as JSON (NULL and no error when there is none); checks the Content-Type. */
json_t *api_body_json(struct api_req *req, struct err *e);

/* Replies. Each sets req->resp; the last one wins. */
void api_reply_json(struct api_req *req, unsigned status, json_t *body); /* body stolen */
void api_reply_error(struct api_req *req, const struct err *e);
void api_reply_message(struct api_req *req, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void api_reply_empty(struct api_req *req, unsigned status);
void api_reply_text(struct api_req *req, unsigned status, const char *type, const char *text);
/* A handler's last step: e when r < 0 (or j is NULL), else an empty reply with status ok (or
 * j, stolen, with status ok). */
void api_reply_result(struct api_req *req, int r, const struct err *e, unsigned ok);
void api_reply_result_json(struct api_req *req, json_t *j, const struct err *e, unsigned ok);

/* A chunked body produced on demand (Transfer-Encoding: chunked). The reader may block
 * (each connection has its own thread); it returns bytes written to buf, 0 to wait for
 * more (called again), API_STREAM_END or API_STREAM_ERROR. Headers go out at once. */
#define API_STREAM_END	 ((ssize_t)-1)
#define API_STREAM_ERROR ((ssize_t)-2)
typedef ssize_t api_stream_fn(void *arg, char *buf, size_t max);
void api_reply_stream(struct api_req *req, unsigned status, const char *type, api_stream_fn *fn,
		      void *arg, void (*free_arg)(void *));
/* A chunked 200 body that fill writes into fd (a pipe's write end) on a thread of its own;
 * it returns 0, or -1 when the body is incomplete (the chunked body then ends without its
 * terminator). free_arg(arg) when all is done; when no thread can start, the error (naming
 * what) is the reply and arg is freed. */
typedef int api_pipe_fill_fn(void *arg, int fd);
void api_reply_pipe(struct api_req *req, const char *type, api_pipe_fill_fn *fill, void *arg,
		    void (*free_arg)(void *), const char *what);
/* A chunked body of lines already known (progress streams): data is stolen. */
void api_reply_chunked(struct api_req *req, unsigned status, const char *type, char *data);

/* Hijacking: 101 Switching Protocols with Upgrade: tcp, then fn owns the raw socket (sock,
 * blocking; bytes the client sent past the request head in extra) on its own thread until
 * it returns; the socket is closed after. arg is freed with free_arg. */
typedef void api_hijack_fn(void *arg, int sock, const char *extra, size_t extra_len);
void api_reply_upgrade(struct api_req *req, const char *content_type, api_hijack_fn *fn, void *arg,
		       void (*free_arg)(void *));

/* Route tables (routes.c) and handlers (system.c, images.c). */
extern const struct api_route api_routes[];
extern const size_t api_routes_count;

void api_ping(struct api_req *req);
void api_version(struct api_req *req);
void api_info(struct api_req *req);
void api_events(struct api_req *req);
void api_debug_echo(struct api_req *req);
void api_system_check(struct api_req *req);
void api_images_list(struct api_req *req);
void api_image_inspect(struct api_req *req);
void api_image_history(struct api_req *req);
void api_image_tag(struct api_req *req);
void api_image_delete(struct api_req *req);
void api_images_create(struct api_req *req);
extern const struct api_body_ops api_images_create_body;
void api_images_get(struct api_req *req);
void api_image_get(struct api_req *req);
void api_images_load(struct api_req *req);
extern const struct api_body_ops api_images_load_body;
void api_images_prune(struct api_req *req);
void api_image_pull(struct api_req *req); /* POST /images/create?fromImage= */
void api_image_push(struct api_req *req);
void api_auth(struct api_req *req);
void api_distribution_inspect(struct api_req *req);
void api_commit(struct api_req *req);
void api_container_export(struct api_req *req);
void api_system_df(struct api_req *req);
void api_container_create(struct api_req *req);
void api_containers_list(struct api_req *req);
void api_containers_prune(struct api_req *req);
void api_container_inspect(struct api_req *req);
void api_container_delete(struct api_req *req);
void api_container_rename(struct api_req *req);
void api_container_start(struct api_req *req);
void api_container_stop(struct api_req *req);
void api_container_restart(struct api_req *req);
void api_container_kill(struct api_req *req);
void api_container_pause(struct api_req *req);
void api_container_unpause(struct api_req *req);
void api_container_wait(struct api_req *req);
void api_container_resize(struct api_req *req);
void api_container_attach(struct api_req *req);
void api_container_logs(struct api_req *req);
void api_exec_create(struct api_req *req);
void api_container_top(struct api_req *req);
void api_container_archive_get(struct api_req *req);
void api_container_archive_put(struct api_req *req);
extern const struct api_body_ops api_container_archive_put_body;
void api_container_changes(struct api_req *req);
void api_container_update(struct api_req *req);
void api_container_stats(struct api_req *req);
void api_exec_start(struct api_req *req);
void api_exec_inspect(struct api_req *req);
void api_exec_resize(struct api_req *req);
void api_volumes_list(struct api_req *req);
void api_volume_create(struct api_req *req);
void api_volume_inspect(struct api_req *req);
void api_volume_delete(struct api_req *req);
void api_volumes_prune(struct api_req *req);
void api_build(struct api_req *req); /* build.c */
extern const struct api_body_ops api_build_body;
void api_build_prune(struct api_req *req);

#endif
