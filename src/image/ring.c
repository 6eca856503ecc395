/* image/ring: a byte ring between one writer thread and up to RING_READERS reader threads,
 * each reading the whole stream. Each side copies or reads outside the lock (the writer only
 * touches room every reader has given back, a reader only what it was handed) and wakes the
 * others only when they wait, so a stream costs a few wake-ups, not one per chunk. */
#include "image/ring.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

struct ring_reader {
	uint64_t tail; /* bytes given back */
	size_t held;   /* handed out, not yet given back */
	bool closed, waiting;
};

struct image_ring {
	pthread_mutex_t mu;
	pthread_cond_t room, data;
	char *buf;
	size_t size;
	uint64_t head; /* bytes written */
	size_t batch;  /* a waiting side is woken once this much is there (or room for it) */
	unsigned readers;
	struct ring_reader r[IMAGE_RING_READERS];
	bool wclosed, failed, wwait, wwait_batch;
};

struct image_ring *image_ring_new(size_t size)
{
	struct image_ring *r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->room, NULL);
	pthread_cond_init(&r->data, NULL);
	r->buf = xmalloc(size);
	r->size = size;
	r->readers = 1;
	r->batch = size / 4;
	return r;
}

unsigned image_ring_add_reader(struct image_ring *r)
{
	pthread_mutex_lock(&r->mu);
	unsigned i = r->readers < IMAGE_RING_READERS ? r->readers++ : 0;
	pthread_mutex_unlock(&r->mu);
	return i;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

/* mu held: what the slowest reader still has (closed readers have nothing). */
static uint64_t ring_tail(const struct image_ring *r)
{
	uint64_t t = r->head;
	for (unsigned i = 0; i < r->readers; i++)
		if (!r->r[i].closed && r->r[i].tail < t)
			t = r->r[i].tail;
	return t;
}

/* mu held: a reader waits for a batch (fewer, larger blocks and wake-ups), or the end. */
static bool reader_ready(const struct image_ring *r, const struct ring_reader *rd)
{
	return r->head - rd->tail >= r->batch || r->wclosed;
}

static void wake_readers(struct image_ring *r)
{
	for (unsigned i = 0; i < r->readers; i++)
		if (r->r[i].waiting && reader_ready(r, &r->r[i])) {
			pthread_cond_broadcast(&r->data);
			return;
		}
}

int image_ring_write(struct image_ring *r, const void *data, size_t len)
{
	const char *p = data;
	pthread_mutex_lock(&r->mu);
	while (len > 0 && !r->failed) {
		size_t used = (size_t)(r->head - ring_tail(r));
		/* full, or (waiting already) less room than a batch: wait for more room */
		if (used == r->size || (r->wwait_batch && r->size - used < r->batch)) {
			r->wwait_batch = true;
			r->wwait = true;
			pthread_cond_wait(&r->room, &r->mu);
			r->wwait = false;
			continue;
		}
		r->wwait_batch = false;
		size_t off = (size_t)(r->head % r->size);
		size_t n = min3(len, r->size - used, r->size - off);
		pthread_mutex_unlock(&r->mu);
		memcpy(r->buf + off, p, n);
		pthread_mutex_lock(&r->mu);
		r->head += n;
		p += n;
		len -= n;
		wake_readers(r);
	}
	int rc = r->failed ? -1 : 0;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

void image_ring_close_write(struct image_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->wclosed = true;
	pthread_cond_broadcast(&r->data);
	pthread_mutex_unlock(&r->mu);
}

ssize_t image_ring_read(struct image_ring *r, unsigned reader, const void **buf)
{
	struct ring_reader *rd = &r->r[reader];
	pthread_mutex_lock(&r->mu);
	rd->tail += rd->held;
	rd->held = 0;
	if (r->wwait && r->size - (size_t)(r->head - ring_tail(r)) >= r->batch)
		pthread_cond_signal(&r->room);
	while (!reader_ready(r, rd)) {
		rd->waiting = true;
		pthread_cond_wait(&r->data, &r->mu);
		rd->waiting = false;
	}
	size_t off = (size_t)(rd->tail % r->size);
	/* a quarter at most: the writer goes on filling the rest meanwhile */
	rd->held = min3((size_t)(r->head - rd->tail), r->size - off, r->size / 4);
	pthread_mutex_unlock(&r->mu);
	*buf = r->buf + off;
	return (ssize_t)rd->held;
}

void image_ring_close_read(struct image_ring *r, unsigned reader)
{
	pthread_mutex_lock(&r->mu);
	struct ring_reader *rd = &r->r[reader];
	/* the first reader, before the end: the stream can't be delivered whole any more */
	if (reader == 0 && (!r->wclosed || rd->tail + rd->held < r->head))
		r->failed = true;
	rd->closed = true;
	rd->held = 0;
	pthread_cond_signal(&r->room);
	pthread_mutex_unlock(&r->mu);
}

void image_ring_free(struct image_ring *r)
{
	if (!r)
		return;
	pthread_cond_destroy(&r->room);
	pthread_cond_destroy(&r->data);
	pthread_mutex_destroy(&r->mu);
	free(r->buf);
	free(r);
}
