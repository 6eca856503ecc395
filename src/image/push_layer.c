/* image/push_layer: the layers of a push, PUSH_CONCURRENCY at a time: a blob the repository
 * already has (known from an earlier pull or push) is skipped, one another repository of the
 * registry has is mounted, else the layer tar is gzipped into a temporary file (digest and size
 * known before the upload, so an existing blob is still skipped) and uploaded in chunks. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "image/push_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

#define PROGRESS_INTERVAL_NS 100000000

void push_emit(struct image_push *p, json_t *msg)
{
	if (p->progress)
		p->progress(p->arg, msg);
	else
		json_decref(msg);
}

struct gz_sink {
	z_stream z;
	int fd;
	struct image_sha256 h;	   /* of the gzip stream: the blob digest */
	struct image_sha256 plain; /* of the tar: must be the diff ID */
	int64_t in, out;
	unsigned char buf[1 << 16];
};

static int gz_drain(struct gz_sink *g, int flush, struct err *e)
{
	do {
		g->z.next_out = g->buf;
		g->z.avail_out = sizeof(g->buf);
		int r = deflate(&g->z, flush);
		if (r == Z_STREAM_ERROR)
			return err_set(e, ERR_INTERNAL, 0, "gzip: stream error");
		size_t n = sizeof(g->buf) - g->z.avail_out;
		image_sha256_update(&g->h, g->buf, n);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(g->fd, g->buf + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return err_sys(e, "write compressed layer");
			off += (size_t)w;
		}
		g->out += (int64_t)n;
		if (flush == Z_FINISH && r == Z_STREAM_END)
			return 0;
	} while (g->z.avail_out == 0 || flush == Z_FINISH);
	return 0;
}

static int gz_write(void *arg, const void *data, size_t len, struct err *e)
{
	struct gz_sink *g = arg;
	g->in += (int64_t)len;
	image_sha256_update(&g->plain, data, len);
	g->z.next_in = (unsigned char *)data;
	g->z.avail_in = (unsigned)len;
	return gz_drain(g, Z_NO_FLUSH, e);
}

/* The layer tar, gzipped into tmp/<n>.gz: its digest and size; returns the fd. */
static int compress_layer(struct push_layer *l, size_t n, struct err *e)
{
	_cleanup_free_ char *path = str_printf("%s/%zu.gz", l->p->tmp, n);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(e, "create %s", path);
	unlink(path); /* anonymous: gone with the fd */
	struct gz_sink *g = xcalloc(1, sizeof(*g));
	g->fd = fd;
	int rc = image_sha256_init(&g->h, e) == 0 && image_sha256_init(&g->plain, e) == 0 ? 0 : -1;
	if (rc == 0 && deflateInit2(&g->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
				    Z_DEFAULT_STRATEGY) != Z_OK)
		rc = err_set(e, ERR_INTERNAL, 0, "gzip: cannot initialise");
	if (rc == 0) {
		rc = image_store_layer_tar(l->p->s, l->chain, gz_write, g, e);
		g->z.next_in = NULL;
		g->z.avail_in = 0;
		if (rc == 0)
			rc = gz_drain(g, Z_FINISH, e);
		deflateEnd(&g->z);
		image_sha256_final(&g->h, l->digest);
		l->size = g->out;
		l->tar_size = g->in;
		char plain[IMAGE_DIGEST_LEN + 1];
		image_sha256_final(&g->plain, plain);
		/* a blob that does not hash to its diff ID would make an image nobody can pull */
		if (rc == 0 && strcmp(plain, l->diff_id) != 0)
			rc = err_set(e, ERR_INTERNAL, 0,
				     "layer %s cannot be pushed: its files no longer make the tar "
				     "its diff ID names (got %s)",
				     l->diff_id, plain);
	}
	image_sha256_release(&g->h);
	image_sha256_release(&g->plain);
	free(g);
	return rc < 0 ? -1 : TAKE_FD(fd);
}

static bool upload_progress(void *arg, int64_t done)
{
	struct push_layer *l = arg;
	if (__atomic_load_n(&l->p->failed, __ATOMIC_RELAXED))
		return false;
	int64_t now = progress_now();
	if ((now - l->last_ns >= PROGRESS_INTERVAL_NS || done == l->size) && done > 0 && l->size) {
		/* in bytes of the layer tar, as dockerd counts them (it compresses as it sends) */
		int64_t cur = (int64_t)((double)done / (double)l->size * (double)l->tar_size);
		l->last_ns = now;
		push_emit(l->p,
			  progress_bar(l->short_id, "Pushing", cur, l->tar_size, l->start_ns));
	}
	return true;
}

/* A blob recorded for this layer: in this repository already, or mountable from another
 * repository of the same registry. *done when the layer needs nothing more. */
