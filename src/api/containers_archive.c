/* api/containers_archive: docker cp: HEAD/GET /containers/{id}/archive (the path's stat in
 * X-Docker-Container-Path-Stat, base64 JSON; GET adds the tar) and PUT (a tar extracted). */
#include <microhttpd.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/containers.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static void add_stat_header(struct api_req *req, const json_t *stat)
{
	_cleanup_free_ char *s = jx_dumps(stat);
	size_t n = strlen(s);
	_cleanup_free_ unsigned char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock(b64, (const unsigned char *)s, (int)n);
	MHD_add_response_header(req->resp, "X-Docker-Container-Path-Stat", (const char *)b64);
}

static const char *archive_path(struct api_req *req, struct err *e)
{
	const char *p = api_query(req, "path");
	if (!p || !*p) {
		err_invalid(e, "Bad parameter: path cannot be empty");
		return NULL;
	}
	return p;
}

struct fd_stream {
	int fd;
};

static ssize_t fd_read(void *arg, char *buf, size_t max)
{
	struct fd_stream *fs = arg;
	ssize_t n = read(fs->fd, buf, max);
	if (n == 0)
		return API_STREAM_END;
	return n < 0 ? API_STREAM_ERROR : n;
}

static void fd_free(void *arg)
{
	struct fd_stream *fs = arg;
	close(fs->fd);
	free(fs);
}

void api_container_archive_get(struct api_req *req)
{
	struct err e = ERR_INIT;
	const char *path = archive_path(req, &e);
	bool head = !strcmp(req->method, "HEAD");
	json_t *stat = NULL;
	int fd = -1;
	if (path && head)
		stat = engine_container_archive_stat(req->eng, api_param(req, "id"), path, &e);
	else if (path)
		fd = engine_container_archive_get(req->eng, api_param(req, "id"), path, &stat, &e);
	if (!stat) {
		api_reply_error(req, &e);
		return;
	}
	if (head) {
		api_reply_empty(req, 200);
	} else {
		struct fd_stream *fs = xcalloc(1, sizeof(*fs));
		fs->fd = fd;
		api_reply_stream(req, 200, "application/x-tar", fd_read, fs, fd_free);
	}
	add_stat_header(req, stat);
	json_decref(stat);
}

void api_container_archive_put(struct api_req *req)
{
	struct err e = ERR_INIT;
	const char *path = archive_path(req, &e);
	unsigned flags =
	    (api_query_bool(req, "noOverwriteDirNonDir") ? ARCHIVE_PUT_NO_OVERWRITE_DIR_NONDIR
							 : 0) |
	    (api_query_bool(req, "copyUIDGID") ? ARCHIVE_PUT_COPY_UIDGID : 0);
	if (!path || engine_container_archive_put(req->eng, api_param(req, "id"), path,
						  req->body ? req->body : "", req->body_len, flags,
						  &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	api_reply_empty(req, 200);
}
