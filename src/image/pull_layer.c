/* image/pull_layer: each missing layer is downloaded on one thread and extracted on another as
 * the bytes arrive (through a pipe), into its own temporary directory; its tar-split is
 * recorded on the way. Nothing is registered here: a digest that does not match fails the
 * layer after the fact, and the pull then registers nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/pull_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/str.h"

#define PROGRESS_INTERVAL_NS 100000000 /* 0.1 s between progress messages of a layer */

void pull_emit(struct image_pull *p, json_t *msg)
{
	if (p->progress)
		p->progress(p->arg, msg);
	else
		json_decref(msg);
}

struct download {
	struct pull_layer *l;
	int wfd;
	struct image_tarsplit *ts;
	int rc;
	struct err err;
};

static int pipe_sink(void *arg, const void *data, size_t len)
{
	struct download *d = arg;
	image_tarsplit_feed(d->ts, data, len);
	const char *b = data;
	while (len) {
		ssize_t n = write(d->wfd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1; /* the extraction stopped: its error is reported */
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static bool download_progress(void *arg, int64_t done)
{
	struct download *d = arg;
	struct pull_layer *l = d->l;
	if (__atomic_load_n(&l->p->failed, __ATOMIC_RELAXED))
		return false;
	int64_t now = progress_now();
	if (done > l->done && (now - l->last_ns >= PROGRESS_INTERVAL_NS || done == l->size)) {
		l->last_ns = now;
		pull_emit(l->p,
			  progress_bar(l->short_id, "Downloading", done, l->size, l->start_ns));
	}
	l->done = done;
	return true;
}

static void *download_thread(void *arg)
{
	struct download *d = arg;
	struct pull_layer *l = d->l;
	d->rc = registry_blob_get(l->p->reg, l->digest, pipe_sink, download_progress, d, &d->err);
	close(TAKE_FD(d->wfd));
	if (d->rc == 0) {
		pull_emit(l->p, progress_layer(l->short_id, "Verifying Checksum"));
		pull_emit(l->p, progress_layer(l->short_id, "Download complete"));
	}
	return NULL;
}

/* The tar-split goes into the layer directory when it rebuilds the diff ID exactly. */
static void keep_split(struct pull_layer *l, struct image_tarsplit *ts)
{
	char digest[IMAGE_DIGEST_LEN + 1];
	size_t len;
	_cleanup_free_ char *split = image_tarsplit_finish(ts, &len, digest);
	if (!split || strcmp(digest, l->diff_id) != 0)
		return;
	_cleanup_free_ char *path = str_printf("%s/tar-split", l->dir);
	store_write_file(path, split, len, 0600, NULL);
}

static int extract_layer(struct pull_layer *l, struct download *d, int rfd, struct err *e)
{
	_cleanup_free_ char *diff = str_printf("%s/diff", l->dir);
	if (mkdir(l->dir, 0700) < 0 || mkdir(diff, 0755) < 0)
		return err_sys(e, "create layer directory %s", l->dir);
	pthread_t t;
	int r = pthread_create(&t, NULL, download_thread, d);
	if (r != 0)
		return err_errno(e, r, "start download thread");
	struct err xe = ERR_INIT;
	int xr = image_tar_extract(rfd, diff, &l->res, &xe);
	pthread_join(t, NULL);
	if (d->rc < 0) { /* a bad download explains a bad extraction */
		*e = d->err;
		return -1;
	}
	if (xr < 0) {
		*e = xe;
		return -1;
	}
	if (strcmp(l->res.diff_id, l->diff_id) != 0)
		return err_invalid(e,
				   "layers from manifest don't match image configuration: layer %s "
				   "has diff ID %s, the config says %s",
				   l->digest, l->res.diff_id, l->diff_id);
	return 0;
}

static int pull_one(struct pull_layer *l, struct err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, "pipe");
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	struct download d = {.l = l, .wfd = p[1], .ts = image_tarsplit_new()};
	l->start_ns = progress_now();
	int rc = extract_layer(l, &d, p[0], e);
	close(p[0]);
	if (d.wfd >= 0)
		close(d.wfd); /* the thread never started */
	if (rc == 0) {
		keep_split(l, d.ts);
		pull_emit(l->p, progress_bar(l->short_id, "Extracting", l->size, l->size, 0));
	}
	image_tarsplit_free(d.ts);
	return rc;
}

static void *worker(void *arg)
{
	struct image_pull *p = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		if (i >= p->n || __atomic_load_n(&p->failed, __ATOMIC_RELAXED))
			return NULL;
		struct pull_layer *l = &p->layers[i];
		if (l->present)
			continue;
		l->rc = pull_one(l, &l->err);
		if (l->rc < 0 && !__atomic_exchange_n(&p->failed, 1, __ATOMIC_RELAXED))
			registry_cancel(p->reg); /* the first failure stops the others */
	}
}

int pull_layers(struct image_pull *p, struct err *e)
{
	size_t missing = 0;
	for (size_t i = 0; i < p->n; i++) {
		p->layers[i].dir = str_printf("%s/%zu", p->tmp, i);
		if (!p->layers[i].present && missing++ >= PULL_CONCURRENCY)
			pull_emit(p, progress_layer(p->layers[i].short_id, "Waiting"));
	}
	size_t nw = missing < PULL_CONCURRENCY ? missing : PULL_CONCURRENCY;
	pthread_t t[PULL_CONCURRENCY];
	size_t started = 0;
	for (; started < nw; started++) {
		int r = pthread_create(&t[started], NULL, worker, p);
		if (r != 0) {
			__atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
			err_errno(e, r, "start pull thread");
			break;
		}
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	if (started < nw)
		return -1;
	/* the first layer that failed for a reason of its own (not the others' cancellation) */
	for (size_t i = 0; i < p->n; i++) {
		if (p->layers[i].rc < 0 && p->layers[i].err.errnum != ECANCELED) {
			*e = p->layers[i].err;
			return -1;
		}
	}
	for (size_t i = 0; i < p->n; i++) {
		if (p->layers[i].rc < 0) {
			*e = p->layers[i].err;
			return -1;
		}
	}
	return 0;
}
