/* store/time: RFC 3339 formatting and parsing without locale or TZ dependence. */
#include "store/time.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NS 1000000000LL

int64_t store_time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static void split(int64_t ns, time_t *sec, long *frac)
{
	*sec = (time_t)(ns / NS);
	*frac = (long)(ns % NS);
	if (*frac < 0) {
		*frac += NS;
		(*sec)--;
	}
}

void store_time_format_fixed(int64_t ns, char out[STORE_TIME_MAX])
{
	time_t sec;
	long frac;
	split(ns, &sec, &frac);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t n = strftime(out, STORE_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, STORE_TIME_MAX - n, ".%09ldZ", frac);
}

void store_time_format(int64_t ns, char out[STORE_TIME_MAX])
{
	if (ns == 0) {
		snprintf(out, STORE_TIME_MAX, "%s", STORE_TIME_ZERO);
		return;
	}
	store_time_format_fixed(ns, out);
	char *dot = strchr(out, '.');
	char *end = dot + 10; /* the 'Z' */
	while (end > dot + 1 && end[-1] == '0')
		end--;
	if (end == dot + 1)
		end = dot;
	memmove(end, "Z", 2);
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

int store_time_parse(const char *s, int64_t *ns, struct err *e)
{
	const char *p = s;
	struct tm tm = {0};
	int y, mo, d, h, mi, se;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' ') || !*p++ ||
	    digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &se))
		return err_invalid(e, "invalid time '%s': not RFC 3339", s);
	long frac = 0;
	if (*p == '.') {
		int nd = 0;
		for (p++; isdigit((unsigned char)*p); p++, nd++)
			if (nd < 9)
				frac = frac * 10 + (*p - '0');
		for (; nd < 9; nd++)
			frac *= 10;
	}
	long off = 0;
	if (*p == '+' || *p == '-') {
		int oh, om;
		int sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
			return err_invalid(e, "invalid time '%s': bad zone offset", s);
		off = sign * (oh * 3600L + om * 60L);
	} else if (*p == 'Z' || *p == 'z') {
		p++;
	} else {
		return err_invalid(e, "invalid time '%s': missing zone", s);
	}
	if (*p)
		return err_invalid(e, "invalid time '%s': trailing characters", s);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	int64_t sec = (int64_t)timegm(&tm) - off;
	if (sec <= INT64_MIN / NS || sec >= INT64_MAX / NS) {
		/* outside 1678-2262 nanoseconds don't fit; Go's zero time (0001-01-01), what an
		 * unset time reads as, is no time (found by UBSan: an unstarted container) */
		if (y == 1 && mo == 1 && d == 1) {
			*ns = 0;
			return 0;
		}
		return err_invalid(e, "invalid time '%s': out of range", s);
	}
	*ns = sec * NS + frac;
	return 0;
}

int store_time_parse_unix(const char *s, int64_t *ns, struct err *e)
{
	long long sec = 0, frac = 0;
	int nd = 0;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return err_invalid(e, "invalid timestamp '%s'", s);
	for (; isdigit((unsigned char)*p); p++)
		sec = sec * 10 + (*p - '0');
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, nd++)
			if (nd < 9)
				frac = frac * 10 + (*p - '0');
	if (*p)
		return err_invalid(e, "invalid timestamp '%s'", s);
	for (; nd < 9; nd++)
		frac *= 10;
	*ns = (int64_t)sec * NS + frac;
	return 0;
}
