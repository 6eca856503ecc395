/* image/progress: the JSON progress messages dockerd streams for pulls and pushes
 * (pkg/jsonmessage): status lines, per-layer states and progress bars rendered as dockerd does. */
#ifndef BERTH_IMAGE_PROGRESS_H
#define BERTH_IMAGE_PROGRESS_H

#include <jansson.h>
#include <stdint.h>

/* Receives each message (stolen); called from several threads at once. */
typedef void image_progress_fn(void *arg, json_t *msg);

/* {"status": s} */
json_t *progress_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* {"status": s, "progressDetail": {}, "id": id} */
json_t *progress_layer(const char *id, const char *status);
/* {"status", "progressDetail": {"current", "total"}, "progress": "[==>  ]  1.2MB/3.4MB", "id"};
 * start_ns is the transfer's start (monotonic), kept for clients' rates. */
json_t *progress_bar(const char *id, const char *status, int64_t current, int64_t total,
		     int64_t start_ns);
/* go-units HumanSize: "2.243MB" (decimal units, 4 significant digits). */
void progress_human_size(int64_t n, char *out, size_t len);
/* Monotonic clock in ns. */
int64_t progress_now(void);

#endif
