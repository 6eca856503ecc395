/* image/ring: a byte ring from one writer thread to one or two reader threads (each reads the
 * whole stream), in place of a pipe for an import's body: one copy instead of two, no pipe
 * pages, no syscall per chunk, and a second consumer (the hash) without a second copy. */
#ifndef BERTH_IMAGE_RING_H
#define BERTH_IMAGE_RING_H

#include <stddef.h>
#include <sys/types.h>

#define IMAGE_RING_READERS 2

struct image_ring;

/* size: the buffer, bytes (a few MiB: the readers' work is bursty). One reader: 0. */
struct image_ring *image_ring_new(size_t size);
/* Another reader (1), before the first write; 0 when there is no room for one. */
unsigned image_ring_add_reader(struct image_ring *r);
/* Copies all of data in, waiting for room; -1 once reader 0 has stopped early (like EPIPE). */
int image_ring_write(struct image_ring *r, const void *data, size_t len);
/* No more data: the readers see the end once they have read what is in. */
void image_ring_close_write(struct image_ring *r);
/* The reader's next contiguous block (waits for one): *buf stays valid until its next call,
 * which gives the block's room back. 0 at the end. */
ssize_t image_ring_read(struct image_ring *r, unsigned reader, const void **buf);
/* The reader stops (its room is free from now on); reader 0 before the end: pending and
 * later writes fail. */
void image_ring_close_read(struct image_ring *r, unsigned reader);
void image_ring_free(struct image_ring *r);

#endif
