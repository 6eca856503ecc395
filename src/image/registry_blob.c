/* image/registry_blob: blobs: downloads hashed as they stream (the digest checked at the end),
 * existence checks, cross-repository mounts, and chunked uploads resumed from the offset the
 * registry reports after a failed chunk. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "image/registry_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

#define UPLOAD_CHUNK   ((int64_t)16 << 20)
#define UPLOAD_RETRIES 3

struct hashing_sink {
	struct image_sha256 h;
	registry_sink_fn *sink;
	registry_progress_fn *progress;
	void *arg;
};

static int hash_write(void *arg, const void *data, size_t len)
{
	struct hashing_sink *hs = arg;
	image_sha256_update(&hs->h, data, len);
	return hs->sink(hs->arg, data, len);
}

static bool hs_progress(void *arg, int64_t done)
{
	struct hashing_sink *hs = arg;
	return hs->progress ? hs->progress(hs->arg, done) : true;
}

int registry_blob_get(struct registry *r, const char *digest, registry_sink_fn *sink,
		      registry_progress_fn *progress, void *arg, struct err *e)
{
	if (!str_has_prefix(digest, "sha256:"))
		return err_invalid(e, "unsupported digest algorithm: %s", digest);
	struct hashing_sink hs = {.sink = sink, .progress = progress, .arg = arg};
	if (image_sha256_init(&hs.h, e) < 0)
		return -1;
	_cleanup_free_ char *url = reg_url(r, "/v2/%s/blobs/%s", r->path, digest);
	struct reg_req q = {.method = "GET",
			    .url = url,
			    .fd = -1,
			    .sink = hash_write,
			    .progress = hs_progress,
			    .arg = &hs,
			    .follow = true};
	struct reg_resp p = {0};
	int rc = reg_send(r, &q, &p, e);
	if (rc == 0 && p.status != 200)
		rc = reg_error(&p, NULL, e);
	char got[IMAGE_DIGEST_LEN + 1];
	image_sha256_final(&hs.h, got);
	image_sha256_release(&hs.h);
	if (rc == 0 && strcmp(got, digest) != 0)
		rc = err_invalid(e, "filesystem layer verification failed for digest %s", digest);
	reg_resp_release(&p);
	return rc;
}

struct buf_sink {
	char *data;
	size_t len, max;
};

static int buf_write(void *arg, const void *data, size_t len)
{
	struct buf_sink *b = arg;
	if (b->len + len > b->max)
		return -1;
	b->data = xrealloc(b->data, b->len + len + 1);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

char *registry_blob_get_buf(struct registry *r, const char *digest, size_t max, size_t *len,
			    struct err *e)
{
	struct buf_sink b = {.max = max};
	if (registry_blob_get(r, digest, buf_write, NULL, &b, e) < 0) {
		free(b.data);
		if (str_has_prefix(e->msg, "filesystem layer verification failed"))
			err_invalid(e, "image config verification failed for digest %s", digest);
		return NULL;
	}
	*len = b.len;
	return b.data ? b.data : str_dup("");
}

int registry_blob_exists(struct registry *r, const char *digest, bool *exists, int64_t *size,
			 struct err *e)
{
	_cleanup_free_ char *url = reg_url(r, "/v2/%s/blobs/%s", r->path, digest);
	struct reg_req q = {.method = "HEAD", .url = url, .fd = -1, .follow = true};
	struct reg_resp p = {0};
	int rc = reg_send(r, &q, &p, e);
	*exists = rc == 0 && p.status == 200;
	if (*exists && size && p.length)
		*size = strtoll(p.length, NULL, 10);
	if (rc == 0 && p.status != 200 && p.status != 404)
		rc = reg_error(&p, "check blob", e);
	reg_resp_release(&p);
	return rc;
}

/* POST /blobs/uploads/ (with a mount when from is set): 201 mounted, 202 an upload URL. */
static int upload_start(struct registry *r, const char *digest, const char *from, char **location,
			bool *mounted, struct err *e)
{
	_cleanup_free_ char *url =
	    from ? reg_url(r, "/v2/%s/blobs/uploads/?mount=%s&from=%s", r->path, digest, from)
		 : reg_url(r, "/v2/%s/blobs/uploads/", r->path);
	struct reg_req q = {.method = "POST", .url = url, .fd = -1};
	struct reg_resp p = {0};
	int rc = reg_send(r, &q, &p, e);
	if (mounted)
		*mounted = rc == 0 && p.status == 201;
	if (rc == 0 && p.status != 201 && p.status != 202)
		rc = reg_error(&p, "start blob upload", e);
	if (rc == 0 && p.status == 202 && !(*location = reg_abs_url(r, p.location)))
		rc = err_set(e, ERR_INTERNAL, 0, "start blob upload: no Location in the reply");
	reg_resp_release(&p);
	return rc;
}

int registry_blob_mount(struct registry *r, const char *digest, const char *from, bool *mounted,
			struct err *e)
{
	_cleanup_free_ char *location = NULL;
	return upload_start(r, digest, from, &location, mounted, e);
	/* a 202 upload that is not used expires on the registry's side */
}

