/* Regression tests for inputs the libFuzzer targets in fuzz/ found: each is the (minimised)
 * crashing or assertion-failing input, replayed through the same calls as its target. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/router.h"
#include "engine/container_config.h"
#include "engine/seccomp_profile.h"
#include "image/changes.h"
#include "image/ref.h"
#include "monitor/monitor_priv.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* ref_fuzz: s parses, and its full form parses back to the same reference. */
static void ref_round_trip(const char *s)
{
	struct err e = ERR_INIT;
	struct image_ref r, again;
	if (!ok(image_ref_parse(s, &r, &e) == 0, "ref: '%s' parses", s)) {
		printf("#   error: %s\n", e.msg);
		return;
	}
	_cleanup_free_ char *full = image_ref_string(&r);
	ok(image_ref_parse(full, &again, &e) == 0 && str_eq(r.domain, again.domain) &&
	       str_eq(r.path, again.path) && str_eq(r.tag, again.tag) &&
	       str_eq(r.digest, again.digest),
	   "ref: '%s' reparses to the same reference", full);
	image_ref_release(&again);
	image_ref_release(&r);
}

/* ref_fuzz found: a tag with capitals made the whole reference "must be lowercase", though
 * Docker checks only the repository name; WithTag accepted the same tag, so a tagged
 * reference did not parse back. */
