/* api/containers_archive: docker cp: HEAD/GET /containers/{id}/archive (the path's stat in
 * X-Docker-Container-Path-Stat, base64 JSON; GET adds the tar) and PUT (a tar extracted). */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

static ssize_t tar_read(void *arg, char *buf, size_t max)
{
	ssize_t n;
	while ((n = read(engine_container_archive_fd(arg), buf, max)) < 0 && errno == EINTR)
		;
	if (n == 0)
		return API_STREAM_END;
	return n < 0 ? API_STREAM_ERROR : n;
}

/* The end of the reply (complete or not) ends the tar's thread and frees the container. */
static void tar_free(void *arg)
{
	engine_container_archive_end(arg);
}

void api_container_archive_get(struct api_req *req)
{
	struct err e = ERR_INIT;
	const char *path = archive_path(req, &e);
	bool head = !strcmp(req->method, "HEAD");
	json_t *stat = NULL;
	struct container_archive *tar = NULL;
	if (path && head)
		stat = engine_container_archive_stat(req->eng, api_param(req, "id"), path, &e);
	else if (path)
		tar = engine_container_archive_get(req->eng, api_param(req, "id"), path, &stat, &e);
	if (!stat) {
		api_reply_error(req, &e);
		return;
	}
	if (head) {
		api_reply_empty(req, 200);
	} else {
		api_reply_stream(req, 200, "application/x-tar", tar_read, tar, tar_free);
	}
	add_stat_header(req, stat);
	json_decref(stat);
}

/* PUT archive: the body is spooled into an unnamed file under the daemon's root (not held
 * in memory: a cp may be large), then checked and extracted from there. */
static int put_begin(struct api_req *req, struct err *e)
{
	int fd = open(engine_root(req->eng), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = memfd_create("cp", MFD_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "spool the archive");
	int *st = xmalloc(sizeof(*st));
	*st = fd;
	req->state = st;
	return 0;
}

static int put_data(struct api_req *req, const char *buf, size_t len, struct err *e)
{
	int *fd = req->state;
	while (len > 0) {
		ssize_t n = write(*fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_sys(e, "spool the archive");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void put_cleanup(struct api_req *req)
{
	int *fd = req->state;
	if (fd) {
		close(*fd);
		free(fd);
	}
	req->state = NULL;
}

const struct api_body_ops api_container_archive_put_body = {put_begin, put_data, put_cleanup};

void api_container_archive_put(struct api_req *req)
{
	struct err e = ERR_INIT;
	const char *path = archive_path(req, &e);
	int *fd = req->state;
	unsigned flags =
	    (api_query_bool(req, "noOverwriteDirNonDir") ? ARCHIVE_PUT_NO_OVERWRITE_DIR_NONDIR
							 : 0) |
	    (api_query_bool(req, "copyUIDGID") ? ARCHIVE_PUT_COPY_UIDGID : 0);
	if (!path || !fd ||
	    engine_container_archive_put(req->eng, api_param(req, "id"), path, *fd, flags, &e) <
		0) {
		if (path && !fd)
			err_invalid(&e, "invalid archive: the request has no body");
		api_reply_error(req, &e);
		return;
	}
	api_reply_empty(req, 200);
}