/* Where the registry's upload stands: GET location -> Range: 0-<last>. */
static int upload_offset(struct registry *r, char **location, int64_t *off, struct err *e)
{
	struct reg_req q = {.method = "GET", .url = *location, .fd = -1};
	struct reg_resp p = {0};
	int rc = reg_send(r, &q, &p, e);
	if (rc == 0 && p.status != 204 && p.status != 200)
		rc = reg_error(&p, "upload status", e);
	if (rc == 0) {
		const char *dash = p.range ? strchr(p.range, '-') : NULL;
		*off = dash ? strtoll(dash + 1, NULL, 10) + 1 : 0;
		if (p.location) {
			free(*location);
			*location = reg_abs_url(r, p.location);
		}
	}
	reg_resp_release(&p);
	return rc;
}

/* PATCH one chunk [off, off+len); the reply's Location is where the next one goes. */
static int upload_chunk(struct registry *r, char **location, int fd, int64_t off, int64_t len,
			registry_progress_fn *progress, void *arg, struct err *e)
{
	_cleanup_free_ char *range =
	    str_printf("Content-Range: %" PRId64 "-%" PRId64, off, off + len - 1);
	char *hdrs[] = {"Content-Type: application/octet-stream", range, NULL};
	struct reg_req q = {.method = "PATCH",
			    .url = *location,
			    .headers = hdrs,
			    .fd = fd,
			    .off = off,
			    .len = len,
			    .progress = progress,
			    .arg = arg};
	struct reg_resp p = {0};
	int rc = reg_send(r, &q, &p, e);
	if (rc == 0 && p.status != 202 && p.status != 204)
		rc = reg_error(&p, "upload blob", e);
	if (rc == 0 && p.location) {
		free(*location);
		*location = reg_abs_url(r, p.location);
	}
	reg_resp_release(&p);
	return rc;
}

static int upload_finish(struct registry *r, const char *location, const char *digest,
			 struct err *e)
{
	_cleanup_free_ char *url =
	    str_printf("%s%sdigest=%s", location, strchr(location, '?') ? "&" : "?", digest);
	struct reg_req q = {.method = "PUT", .url = url, .fd = -1};
	struct reg_resp p = {0};
	int rc = reg_send(r, &q, &p, e);
	if (rc == 0 && p.status != 201 && p.status != 204)
		rc = reg_error(&p, "finish blob upload", e);
	reg_resp_release(&p);
	return rc;
}

/* Progress of a chunk reported as the blob's offset. */
struct chunk_progress {
	registry_progress_fn *fn;
	void *arg;
	int64_t base;
};

static bool chunk_progress(void *arg, int64_t done)
{
	struct chunk_progress *c = arg;
	return c->fn ? c->fn(c->arg, c->base + done) : true;
}

int registry_blob_upload(struct registry *r, const char *digest, int fd, int64_t size,
			 registry_progress_fn *progress, void *arg, struct err *e)
{
	_cleanup_free_ char *location = NULL;
	if (upload_start(r, digest, NULL, &location, NULL, e) < 0)
		return -1;
	int64_t off = 0;
	int failures = 0;
	while (off < size) {
		int64_t n = size - off < UPLOAD_CHUNK ? size - off : UPLOAD_CHUNK;
		struct chunk_progress cp = {progress, arg, off};
		struct err ce = ERR_INIT;
		if (upload_chunk(r, &location, fd, off, n, chunk_progress, &cp, &ce) == 0) {
			off += n;
			continue;
		}
		if (++failures > UPLOAD_RETRIES ||
		    __atomic_load_n(&r->cancelled, __ATOMIC_RELAXED)) {
			*e = ce;
			return -1;
		}
		/* resume where the registry says the upload stands; a registry that lost the
		 * upload (docker-registry cancels one whose state is stale) gets a new one */
		if (upload_offset(r, &location, &off, NULL) < 0) {
			free(location);
			location = NULL;
			if (upload_start(r, digest, NULL, &location, NULL, e) < 0)
				return -1;
			off = 0;
		}
	}
	return upload_finish(r, location, digest, e);
}

int registry_blob_put_buf(struct registry *r, const char *digest, const char *data, size_t len,
			  struct err *e)
{
	_cleanup_free_ char *location = NULL;
	if (upload_start(r, digest, NULL, &location, NULL, e) < 0)
		return -1;
	_cleanup_free_ char *url =
	    str_printf("%s%sdigest=%s", location, strchr(location, '?') ? "&" : "?", digest);
	char *hdrs[] = {"Content-Type: application/octet-stream", NULL};
	struct reg_req q = {
	    .method = "PUT", .url = url, .headers = hdrs, .body = data, .body_len = len, .fd = -1};
	struct reg_resp p = {0};
	int rc = reg_send(r, &q, &p, e);
	if (rc == 0 && p.status != 201 && p.status != 204)
		rc = reg_error(&p, "upload blob", e);
	reg_resp_release(&p);
	return rc;
}