static void test_ref_uppercase_tag(void)
{
	ref_round_trip("buslatx:busB");
	ref_round_trip("busybox:Latest");
	ref_round_trip("localhost:5000/a/b:V1@sha256:"
		       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	struct err e = ERR_INIT;
	struct image_ref r;
	ok(image_ref_parse("busyBox:latest", &r, &e) < 0 && e.kind == ERR_INVALID,
	   "ref: capitals in the repository name are still refused");
	struct image_ref t;
	ok(image_ref_parse("busybox", &t, &e) == 0 && image_ref_set_tag(&t, "busB", &e) == 0,
	   "ref: WithTag takes a tag with capitals");
	_cleanup_free_ char *tagged = image_ref_string(&t);
	ref_round_trip(tagged);
	image_ref_release(&t);
}

/* api_fuzz found: "/v0/..." splits to version 0, the value that also means "no prefix"; the
 * server took it for no prefix and answered as the newest version where dockerd says
 * "client version 0 is too old". A prefix is told by rest moving past it (server.c). */
static void test_api_version_zero(void)
{
	unsigned v = 1;
	const char *rest = NULL;
	const char *url = "/v0/_ping";
	ok(api_split_version(url, &v, &rest) && v == 0 && rest != url && !strcmp(rest, "/_ping"),
	   "api: /v0/_ping has a prefix of version 0");
	url = "/v0.0/info";
	ok(api_split_version(url, &v, &rest) && v == 0 && rest != url && !strcmp(rest, "/info"),
	   "api: /v0.0/info has a prefix of version 0");
	url = "/_ping";
	ok(api_split_version(url, &v, &rest) && v == 0 && rest == url, "api: /_ping has no prefix");
	url = "/v1.x/info";
	ok(!api_split_version(url, &v, &rest), "api: /v1.x/info is malformed");
}

static void duration_fails(const char *s)
{
	struct err e = ERR_INIT;
	int64_t ns = 0;
	ok(changes_parse_duration(s, "--interval", &ns, &e) < 0 && e.kind == ERR_INVALID,
	   "changes: duration '%s' is invalid", s);
}

/* changes_fuzz found (UBSan): a duration beyond int64 nanoseconds ("2.8e+42 is outside the
 * range of representable values") was cast anyway; strtod also took exponents, hex, inf and
 * nan, which Go's time.ParseDuration refuses. */
static void test_changes_duration_range(void)
{
	duration_fails("2800000000000000000000000000000000h");
	duration_fails("9223372036854775808ns");
	duration_fails("infh");
	duration_fails("nans");
	duration_fails("1e3s");
	duration_fails("0x10s");
	duration_fails("1.5.2s");
	struct err e = ERR_INIT;
	int64_t ns = 0;
	ok(changes_parse_duration("9223372036s", "d", &ns, &e) == 0 && ns == 9223372036000000000LL,
	   "changes: 9223372036s is in range");
	ok(changes_parse_duration("1.5h", "d", &ns, &e) == 0 && ns == 5400000000000LL,
	   "changes: 1.5h");
	ok(changes_parse_duration("1m30.5s", "d", &ns, &e) == 0 && ns == 90500000000LL,
	   "changes: 1m30.5s");
	ok(changes_parse_duration(".5s", "d", &ns, &e) == 0 && ns == 500000000LL, "changes: .5s");
	_cleanup_json_ json_t *cfg = image_config_new_container_config();
	char *changes[] = {"HEALTHCHECK --interval=99999999999999999999h CMD true", NULL};
	ok(image_changes_apply(cfg, changes, &e) < 0 && e.kind == ERR_INVALID,
	   "changes: HEALTHCHECK with an out-of-range interval is refused");
}

/* monitor_fuzz found: a control request that is not JSON and not UTF-8 made jansson's error
 * text (which quotes the input) unpackable, and mon_control aborted in jx_dumps(NULL). */
/* create_fuzz: {"HostConfig":{"Memory":1e300}} cast an out-of-range double to an integer
 * (undefined: the UBSan build, as CI runs the unit tests, aborted here). Not an integer: the
 * field must not come through as one. */
static void test_create_body_huge_number(void)
{
	struct err e = ERR_INIT;
	const char *body = "{\"HostConfig\":{\"Memory\":1e300}}";
	_cleanup_json_ json_t *b = jx_loads(body, strlen(body), &e);
	_cleanup_json_ json_t *cfg = b ? container_config_parse(b, &e) : NULL;
	json_t *mem = cfg ? json_object_get(json_object_get(cfg, "HostConfig"), "Memory") : NULL;
	ok(b && (!cfg || !json_is_integer(mem)), "create body: Memory 1e300 is no integer (%s)",
	   e.msg);
}

static void test_monitor_control_bad_utf8(void)
{
	static const char line[] =
	    "\x7b\x22\x6f\x74\x6f\x6f\x20\x62\x69\x67\x5c\x5c\x5c\x5c\x5c\xc9\xa4\xa3\xa3\xa5\x5c"
	    "\x5c\x5c\x5c\x5c\xa4\x9f\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c"
	    "\x5c\x5c\x5c\x00\x5c\x5c\x7d";
	int sv[2];
	if (!ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "monitor: socketpair"))
		return;
	struct monitor m = {.in_fd = -1, .master = -1};
	struct mon_client c = {.fd = sv[0], .kind = CLIENT_CONTROL};
	mon_control(&m, &c, line, sizeof(line) - 1);
	char buf[4096];
	ssize_t n = recv(sv[1], buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *j = n > 1 ? jx_loads(buf, (size_t)n - 1, &e) : NULL;
	ok(j && json_is_false(json_object_get(j, "ok")) &&
	       json_is_string(json_object_get(j, "error")),
	   "monitor: a non-UTF-8 control request gets an error reply");
	mon_buf_free(&c.out);
	close(sv[0]);
	close(sv[1]);
}

/* seccomp_fuzz found: a profile rule without "names" leaked the empty array made for it
 * (LeakSanitizer, as the unit tests run in CI); it resolves to a rule with no names. */
static void test_seccomp_rule_without_names(void)
{
	struct err e = ERR_INIT;
	const char *p = "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
			"\"syscalls\":[{\"action\":\"SCMP_ACT_ALLOW\"}]}";
	char *caps[] = {"CAP_CHOWN", NULL};
	json_t *oci = NULL;
	ok(seccomp_profile_check(p, &e) == 0, "seccomp: a rule without names is accepted");
	ok(seccomp_profile_resolve(p, caps, &oci, &e) == 0 &&
	       json_array_size(json_object_get(json_array_get(json_object_get(oci, "syscalls"), 0),
					       "names")) == 0,
	   "seccomp: it resolves to an empty names list");
	json_decref(oci);
}

/* seccomp_fuzz found: a profile whose archMap mixes arches libseccomp can't combine (x86_64
 * with MIPS) failed the create with an internal error (500) instead of a 400. */
static void test_seccomp_arches_invalid(void)
{
	struct err e = ERR_INIT;
	const char *p = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"architecture\":"
			"\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_MIPS\"]}]}";
	ok(seccomp_profile_check(p, &e) < 0 && e.kind == ERR_INVALID,
	   "seccomp: arches that can't be combined are invalid (%s)", e.msg);
}

int main(void)
{
	test_create_body_huge_number();
	test_monitor_control_bad_utf8();
	test_changes_duration_range();
	test_ref_uppercase_tag();
	test_api_version_zero();
	test_seccomp_rule_without_names();
	test_seccomp_arches_invalid();
	return tap_done();
}
