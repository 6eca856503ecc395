/* api_fuzz: libFuzzer target for the request path the daemon runs before a handler: the
 * /vX.Y prefix, route matching with path parameters (api_routes, the real table), and the
 * `filters` query argument (parse, validate, booleans, label matching).
 * Input: "METHOD URL\nFILTERS\nLABELS", the last two optional (FILTERS as in ?filters=,
 * LABELS a JSON object matched against a "label" filter). The query string itself is split
 * and percent-decoded by libmicrohttpd, not by berth; a "?..." in URL is cut off as it does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/filters.h"
#include "api/http.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const param_names[] = {"id", "name", "nope", NULL};

static void check_route(const char *method, const char *url)
{
	unsigned v;
	const char *rest;
	if (!api_split_version(url, &v, &rest))
		return;
	/* no prefix: version 0 and rest is the path; a prefix ("/v0/" too) leaves a path */
	if ((rest == url && v != 0) || (rest != url && (strncmp(url, "/v", 2) || *rest != '/')))
		abort();
	struct api_match m;
	if (!api_route_match(api_routes, api_routes_count, method, rest, &m)) {
		if (m.route || m.n)
			abort();
		return;
	}
	if (!m.route || m.n > API_MAX_PARAMS || strcmp(m.route->method, method))
		abort();
	for (size_t i = 0; i < m.n; i++)
		if (!m.values[i] || !*m.values[i])
			abort(); /* empty names never match */
	for (const char *const *p = param_names; *p; p++) {
		const char *val = api_match_param(&m, *p);
		if (val && strlen(val) > strlen(rest))
			abort();
	}
	api_match_release(&m);
}

static void check_filters(const char *s, const char *labels_s)
{
	static const char *const accepted[] = {"label", "dangling", "reference", "status", NULL};
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *f = api_filters_parse(s, &e);
	if (!f) {
		if (e.kind != ERR_INVALID)
			abort();
		return;
	}
	const char *name;
	json_t *vals;
	json_object_foreach (f, name, vals) {
		if (!json_is_array(vals))
			abort();
		bool b;
		struct err be = ERR_INIT;
		(void)api_filters_bool(f, name, true, &b, &be);
	}
	struct err ve = ERR_INIT;
	(void)api_filters_validate(f, accepted, &ve);
	_cleanup_json_ json_t *labels = json_loads(labels_s, JSON_DECODE_ANY, NULL);
	if (json_is_object(labels))
		(void)api_filters_match_labels(f, "label", labels);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = strndup((const char *)data, size);
	char *filters = strchr(s, '\n');
	if (filters)
		*filters++ = '\0';
	char *labels = filters ? strchr(filters, '\n') : NULL;
	if (labels)
		*labels++ = '\0';
	char *url = strchr(s, ' ');
	if (url) {
		*url++ = '\0';
		url[strcspn(url, "?")] = '\0';
		check_route(s, url);
	}
	if (filters)
		check_filters(filters, labels ? labels : "{}");
	return 0;
}
