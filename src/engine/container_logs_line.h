/* engine/container_logs_line: a json-file log line of berth-monitor's shape decoded without a
 * general JSON parse (the common case of `docker logs`). Engine-private. */
#ifndef BERTH_ENGINE_CONTAINER_LOGS_LINE_H
#define BERTH_ENGINE_CONTAINER_LOGS_LINE_H

#include <stddef.h>
#include <stdint.h>

struct logs_line {
	char *text; /* malloc'd, NUL-terminated; len bytes */
	size_t len;
	int stream; /* 1 stdout, 2 stderr */
	int64_t ns;
};

/* 0 and *out filled, or -1 when the line isn't of that exact shape (decode it otherwise). */
int logs_line_decode(const char *line, size_t n, struct logs_line *out);

#endif
