/* tap: a minimal TAP producer for berth's C unit tests.
 * ok(cond, name...) prints one test line; tap_done() prints the plan and the exit status. */
#ifndef BERTH_TESTS_TAP_H
#define BERTH_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline __attribute__((format(printf, 2, 3))) int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!cond)
		tap_failed++;
	return cond;
}

#define is_str(got, want, ...)                                                       \
	do {                                                                         \
		const char *_g = (got), *_w = (want);                                \
		if (!ok(_g && _w ? !strcmp(_g, _w) : _g == _w, __VA_ARGS__))         \
			printf("#   got: '%s'\n#  want: '%s'\n", _g ? _g : "(null)", \
			       _w ? _w : "(null)");                                  \
	} while (0)

#define is_int(got, want, ...)                                            \
	do {                                                              \
		long long _g = (long long)(got), _w = (long long)(want);  \
		if (!ok(_g == _w, __VA_ARGS__))                           \
			printf("#   got: %lld\n#  want: %lld\n", _g, _w); \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
