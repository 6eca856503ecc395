/* Unit tests for src/image/ring: two readers get every byte in order whatever the writer's
 * chunk sizes and the wrap-arounds; the end is seen after the data; a first reader that stops
 * early makes the writer fail instead of blocking, a second one does not. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/ring.h"
#include "tap.h"

#define TOTAL (5u << 20) /* 5 MiB through a 256 KiB ring: many wrap-arounds */

static unsigned char byte_at(uint64_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

struct rd {
	struct image_ring *r;
	unsigned idx;
	uint64_t got;
	size_t stop_after; /* 0: read to the end */
	int bad, eof;
};

static void *reader(void *p)
{
	struct rd *d = p;
	const void *buf;
	ssize_t n;
	while ((n = image_ring_read(d->r, d->idx, &buf)) > 0) {
		const unsigned char *b = buf;
		for (ssize_t i = 0; i < n; i++)
			if (b[i] != byte_at(d->got + (uint64_t)i))
				d->bad++;
		d->got += (uint64_t)n;
		if (d->stop_after && d->got >= d->stop_after)
			break;
	}
	d->eof = n == 0;
	image_ring_close_read(d->r, d->idx);
	return NULL;
}

static int write_all(struct image_ring *r, unsigned char *src)
{
	/* odd chunk sizes, so writes straddle the end of the buffer */
	size_t off = 0, step = 1;
	while (off < TOTAL) {
		size_t n = step < TOTAL - off ? step : TOTAL - off;
		if (image_ring_write(r, src + off, n) < 0)
			return -1;
		off += n;
		step = step * 7 % 100003 + 1;
	}
	return 0;
}

static void test_two_readers(unsigned char *src)
{
	struct image_ring *r = image_ring_new(256 << 10);
	struct rd a = {r, 0, 0, 0, 0, 0}, b = {r, image_ring_add_reader(r), 0, 0, 0, 0};
	ok(b.idx == 1, "a second reader gets index 1");
	ok(image_ring_add_reader(r) == 0, "no third reader");
	pthread_t ta, tb;
	pthread_create(&ta, NULL, reader, &a);
	pthread_create(&tb, NULL, reader, &b);
	ok(write_all(r, src) == 0, "all written");
	image_ring_close_write(r);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ok(a.got == TOTAL && !a.bad && a.eof, "reader 0 got every byte in order, then the end");
	ok(b.got == TOTAL && !b.bad && b.eof, "reader 1 got every byte in order, then the end");
	image_ring_free(r);
}

static void test_first_reader_stops(unsigned char *src)
{
	struct image_ring *r = image_ring_new(64 << 10);
	struct rd a = {r, 0, 0, 100000, 0, 0};
	pthread_t ta;
	pthread_create(&ta, NULL, reader, &a);
	ok(write_all(r, src) < 0, "the writer fails once reader 0 stopped early (no hang)");
	pthread_join(ta, NULL);
	ok(a.got >= 100000 && !a.bad, "what reader 0 read was right");
	image_ring_close_write(r);
	image_ring_free(r);
}

static void test_second_reader_stops(unsigned char *src)
{
	struct image_ring *r = image_ring_new(64 << 10);
	struct rd a = {r, 0, 0, 0, 0, 0}, b = {r, image_ring_add_reader(r), 0, 100000, 0, 0};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, reader, &a);
	pthread_create(&tb, NULL, reader, &b);
	ok(write_all(r, src) == 0, "reader 1 stopping neither fails nor blocks the writer");
	image_ring_close_write(r);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ok(a.got == TOTAL && !a.bad && a.eof, "reader 0 still got everything");
	image_ring_free(r);
}

static void test_empty_stream(void)
{
	struct image_ring *r = image_ring_new(4096);
	image_ring_close_write(r);
	const void *buf;
	ok(image_ring_read(r, 0, &buf) == 0, "a stream closed at once reads as the end");
	image_ring_close_read(r, 0);
	image_ring_free(r);
}

int main(void)
{
	unsigned char *src = malloc(TOTAL);
	for (uint64_t i = 0; i < TOTAL; i++)
		src[i] = byte_at(i);
	test_two_readers(src);
	test_first_reader_stops(src);
	test_second_reader_stops(src);
	test_empty_stream();
	free(src);
	return tap_done();
}
