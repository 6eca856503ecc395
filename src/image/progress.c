/* image/progress: progress messages as dockerd's streamformatter writes them, with the bar of
 * JSONProgress.String() as a daemon renders it (bar and sizes; dockerd's stream shows no time
 * left: the client computes its own). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/progress.h"
#include "util/cleanup.h"
#include "util/str.h"

int64_t progress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

json_t *progress_status(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	json_t *j = json_pack("{s:s}", "status", s);
	free(s);
	return j;
}

json_t *progress_layer(const char *id, const char *status)
{
	return json_pack("{s:s, s:{}, s:s}", "status", status, "progressDetail", "id", id);
}

void progress_human_size(int64_t n, char *out, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	snprintf(out, len, "%.4g%s", v, units[u]);
}

static void render_bar(char *out, size_t len, int64_t cur, int64_t total)
{
	char hc[32], ht[32];
	progress_human_size(cur, hc, sizeof(hc));
	if (total <= 0) {
		snprintf(out, len, "%8s", hc);
		return;
	}
	progress_human_size(total, ht, sizeof(ht));
	int pct = (int)((double)cur / (double)total * 100) / 2;
	if (pct > 50)
		pct = 50;
	if (pct < 0)
		pct = 0;
	char box[64];
	memset(box, '=', (size_t)pct);
	box[pct] = '>';
	memset(box + pct + 1, ' ', (size_t)(50 - pct));
	box[51] = '\0';
	if (cur > total)
		snprintf(out, len, "[%s] %8s", box, hc);
	else
		snprintf(out, len, "[%s] %8s/%s", box, hc, ht);
}

json_t *progress_bar(const char *id, const char *status, int64_t current, int64_t total,
		     int64_t start_ns)
{
	char bar[160];
	render_bar(bar, sizeof(bar), current, total);
	json_t *detail = json_pack("{s:I}", "current", (json_int_t)current);
	if (total > 0)
		json_object_set_new(detail, "total", json_integer(total));
	return json_pack("{s:s, s:o, s:s, s:s}", "status", status, "progressDetail", detail,
			 "progress", bar, "id", id);
}
