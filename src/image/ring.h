/* image/ring: a byte ring from one writer thread to one reader thread, in place of a pipe
 * for an import's body: one copy instead of two, no pipe pages, no syscall per chunk, and
 * wake-ups per batch (a quarter of the ring) instead of per chunk. */
#ifndef BERTH_IMAGE_RING_H
#define BERTH_IMAGE_RING_H

#include <stddef.h>
#include <sys/types.h>

struct image_ring;

/* size: the buffer, bytes (small enough to stay in the cache between write and read). */
struct image_ring *image_ring_new(size_t size);
/* Copies all of data in, waiting for room; -1 once the reader has stopped (like EPIPE). */
int image_ring_write(struct image_ring *r, const void *data, size_t len);
/* No more data: the reader sees the end once it has read what is in. Idempotent. */
void image_ring_close_write(struct image_ring *r);
/* The next contiguous block (waits for a batch, or the end): *buf stays valid until the next
 * call, which gives its room back. 0 at the end. */
ssize_t image_ring_read(struct image_ring *r, const void **buf);
/* The reader stops: pending and later writes fail. */
void image_ring_close_read(struct image_ring *r);
void image_ring_free(struct image_ring *r);

#endif
