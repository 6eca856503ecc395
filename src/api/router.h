/* api/router: route tables and path matching: literal segments, {name} (one segment) and a
 * greedy {name*} (one or more, for image names with '/' and ':'), plus /vX.Y prefixes. */
#ifndef BERTH_API_ROUTER_H
#define BERTH_API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define API_MAX_PARAMS 4

struct api_req;
typedef void api_handler_fn(struct api_req *req);

/* Routes whose body is streamed to the handler instead of buffered (import, load, archive
 * uploads). begin runs before the first body byte; data for each piece; cleanup at the end
 * of the request whatever happened. A failing begin/data makes the rest of the body be
 * discarded and the error be the reply. */
struct api_body_ops {
	int (*begin)(struct api_req *req, struct err *e);
	int (*data)(struct api_req *req, const char *buf, size_t len, struct err *e);
	void (*cleanup)(struct api_req *req);
};

struct api_route {
	const char *method;
	const char *pattern;
	api_handler_fn *fn;
	const struct api_body_ops *stream; /* NULL: the body is buffered */
};

struct api_match {
	const struct api_route *route;
	size_t n;
	const char *names[API_MAX_PARAMS]; /* point into the pattern; not NUL-terminated */
	size_t name_len[API_MAX_PARAMS];
	char *values[API_MAX_PARAMS];
};

/* First route (in table order) matching method and path. Fixed routes must come before
 * greedy ones. Returns false (m->route NULL) when none does. */
bool api_route_match(const struct api_route *routes, size_t n, const char *method, const char *path,
		     struct api_match *m);
const char *api_match_param(const struct api_match *m, const char *name);
void api_match_release(struct api_match *m);

/* "/v1.45/images/json" -> *version 1045 (major*1000+minor), *rest "/images/json";
 * no prefix -> *version 0 and rest = path. false for a malformed prefix ("/v1.x/"). */
bool api_split_version(const char *path, unsigned *version, const char **rest);

#define API_VERSION(maj, min) ((unsigned)(maj)*1000u + (unsigned)(min))

#endif