static int push_known(struct push_layer *l, bool *done, struct err *e)
{
	struct image_push *p = l->p;
	_cleanup_json_ json_t *known = image_distmeta_get(p->s, l->diff_id);
	_cleanup_free_ char *prefix = str_printf("%s/", p->ref.domain);
	size_t i;
	json_t *k;
	*done = false;
	for (int pass = 0; pass < 2 && !*done; pass++) {
		json_array_foreach (known, i, k) {
			const char *d = json_string_value(json_object_get(k, "digest"));
			const char *repo = json_string_value(json_object_get(k, "repository"));
			bool same = str_eq(repo, p->repo);
			if (!d || !repo || (pass == 0) != same || !str_has_prefix(repo, prefix))
				continue;
			snprintf(l->digest, sizeof(l->digest), "%s", d);
			l->size = json_integer_value(json_object_get(k, "size"));
			if (same && registry_blob_exists(p->reg, d, done, &l->size, e) < 0)
				return -1;
			if (!same &&
			    registry_blob_mount(p->reg, d, repo + strlen(prefix), done, NULL) ==
				0 &&
			    *done) {
				_cleanup_free_ char *msg =
				    str_printf("Mounted from %s", repo + strlen(prefix));
				push_emit(p, progress_layer(l->short_id, msg));
				return 0;
			}
			if (*done) {
				push_emit(p, progress_layer(l->short_id, "Layer already exists"));
				return 0;
			}
		}
	}
	return 0;
}

static int push_one(struct push_layer *l, size_t n, struct err *e)
{
	struct image_push *p = l->p;
	bool done;
	if (push_known(l, &done, e) < 0)
		return -1;
	if (!done) {
		_cleanup_close_ int fd = compress_layer(l, n, e);
		if (fd < 0 || registry_blob_exists(p->reg, l->digest, &done, NULL, e) < 0)
			return -1;
		if (done) {
			push_emit(p, progress_layer(l->short_id, "Layer already exists"));
		} else {
			l->start_ns = progress_now();
			if (registry_blob_upload(p->reg, l->digest, fd, l->size, upload_progress, l,
						 e) < 0)
				return -1;
			push_emit(p, progress_layer(l->short_id, "Pushed"));
		}
	}
	/* a failed record only costs a later push a compression */
	image_distmeta_add(p->s, l->diff_id, l->digest, p->repo, l->size, NULL);
	return 0;
}

static void *worker(void *arg)
{
	struct image_push *p = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		if (i >= p->n || __atomic_load_n(&p->failed, __ATOMIC_RELAXED))
			return NULL;
		struct push_layer *l = &p->layers[i];
		l->rc = push_one(l, i, &l->err);
		if (l->rc < 0 && !__atomic_exchange_n(&p->failed, 1, __ATOMIC_RELAXED))
			registry_cancel(p->reg);
	}
}

/* Token scopes for the repositories layers may be mounted from. */
static void add_mount_scopes(struct image_push *p)
{
	_cleanup_free_ char *prefix = str_printf("%s/", p->ref.domain);
	_cleanup_json_ json_t *seen = json_object();
	for (size_t i = 0; i < p->n; i++) {
		_cleanup_json_ json_t *known = image_distmeta_get(p->s, p->layers[i].diff_id);
		size_t k;
		json_t *it;
		json_array_foreach (known, k, it) {
			const char *repo = json_string_value(json_object_get(it, "repository"));
			if (!repo || !str_has_prefix(repo, prefix) || str_eq(repo, p->repo) ||
			    json_object_get(seen, repo))
				continue;
			json_object_set_new(seen, repo, json_true());
			registry_add_scope(p->reg, repo + strlen(prefix), "pull");
		}
	}
}

int push_layers(struct image_push *p, const struct image *img, struct err *e)
{
	p->n = img->layers;
	p->next = 0;
	p->layers = xcalloc(p->n + 1, sizeof(*p->layers));
	for (size_t i = 0; i < p->n; i++) {
		struct push_layer *l = &p->layers[i];
		l->p = p;
		snprintf(l->diff_id, sizeof(l->diff_id), "%s", img->diff_ids[i]);
		snprintf(l->chain, sizeof(l->chain), "%s", img->chain_ids[i]);
		snprintf(l->short_id, sizeof(l->short_id), "%.12s", image_digest_hex(l->diff_id));
	}
	for (size_t i = p->n; i-- > 0;) /* top layer first, as dockerd lists them */
		push_emit(p, progress_layer(p->layers[i].short_id, "Preparing"));
	for (size_t i = PUSH_CONCURRENCY; i < p->n; i++)
		push_emit(p, progress_layer(p->layers[i].short_id, "Waiting"));
	add_mount_scopes(p);
	size_t nw = p->n < PUSH_CONCURRENCY ? p->n : PUSH_CONCURRENCY, started = 0;
	pthread_t t[PUSH_CONCURRENCY];
	for (; started < nw; started++) {
		int r = pthread_create(&t[started], NULL, worker, p);
		if (r != 0) {
			__atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
			err_errno(e, r, "start push thread");
			break;
		}
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	if (started < nw)
		return -1;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->n; i++)
			if (p->layers[i].rc < 0 && (pass || p->layers[i].err.errnum != ECANCELED)) {
				*e = p->layers[i].err;
				return -1;
			}
	return 0;
}
