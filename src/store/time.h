/* store/time: timestamps as records and the Engine API carry them: nanoseconds since the
 * epoch, RFC 3339 with Go's RFC3339Nano trimming, and parsing of what clients send. */
#ifndef BERTH_STORE_TIME_H
#define BERTH_STORE_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define STORE_TIME_MAX	40
#define STORE_TIME_ZERO "0001-01-01T00:00:00Z"

int64_t store_time_now(void); /* CLOCK_REALTIME in ns */
/* "2026-11-23T08:03:02.3965374Z" (trailing zeros of the fraction dropped, as Go does). */
void store_time_format(int64_t ns, char out[STORE_TIME_MAX]);
/* Exactly nine fraction digits (docker logs -t). */
void store_time_format_fixed(int64_t ns, char out[STORE_TIME_MAX]);
/* RFC 3339 with optional fraction and Z or +hh:mm; ERR_INVALID otherwise. */
int store_time_parse(const char *s, int64_t *ns, struct err *e);
/* Docker's since/until: "1795420985" or "1795421073.123456789" seconds; ERR_INVALID. */
int store_time_parse_unix(const char *s, int64_t *ns, struct err *e);

#endif
