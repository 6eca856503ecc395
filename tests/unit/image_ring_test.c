/* Unit tests for src/image/ring: the reader gets every byte in order whatever the writer's
 * chunk sizes and the wrap-arounds, then the end; a reader that stops early makes the writer
 * fail instead of blocking; a stream closed at once is empty; an attached hash is the
 * stream's sha256 whichever side is the slower one. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/ring.h"
#include "tap.h"

#define TOTAL (5u << 20) /* 5 MiB through a small ring: many wrap-arounds */

static unsigned char byte_at(uint64_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

struct rd {
	struct image_ring *r;
	uint64_t got;
	size_t stop_after; /* 0: read to the end */
	int bad, eof;
	unsigned pause_us; /* after each block: a slow reader (the ring fills up) */
};

static void *reader(void *p)
{
	struct rd *d = p;
	const void *buf;
	ssize_t n;
	while ((n = image_ring_read(d->r, &buf)) > 0) {
		const unsigned char *b = buf;
		for (ssize_t i = 0; i < n; i++)
			if (b[i] != byte_at(d->got + (uint64_t)i))
				d->bad++;
		d->got += (uint64_t)n;
		if (d->pause_us && (d->got / 4096) % 3 == 0) /* now and then: both orders */
			usleep(d->pause_us);
		if (d->stop_after && d->got >= d->stop_after)
			break;
	}
	d->eof = n == 0;
	image_ring_close_read(d->r);
	return NULL;
}

static int write_all_paced(struct image_ring *r, const unsigned char *src, unsigned pause_us)
{
	/* odd chunk sizes, so that writes straddle the end of the buffer */
	size_t off = 0, step = 1;
	while (off < TOTAL) {
		size_t n = step < TOTAL - off ? step : TOTAL - off;
		if (image_ring_write(r, src + off, n) < 0)
			return -1;
		off += n;
		step = step * 7 % 100003 + 1;
		if (pause_us && off % 5 < 2)
			usleep(pause_us); /* a slow writer: the reader waits for data */
	}
	return 0;
}

static int write_all(struct image_ring *r, const unsigned char *src)
{
	return write_all_paced(r, src, 0);
}

static void test_stream(const unsigned char *src, size_t size)
{
	struct image_ring *r = image_ring_new(size);
	struct rd a = {r, 0, 0, 0, 0, 0};
	pthread_t t;
	pthread_create(&t, NULL, reader, &a);
	ok(write_all(r, src) == 0, "%zu-byte ring: all written", size);
	image_ring_close_write(r);
	image_ring_close_write(r); /* idempotent */
	pthread_join(t, NULL);
	ok(a.got == TOTAL && !a.bad && a.eof, "%zu-byte ring: every byte in order, then the end",
	   size);
	image_ring_free(r);
}

static void test_reader_stops(const unsigned char *src)
{
	struct image_ring *r = image_ring_new(64 << 10);
	struct rd a = {r, 0, 100000, 0, 0, 0};
	pthread_t t;
	pthread_create(&t, NULL, reader, &a);
	ok(write_all(r, src) < 0, "the writer fails once the reader stopped (no hang)");
	pthread_join(t, NULL);
	ok(a.got >= 100000 && !a.bad, "what the reader read was right");
	image_ring_close_write(r);
	image_ring_free(r);
}

static void test_empty_stream(void)
{
	struct image_ring *r = image_ring_new(4096);
	image_ring_close_write(r);
	const void *buf;
	ok(image_ring_read(r, &buf) == 0, "a stream closed at once reads as the end");
	image_ring_close_read(r);
	image_ring_free(r);
}

/* what: "fast", "slow reader", "slow writer" */
static void test_hashed(const unsigned char *src, const char *what, size_t size, unsigned rpause,
			unsigned wpause)
{
	struct image_ring *r = image_ring_new(size);
	struct image_sha256 h;
	image_sha256_init(&h, NULL);
	image_ring_hash(r, &h);
	struct rd a = {r, 0, 0, 0, 0, rpause};
	pthread_t t;
	pthread_create(&t, NULL, reader, &a);
	ok(write_all_paced(r, src, wpause) == 0, "hashed, %s: all written", what);
	image_ring_close_write(r);
	pthread_join(t, NULL);
	image_ring_hash_finish(r);
	char got[IMAGE_DIGEST_LEN + 1], want[IMAGE_DIGEST_LEN + 1];
	image_sha256_final(&h, got);
	image_sha256_release(&h);
	image_sha256_buf(src, TOTAL, want);
	ok(a.got == TOTAL && !a.bad, "hashed, %s: every byte in order", what);
	ok(!strcmp(got, want), "hashed, %s: the hash is the stream's sha256", what);
	image_ring_free(r);
}

/* A reader that stops early: the rest still written is hashed at the finish, no hang. */
static void test_hashed_reader_stops(const unsigned char *src)
{
	struct image_ring *r = image_ring_new(64 << 10);
	struct image_sha256 h;
	image_sha256_init(&h, NULL);
	image_ring_hash(r, &h);
	struct rd a = {r, 0, 100000, 0, 0, 0};
	pthread_t t;
	pthread_create(&t, NULL, reader, &a);
	ok(write_all(r, src) < 0, "hashed, the reader stops: the writer fails (no hang)");
	pthread_join(t, NULL);
	image_ring_close_write(r);
	image_ring_hash_finish(r);
	char got[IMAGE_DIGEST_LEN + 1];
	image_sha256_final(&h, got);
	image_sha256_release(&h);
	ok(!strncmp(got, "sha256:", 7), "hashed, the reader stops: the hash finishes");
	image_ring_free(r);
}

int main(void)
{
	alarm(120); /* a deadlock fails instead of hanging */
	unsigned char *src = malloc(TOTAL);
	for (uint64_t i = 0; i < TOTAL; i++)
		src[i] = byte_at(i);
	test_stream(src, 256 << 10);
	test_stream(src, 4096 + 7); /* not a multiple of anything the writer uses */
	test_reader_stops(src);
	test_empty_stream();
	test_hashed(src, "fast", 64 << 10, 0, 0);
	test_hashed(src, "odd ring size", 4096 + 7, 0, 0); /* steps split at the wrap */
	test_hashed(src, "slow reader", 64 << 10, 200, 0);
	test_hashed(src, "slow writer", 64 << 10, 0, 200);
	for (int i = 0; i < 4; i++) /* both sides stall now and then: every hand-over */
		test_hashed(src, "mixed", (16 << 10) + 512 * (size_t)i, 20 * (unsigned)i, 30);
	test_hashed_reader_stops(src);
	free(src);
	return tap_done();
}
