/* image/ring: a byte ring between one writer and one reader thread. Each side copies or reads
 * outside the lock (the writer only touches free room, the reader only the block it was
 * handed) and wakes the other only when it waits and a batch (or room for one) is there, so
 * a stream costs a few hundred wake-ups, not one per chunk. */
#include "image/ring.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

struct image_ring {
	pthread_mutex_t mu;
	pthread_cond_t room, data;
	char *buf;
	size_t size, batch;  /* a waiting side is woken once a batch (or room for one) is there */
	uint64_t head, tail; /* bytes written, bytes given back by the reader */
	size_t held;	     /* handed to the reader, not yet given back */
	bool wclosed, rclosed, wwait, rwait;
};

struct image_ring *image_ring_new(size_t size)
{
	struct image_ring *r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->room, NULL);
	pthread_cond_init(&r->data, NULL);
	r->buf = xmalloc(size);
	r->size = size;
	r->batch = size / 4;
	return r;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

int image_ring_write(struct image_ring *r, const void *data, size_t len)
{
	const char *p = data;
	pthread_mutex_lock(&r->mu);
	while (len > 0 && !r->rclosed) {
		size_t used = (size_t)(r->head - r->tail);
		if (used == r->size) {
			/* woken when a batch fits again */
			r->wwait = true;
			pthread_cond_wait(&r->room, &r->mu);
			r->wwait = false;
			continue;
		}
		size_t off = (size_t)(r->head % r->size);
		size_t n = min3(len, r->size - used, r->size - off);
		pthread_mutex_unlock(&r->mu);
		memcpy(r->buf + off, p, n);
		pthread_mutex_lock(&r->mu);
		r->head += n;
		p += n;
		len -= n;
		if (r->rwait && r->head - r->tail >= r->batch)
			pthread_cond_signal(&r->data);
	}
	int rc = r->rclosed ? -1 : 0;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

void image_ring_close_write(struct image_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->wclosed = true;
	pthread_cond_signal(&r->data);
	pthread_mutex_unlock(&r->mu);
}

ssize_t image_ring_read(struct image_ring *r, const void **buf)
{
	pthread_mutex_lock(&r->mu);
	r->tail += r->held;
	r->held = 0;
	if (r->wwait && r->size - (size_t)(r->head - r->tail) >= r->batch)
		pthread_cond_signal(&r->room);
	while (r->head - r->tail < r->batch && !r->wclosed) {
		r->rwait = true;
		pthread_cond_wait(&r->data, &r->mu);
		r->rwait = false;
	}
	size_t off = (size_t)(r->tail % r->size);
	/* a batch at most: the writer goes on filling the rest meanwhile */
	r->held = min3((size_t)(r->head - r->tail), r->size - off, r->batch);
	pthread_mutex_unlock(&r->mu);
	*buf = r->buf + off;
	return (ssize_t)r->held;
}

void image_ring_close_read(struct image_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->rclosed = true;
	r->tail += r->held;
	r->held = 0;
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
