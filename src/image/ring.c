/* image/ring: a byte ring between one writer and one reader thread. Each side copies or reads
 * outside the lock (the writer only touches free room, the reader only the block it was
 * handed) and wakes the other only when it waits and a batch (or room for one) is there, so
 * a stream costs a few hundred wake-ups, not one per chunk. An attached hash is shared: in
 * steps, by the writer after each copy and by either side instead of waiting, and by the
 * reader for what is left of its block, so neither thread alone limits the stream; the
 * reader never sleeps through the writer's step to give a block back (it keeps it held). */
#include "image/ring.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "util/str.h"

struct image_ring {
	pthread_mutex_t mu;
	pthread_cond_t room, data, hashed_more;
	char *buf;
	size_t size, batch;  /* a waiting side is woken once a batch (or room for one) is there */
	uint64_t head, tail; /* bytes written, bytes given back by the reader */
	size_t held; /* handed to the reader, not yet given back (maybe more than a block) */
	bool wclosed, rclosed, wwait, rwait;
	/* tail <= hashed <= head: a block is hashed before its room is given back */
	struct image_sha256 *hash;
	uint64_t hashed;
	bool hbusy; /* one side is hashing [hashed, ...) outside the lock */
};

/* The most a side hashes at a time, before it looks again: the other side, if it needs that
 * block hashed, waits at most this long (~35 us at SHA-NI speed). The writer also takes one
 * step after each copy: with libmicrohttpd's ~128 KiB chunks it hashes about half of the
 * stream when the reader keeps up, and the reader the rest; the writer alone (the stream's
 * speed limit before) measured 15-20% slower in bench/images, the reader alone 5%. */
#define HASH_STEP (64u * 1024)

struct image_ring *image_ring_new(size_t size)
{
	struct image_ring *r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->room, NULL);
	pthread_cond_init(&r->data, NULL);
	pthread_cond_init(&r->hashed_more, NULL);
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

void image_ring_hash(struct image_ring *r, struct image_sha256 *h)
{
	pthread_mutex_lock(&r->mu);
	r->hash = h;
	r->hashed = r->head;
	pthread_mutex_unlock(&r->mu);
}

/* mu held: hashes [hashed, upto) outside the lock, waiting for the other side's step when it
 * is hashing; with step, one step of at most that many bytes. */
static void hash_upto(struct image_ring *r, uint64_t upto, size_t step)
{
	while (r->hashed < upto) {
		if (r->hbusy) {
			pthread_cond_wait(&r->hashed_more, &r->mu);
			continue;
		}
		uint64_t from = r->hashed;
		size_t off = (size_t)(from % r->size);
		size_t n = min3((size_t)(upto - from), r->size - off, step ? step : SIZE_MAX);
		r->hbusy = true;
		pthread_mutex_unlock(&r->mu);
		image_sha256_update(r->hash, r->buf + off, n);
		pthread_mutex_lock(&r->mu);
		r->hashed = from + n;
		r->hbusy = false;
		pthread_cond_broadcast(&r->hashed_more);
		if (step)
			return;
	}
}

/* mu held: a step of the hash when there is one to take (instead of waiting, or after a
 * copy). */
static bool hash_step(struct image_ring *r)
{
	if (!r->hash || r->hbusy || r->hashed >= r->head)
		return false;
	hash_upto(r, r->head, HASH_STEP);
	return true;
}

int image_ring_write(struct image_ring *r, const void *data, size_t len)
{
	const char *p = data;
	pthread_mutex_lock(&r->mu);
	while (len > 0 && !r->rclosed) {
		size_t used = (size_t)(r->head - r->tail);
		if (used == r->size) {
			if (hash_step(r))
				continue;
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
		if (r->rwait && r->head - r->tail - r->held >= r->batch)
			pthread_cond_signal(&r->data);
		hash_step(r);
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

/* mu held: what the reader is done with goes back as far as it is hashed. The reader hashes
 * the rest itself unless the writer is hashing: then the rest stays held (given back at a
 * later read) instead of the reader sleeping through the writer's step. */
static void give_back(struct image_ring *r)
{
	uint64_t end = r->tail + r->held, upto = end;
	if (r->hash) {
		if (!r->hbusy)
			hash_upto(r, end, 0); /* never waits: nobody else is hashing */
		upto = r->hashed < end ? r->hashed : end;
	}
	r->held -= (size_t)(upto - r->tail);
	r->tail = upto;
}

/* mu held: the reader waits for a batch of new data, giving back what it can meanwhile. */
static void wait_for_batch(struct image_ring *r)
{
	for (;;) {
		give_back(r);
		if (r->wwait && r->size - (size_t)(r->head - r->tail) >= r->batch)
			pthread_cond_signal(&r->room);
		if (r->head - r->tail - r->held >= r->batch || r->wclosed)
			return;
		if (hash_step(r))
			continue;
		if (r->hash && r->hbusy) { /* the writer's step, then what it leaves */
			pthread_cond_wait(&r->hashed_more, &r->mu);
			continue;
		}
		r->rwait = true;
		pthread_cond_wait(&r->data, &r->mu);
		r->rwait = false;
	}
}

ssize_t image_ring_read(struct image_ring *r, const void **buf)
{
	pthread_mutex_lock(&r->mu);
	wait_for_batch(r);
	uint64_t start = r->tail + r->held;
	size_t off = (size_t)(start % r->size);
	/* a batch at most: the writer goes on filling the rest meanwhile */
	size_t n = min3((size_t)(r->head - start), r->size - off, r->batch);
	r->held += n;
	pthread_mutex_unlock(&r->mu);
	*buf = r->buf + off;
	return (ssize_t)n;
}

void image_ring_close_read(struct image_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->rclosed = true;
	if (r->hash) /* all of it: the writer's step first */
		hash_upto(r, r->tail + r->held, 0);
	give_back(r);
	pthread_cond_signal(&r->room);
	pthread_mutex_unlock(&r->mu);
}

void image_ring_hash_finish(struct image_ring *r)
{
	pthread_mutex_lock(&r->mu);
	if (r->hash)
		hash_upto(r, r->head, 0);
	pthread_mutex_unlock(&r->mu);
}

void image_ring_free(struct image_ring *r)
{
	if (!r)
		return;
	pthread_cond_destroy(&r->room);
	pthread_cond_destroy(&r->data);
	pthread_cond_destroy(&r->hashed_more);
	pthread_mutex_destroy(&r->mu);
	free(r->buf);
	free(r);
}
