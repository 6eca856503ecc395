/* image/ring: a byte ring from one writer thread to one reader thread, in place of a pipe
 * for an import's body: one copy instead of two, no pipe pages, no syscall per chunk,
 * wake-ups per batch (a quarter of the ring) instead of per chunk, and the stream's hash
 * shared by both threads. */
#ifndef BERTH_IMAGE_RING_H
#define BERTH_IMAGE_RING_H

#include <stddef.h>
#include <sys/types.h>

struct image_ring;
struct image_sha256;

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

/* Every byte written from now on goes into h, in order, hashed in steps by both sides: the
 * writer after each copy, either side instead of waiting (the writer when the ring is full,
 * the reader when it waits for data), and the reader for what is left of a block before it
 * gives it back (a block's room is free only once it is hashed). Call before the first
 * write; h stays the caller's. */
void image_ring_hash(struct image_ring *r, struct image_sha256 *h);
/* Both sides done: hashes what is left (the unread rest after a reader stopped early). */
void image_ring_hash_finish(struct image_ring *r);

#endif
