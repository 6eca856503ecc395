/* Unit tests for src/api/router: path patterns (literal, {x}, greedy {x*} for image names with
 * '/' and ':'), table order, methods, and the /vX.Y prefix; plus the real route table. */
#include <string.h>

#include "api/http.h"
#include "api/router.h"
#include "tap.h"
#include "util/cleanup.h"

static void h_a(struct api_req *req)
{
}

static const struct api_route table[] = {
    {"GET", "/images/json", h_a, NULL},
    {"POST", "/images/create", h_a, NULL},
    {"GET", "/images/{name*}/json", h_a, NULL},
    {"POST", "/images/{name*}/tag", h_a, NULL},
    {"DELETE", "/images/{name*}", h_a, NULL},
    {"GET", "/containers/{id}/json", h_a, NULL},
    {"POST", "/networks/{id}/{action}", h_a, NULL},
    {"GET", "/_ping", h_a, NULL},
};

/* Matches and checks the route index and (optionally) one parameter. */
static void matches(const char *method, const char *path, int want, const char *param,
		    const char *value)
{
	struct api_match m;
	bool ok_ = api_route_match(table, ARRAY_SIZE(table), method, path, &m);
	int got = ok_ ? (int)(m.route - table) : -1;
	is_int(got, want, "%s %s -> route %d", method, path, want);
	if (param)
		is_str(api_match_param(&m, param), value, "%s %s: %s = %s", method, path, param,
		       value);
	api_match_release(&m);
}

static void test_patterns(void)
{
	matches("GET", "/images/json", 0, NULL, NULL);
	matches("GET", "/images/busybox/json", 2, "name", "busybox");
	matches("GET", "/images/docker.io/library/busybox/json", 2, "name",
		"docker.io/library/busybox");
	matches("GET", "/images/127.0.0.1:5000/spy/bb:1/json", 2, "name",
		"127.0.0.1:5000/spy/bb:1");
	matches("GET", "/images/sha256:526a15d0964b/json", 2, "name", "sha256:526a15d0964b");
	matches("GET", "/images/json/json", 2, "name", "json"); /* an image named json */
	matches("GET", "/images/a/json/json", 2, "name", "a/json");
	matches("POST", "/images/spytag/bb:v1/tag", 3, "name", "spytag/bb:v1");
	matches("DELETE", "/images/spytag/bb:v1", 4, "name", "spytag/bb:v1");
	matches("DELETE", "/images/a/b/c", 4, "name", "a/b/c");
	matches("POST", "/images/create", 1, NULL, NULL);
	matches("GET", "/containers/abc/json", 5, "id", "abc");
	matches("POST", "/networks/n1/connect", 6, "action", "connect");
	matches("GET", "/_ping", 7, NULL, NULL);
}

static void test_misses(void)
{
	matches("GET", "/images", -1, NULL, NULL);
	matches("GET", "/images/", -1, NULL, NULL);
	matches("GET", "/images//json", -1, NULL, NULL); /* empty name */
	matches("GET", "/images/json/", -1, NULL, NULL);
	matches("PUT", "/images/json", -1, NULL, NULL);		/* wrong method */
	matches("HEAD", "/_ping", -1, NULL, NULL);		/* HEAD only where listed */
	matches("GET", "/containers/a/b/json", -1, NULL, NULL); /* {id} is one segment */
	matches("DELETE", "/images", -1, NULL, NULL);
	matches("GET", "/nope", -1, NULL, NULL);
	matches("GET", "", -1, NULL, NULL);
	matches("GET", "images/json", -1, NULL, NULL);
}

static void splits(const char *path, bool ok_want, unsigned v_want, const char *rest_want)
{
	unsigned v;
	const char *rest;
	bool r = api_split_version(path, &v, &rest);
	ok(r == ok_want, "split '%s' %s", path, ok_want ? "ok" : "refused");
	if (r && ok_want) {
		is_int(v, v_want, "'%s' version", path);
		is_str(rest, rest_want, "'%s' rest", path);
	}
}

static void test_versions(void)
{
	splits("/v1.45/images/json", true, API_VERSION(1, 45), "/images/json");
	splits("/v1.41/_ping", true, API_VERSION(1, 41), "/_ping");
	splits("/v1.5/info", true, API_VERSION(1, 5), "/info");
	splits("/v2/info", true, API_VERSION(2, 0), "/info");
	splits("/_ping", true, 0, "/_ping");
	splits("/volumes", true, 0, "/volumes");
	splits("/v1.x/info", false, 0, NULL);
	splits("/v1.45", false, 0, NULL);
	splits("/v99999999999.1/info", true, API_VERSION(10000, 1), "/info");
	ok(API_VERSION(1, 5) < API_VERSION(1, 24) && API_VERSION(1, 24) < API_VERSION(1, 45),
	   "versions compare numerically per component");
}

/* The daemon's table: fixed image routes win over the greedy ones. */
static void test_real_table(void)
{
	struct api_match m;
	ok(api_route_match(api_routes, api_routes_count, "GET", "/images/json", &m) &&
	       m.route->fn == api_images_list,
	   "GET /images/json is the list");
	api_match_release(&m);
	ok(api_route_match(api_routes, api_routes_count, "POST", "/images/create", &m) &&
	       m.route->stream == &api_images_create_body,
	   "POST /images/create streams its body");
	api_match_release(&m);
	ok(api_route_match(api_routes, api_routes_count, "GET", "/images/docker.io/library/bb/json",
			   &m) &&
	       m.route->fn == api_image_inspect &&
	       !strcmp(api_match_param(&m, "name"), "docker.io/library/bb"),
	   "inspect takes a greedy name");
	api_match_release(&m);
	ok(api_route_match(api_routes, api_routes_count, "HEAD", "/_ping", &m), "HEAD /_ping");
	api_match_release(&m);
	ok(!api_route_match(api_routes, api_routes_count, "GET", "/images/create", &m),
	   "GET /images/create is not a route");
}

int main(void)
{
	test_patterns();
	test_misses();
	test_versions();
	test_real_table();
	return tap_done();
}
