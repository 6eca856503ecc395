/* cli/stream: output streams from the daemon: stdcopy frames (8-byte header: stream, 0, 0, 0,
 * big-endian length) split to stdout/stderr, or raw TTY bytes passed through. */
#ifndef BERTH_CLI_STREAM_H
#define BERTH_CLI_STREAM_H

#include <stdbool.h>
#include <stddef.h>

struct demux {
	bool raw; /* TTY: no frames */
	unsigned char hdr[8];
	size_t hlen;  /* header bytes gathered */
	size_t left;  /* payload bytes left in the current frame */
	int fd;	      /* where the current frame goes */
	int out, err; /* destinations (1 and 2) */
};

void demux_init(struct demux *d, bool raw);
/* Feeds a piece of the stream (frames may span pieces); -1 when a write fails. */
int demux_feed(struct demux *d, const char *buf, size_t n);

#endif
