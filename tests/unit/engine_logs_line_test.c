/* Unit tests for src/engine/container_logs_line.c: berth-monitor's json-file lines decoded in
 * place (escapes, streams, times), and every other shape handed back to the JSON parser. */
#include <stdlib.h>
#include <string.h>

#include "engine/container_logs_line.h"
#include "tap.h"

static int decode(const char *line, struct logs_line *l)
{
	memset(l, 0, sizeof(*l));
	return logs_line_decode(line, strlen(line), l);
}

int main(void)
{
	struct logs_line l;
	ok(decode("{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":"
		  "\"2026-11-23T08:03:02.396537428Z\"}\n",
		  &l) == 0,
	   "a stdout line");
	is_str(l.text, "hello\n", "its text");
	is_int((int)l.len, 6, "its length");
	is_int(l.stream, 1, "stdout is 1");
	ok(l.ns == 1795420982396537428LL, "its time in ns");
	free(l.text);
	ok(decode("{\"log\":\"a\\\"b\\\\c\\td\\/\\r\\n\",\"stream\":\"stderr\",\"time\":"
		  "\"2026-11-23T08:03:02Z\"}",
		  &l) == 0,
	   "escapes, stderr, no newline after the object");
	is_str(l.text, "a\"b\\c\td/\r\n", "escapes undone");
	is_int(l.stream, 2, "stderr is 2");
	free(l.text);
	ok(decode("{\"log\":\"\",\"stream\":\"stdout\",\"time\":\"2026-11-23T08:03:02Z\"}", &l) ==
		   0 &&
	       l.len == 0,
	   "an empty text");
	free(l.text);
	ok(decode("{\"log\":\"\\u001b[0m\\n\",\"stream\":\"stdout\",\"time\":"
		  "\"2026-11-23T08:03:02Z\"}",
		  &l) < 0,
	   "a \\u escape is left to the JSON parser");
	ok(decode("{\"stream\":\"stdout\",\"log\":\"x\\n\",\"time\":\"2026-11-23T08:03:02Z\"}",
		  &l) < 0,
	   "another key order is left to the JSON parser");
	ok(decode("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-23T08:03", &l) < 0,
	   "a cut line is refused");
	ok(decode("{\"log\":\"x\\n\",\"stream\":\"stdin\",\"time\":\"2026-11-23T08:03:02Z\"}", &l) <
	       0,
	   "an unknown stream is refused");
	ok(decode("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"yesterday\"}", &l) < 0,
	   "a bad time is refused");
	ok(decode("{\"log\":\"unterminated\\", &l) < 0, "a trailing backslash is refused");
	ok(decode("", &l) < 0, "an empty line is refused");
	return tap_done();
}
