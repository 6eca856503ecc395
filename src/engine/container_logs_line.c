/* engine/container_logs_line: one json-file log line as berth-monitor writes it
 * ({"log":"…","stream":"stdout|stderr","time":"…"}, src/monitor/jsonlog.c) decoded in place:
 * `docker logs` of 100 MiB is a million lines, and a general JSON parse per line (an object,
 * three strings) was three quarters of the time. Anything else (a \u escape, another key
 * order, dockerd's own files) is left to jansson by the caller. */
#include <stdlib.h>
#include <string.h>

#include "engine/container_logs_line.h"
#include "store/time.h"
#include "util/str.h"

/* The log string's text, its simple escapes undone; NULL for a \u escape or a malformed one.
 * s is after the opening quote, the line NUL-terminated at limit; *end gets the closing
 * quote. Runs of plain bytes are found with strcspn and copied whole. */
static char *unescape(const char *s, const char *limit, const char **end, size_t *len)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char *out = xmalloc((size_t)(limit - s) + 1), *o = out;
	const char *p = s;
	for (;;) {
		size_t k = strcspn(p, "\"\\");
		if (p + k >= limit)
			break;
		memcpy(o, p, k);
		o += k;
		p += k;
		if (*p == '"') {
			*o = '\0';
			*end = p;
			*len = (size_t)(o - out);
			return out;
		}
		const char *m = p[1] ? strchr(from, p[1]) : NULL;
		if (!m) /* \u…: jansson's business (surrogates, validation) */
			break;
		*o++ = to[m - from];
		p += 2;
	}
	free(out);
	return NULL;
}

int logs_line_decode(const char *line, size_t n, struct logs_line *out)
{
	static const char head[] = "{\"log\":\"",
			  out_mid[] = "\",\"stream\":\"stdout\",\"time\":\"",
			  err_mid[] = "\",\"stream\":\"stderr\",\"time\":\"";
	const char *limit = line + n;
	if (n < sizeof(head) || memcmp(line, head, sizeof(head) - 1))
		return -1;
	const char *q;
	char *text = unescape(line + sizeof(head) - 1, limit, &q, &out->len);
	if (!text)
		return -1;
	size_t mid = sizeof(out_mid) - 1;
	const char *t = q + mid, *tend = NULL;
	if ((size_t)(limit - q) >= mid + 3 &&
	    (!memcmp(q, out_mid, mid) || !memcmp(q, err_mid, mid)))
		tend = memchr(t, '"', (size_t)(limit - t));
	if (!tend || limit - tend < 2 || tend[1] != '}') {
		free(text);
		return -1;
	}
	char when[STORE_TIME_MAX + 8];
	size_t wl = (size_t)(tend - t);
	if (wl >= sizeof(when) ||
	    (memcpy(when, t, wl), when[wl] = '\0', store_time_parse(when, &out->ns, NULL) < 0)) {
		free(text);
		return -1;
	}
	out->stream = q[15] == 'e' ? 2 : 1; /* "stderr" vs "stdout" */
	out->text = text;
	return 0;
}
