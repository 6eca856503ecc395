/* image/changes_value: value syntaxes inside change instructions: Go durations and EXPOSE
 * port specifications. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/changes.h"
#include "util/cleanup.h"
#include "util/str.h"

int changes_parse_duration(const char *s, const char *what, int64_t *ns, struct err *e)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {{"ns", 1},	 {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
		     {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	const char *p = s;
	double total = 0;
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	while (*p) {
		/* Go's numbers are digits with one optional '.': strtod alone would also take
		 * exponents, hex, "inf" and "nan" */
		char *end;
		size_t n = strspn(p, "0123456789.");
		double v = strtod(p, &end);
		if (n == 0 || end != p + n)
			return err_invalid(e, "%s: invalid duration '%s'", what, s);
		p = end;
		size_t best = 0, best_len = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			if (!strncmp(p, units[i].unit, l) && l > best_len) {
				best = i;
				best_len = l;
			}
		}
		if (!best_len)
			return err_invalid(e, "%s: missing unit in duration '%s'", what, s);
		total += v * units[best].mult;
		p += best_len;
	}
	/* out of int64 range is an error in Go, and undefined behaviour for the cast */
	if (p == s || !(total < 9223372036854775808.0))
		return err_invalid(e, "%s: invalid duration '%s'", what, s);
	*ns = (int64_t)total;
	return 0;
}

static int parse_port(const char *s, size_t n, unsigned *out)
{
	if (n == 0 || n > 5)
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = v;
	return 0;
}

int changes_add_ports(json_t *ports, const char *spec, struct err *e)
{
	/* [ip:][hostPort:]containerPort[/proto]: only the container port is exposed */
	const char *slash = strchr(spec, '/');
	_cleanup_free_ char *proto = str_dup(slash ? slash + 1 : "tcp");
	for (char *p = proto; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		return err_invalid(e, "invalid proto: %s", slash + 1);
	size_t plen = slash ? (size_t)(slash - spec) : strlen(spec);
	const char *colon = memrchr(spec, ':', plen);
	const char *cport = colon ? colon + 1 : spec;
	size_t clen = plen - (size_t)(cport - spec);
	const char *dash = memchr(cport, '-', clen);
	unsigned lo, hi;
	if (dash ? parse_port(cport, (size_t)(dash - cport), &lo) < 0 ||
		       parse_port(dash + 1, clen - (size_t)(dash - cport) - 1, &hi) < 0 || hi < lo
		 : parse_port(cport, clen, &lo) < 0)
		return err_invalid(e, "invalid containerPort: %.*s", (int)clen, cport);
	if (!dash)
		hi = lo;
	for (unsigned p = lo; p <= hi; p++) {
		_cleanup_free_ char *key = str_printf("%u/%s", p, proto);
		json_object_set_new(ports, key, json_object());
	}
	return 0;
}

static int health_flag(json_t *hc, const char *flag, struct err *e)
{
	static const char *const durations[][2] = {{"interval", "Interval"},
						   {"timeout", "Timeout"},
						   {"start-period", "StartPeriod"},
						   {"start-interval", "StartInterval"}};
	const char *eq = strchr(flag, '=');
	_cleanup_free_ char *name = eq ? str_ndup(flag + 2, (size_t)(eq - flag - 2)) : NULL;
	if (!name)
		return err_invalid(e, "HEALTHCHECK: missing value for %s", flag);
	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		if (strcmp(name, durations[i][0]) != 0)
			continue;
		int64_t ns;
		if (changes_parse_duration(eq + 1, flag, &ns, e) < 0)
			return -1;
		if (ns)
			json_object_set_new(hc, durations[i][1], json_integer(ns));
		return 0;
	}
	if (!strcmp(name, "retries")) {
		int n;
		if (str_to_int(eq + 1, &n, "--retries", e) < 0)
			return -1;
		if (n)
			json_object_set_new(hc, "Retries", json_integer(n));
		return 0;
	}
	return err_invalid(e, "HEALTHCHECK: unknown flag: %s", name);
}

int changes_apply_healthcheck(json_t *config, const char *rest, struct err *e)
{
	json_t *hc = json_object();
	json_object_set_new(config, "Healthcheck", hc);
	while (rest[0] == '-' && rest[1] == '-') {
		size_t n = strcspn(rest, " \t");
		_cleanup_free_ char *flag = str_ndup(rest, n);
		if (health_flag(hc, flag, e) < 0)
			return -1;
		rest += n;
		while (isspace((unsigned char)*rest))
			rest++;
	}
	size_t n = strcspn(rest, " \t");
	if (n == 4 && !strncasecmp(rest, "NONE", 4) && !rest[4]) {
		json_object_set_new(hc, "Test", json_pack("[s]", "NONE"));
		return 0;
	}
	if (n != 3 || strncasecmp(rest, "CMD", 3))
		return err_invalid(e, "Unknown type \"%.*s\" in HEALTHCHECK (try CMD)", (int)n,
				   rest);
	rest += 3;
	while (isspace((unsigned char)*rest))
		rest++;
	json_t *test = json_loads(rest, JSON_DECODE_ANY, NULL);
	if (json_is_array(test) && json_array_size(test) > 0) {
		json_array_insert_new(test, 0, json_string("CMD"));
	} else {
		json_decref(test);
		if (!*rest)
			return err_invalid(e, "Missing command after HEALTHCHECK CMD");
		test = json_pack("[s,s]", "CMD-SHELL", rest);
	}
	json_object_set_new(hc, "Test", test);
	return 0;
}
