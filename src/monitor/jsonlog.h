/* jsonlog: the container's log in Docker's json-file format: one JSON object per line of
 * output, complete lines only (partials held back), with size-based rotation. */
#ifndef BERTH_MONITOR_JSONLOG_H
#define BERTH_MONITOR_JSONLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/err.h"

enum jlog_stream { JLOG_STDOUT = 0, JLOG_STDERR = 1 };

/* A partial line is written as it is once it reaches this size (as Docker's copier). */
#define JLOG_PARTIAL_MAX 16384

struct jlog {
	int fd;
	char *path;
	uint64_t max_size; /* 0: no rotation */
	int max_file;	   /* files kept, FILE included (>= 1) */
	uint64_t size;	   /* of the current file */
	char *partial[2];  /* per stream: text after the last '\n' */
	size_t partial_len[2];
	char *batch; /* encoded lines waiting for one write() */
	size_t batch_len, batch_cap;
	bool failed; /* a write failed: logging stops (the container must not) */
};

/* Upper bound of the encoded size of a line of len bytes. */
size_t jlog_encode_max(size_t len);
/* Encodes one line as {"log":...,"stream":...,"time":...}\n into out (jlog_encode_max
 * bytes at least); returns its length. Pure: Docker's escaping, invalid UTF-8 -> U+FFFD. */
size_t jlog_encode(char *out, const char *text, size_t len, enum jlog_stream s,
		   const struct timespec *ts);
/* RFC 3339 UTC with exactly 9 fraction digits into out (at least 64 bytes). */
void jlog_format_time(char *out, const struct timespec *ts);

int jlog_open(struct jlog *l, const char *path, uint64_t max_size, int max_file, struct err *e);
/* Appends output read from a stream: complete lines go to the file, the rest waits. */
void jlog_write(struct jlog *l, enum jlog_stream s, const char *data, size_t len,
		const struct timespec *ts);
/* Writes the partial lines as they are (at EOF of the streams). */
void jlog_flush(struct jlog *l, const struct timespec *ts);
void jlog_close(struct jlog *l);

#endif
