/* Unit tests for src/image/ref: Docker's reference grammar, normalisation, familiar forms. */
#include <stdlib.h>
#include <string.h>

#include "image/ref.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/str.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Parses s and checks its full and familiar forms. */
static void parses(const char *s, const char *full, const char *familiar)
{
	struct err e = ERR_INIT;
	struct image_ref r;
	if (!ok(image_ref_parse(s, &r, &e) == 0, "parse '%s'", s)) {
		printf("#   error: %s\n", e.msg);
		return;
	}
	_cleanup_free_ char *f = image_ref_string(&r);
	_cleanup_free_ char *fam = image_ref_familiar(&r);
	is_str(f, full, "'%s' normalises to %s", s, full);
	is_str(fam, familiar, "'%s' familiar form is %s", s, familiar);
	image_ref_release(&r);
}

static void fails(const char *s, const char *msg)
{
	struct err e = ERR_INIT;
	struct image_ref r;
	ok(image_ref_parse(s, &r, &e) < 0 && e.kind == ERR_INVALID, "'%s' is refused", s);
	is_str(e.msg, msg, "'%s' error text", s);
}

static void test_valid(void)
{
	parses("busybox", "docker.io/library/busybox", "busybox");
	parses("busybox:latest", "docker.io/library/busybox:latest", "busybox:latest");
	parses("library/busybox:1", "docker.io/library/busybox:1", "busybox:1");
	parses("docker.io/library/busybox", "docker.io/library/busybox", "busybox");
	parses("index.docker.io/spy/bb", "docker.io/spy/bb", "spy/bb");
	parses("docker.io/spytag/bb", "docker.io/spytag/bb", "spytag/bb");
	parses("127.0.0.1:5000/spy/bb:1", "127.0.0.1:5000/spy/bb:1", "127.0.0.1:5000/spy/bb:1");
	parses("localhost/foo", "localhost/foo", "localhost/foo");
	parses("localhost:5000", "docker.io/library/localhost:5000", "localhost:5000");
	parses("a__b/c-d.e_f", "docker.io/a__b/c-d.e_f", "a__b/c-d.e_f");
	parses("a--b", "docker.io/library/a--b", "a--b");
	parses("x/library/y", "docker.io/x/library/y", "x/library/y");
	parses("docker.io/library/a/b", "docker.io/library/a/b", "library/a/b");
	parses("bb:v1.0_x-y", "docker.io/library/bb:v1.0_x-y", "bb:v1.0_x-y");
	parses("bb@sha256:" HEX64, "docker.io/library/bb@sha256:" HEX64, "bb@sha256:" HEX64);
	parses("my.reg-1.io:443/a/b:t@sha256:" HEX64, "my.reg-1.io:443/a/b:t@sha256:" HEX64,
	       "my.reg-1.io:443/a/b:t@sha256:" HEX64);
}

static void test_invalid(void)
{
	const char *lower = "invalid reference format: repository name must be lowercase";
	fails("Busybox", lower);
	fails("spy/BB", lower);
	fails("Busybox:latest", lower);
	parses("busybox:Latest", "docker.io/library/busybox:Latest", "busybox:Latest");
	fails("", "invalid reference format");
	fails("a..b", "invalid reference format");
	fails("a___b", "invalid reference format");
	fails("a-_b", "invalid reference format");
	fails("-a", "invalid reference format");
	fails("a-", "invalid reference format");
	fails("a:", "invalid reference format");
	fails("a:b:c", "invalid reference format");
	fails("a//b", "invalid reference format");
	fails("a/", "invalid reference format");
	fails("a b", "invalid reference format");
	fails("-reg.io/a", "invalid reference format");
	fails("reg.io:/a", "invalid reference format");
	fails(HEX64, "invalid repository name (" HEX64 "), cannot specify 64-byte hexadecimal "
		     "strings");
	fails("bb@sha256:abc", "invalid reference format");
	fails("bb@sha256:0123456789abcdef0123456789abcdef", "invalid checksum digest length");
	fails("bb@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm");
	char tag[140] = "bb:";
	memset(tag + 3, 't', 129);
	fails(tag, "invalid reference format");
	char name[300];
	memset(name, 'a', 260);
	name[260] = '\0';
	fails(name, "repository name must not be more than 255 characters");
}

static void test_any_and_tags(void)
{
	struct err e = ERR_INIT;
	struct image_ref r;
	char *d = NULL;
	ok(image_ref_parse_any(HEX64, &r, &d, &e) == 0 && d && !r.path, "64 hex is an ID");
	is_str(d, "sha256:" HEX64, "ID gets sha256: prefix");
	free(d);
	ok(image_ref_parse_any("sha256:" HEX64, &r, &d, &e) == 0 && d, "digest is an ID");
	free(d);
	ok(image_ref_parse_any("sha256:526a", &r, &d, &e) == 0 && !d, "short sha256: is a name");
	_cleanup_free_ char *fam = image_ref_familiar(&r);
	is_str(fam, "sha256:526a", "... named sha256 with tag 526a");
	image_ref_default_tag(&r);
	is_str(r.tag, "526a", "default tag keeps an existing tag");
	image_ref_release(&r);

	ok(image_ref_parse("busybox", &r, &e) == 0, "parse busybox");
	image_ref_default_tag(&r);
	is_str(r.tag, "latest", "TagNameOnly adds latest");
	ok(image_ref_set_tag(&r, "bad tag", &e) < 0, "set_tag refuses a bad tag");
	is_str(e.msg, "invalid tag format", "tag error text");
	ok(image_ref_set_tag(&r, "V2", &e) == 0 && !strcmp(r.tag, "V2"),
	   "set_tag allows uppercase");
	ok(image_ref_set_tag(&r, "v2", &e) == 0, "set_tag");
	ok(image_ref_match("busy*", &r), "glob matches familiar string");
	ok(image_ref_match("busybox", &r), "glob matches familiar name");
	ok(!image_ref_match("library/*", &r), "library/ is not part of the familiar name");
	ok(!image_ref_match("*box:v1", &r), "tag must match");
	image_ref_release(&r);

	ok(image_ref_parse("127.0.0.1:5000/spy/bb:1", &r, &e) == 0, "parse registry ref");
	ok(image_ref_match("127.0.0.1:5000/spy/*", &r), "glob with registry");
	ok(!image_ref_match("*", &r), "* does not cross /");
	image_ref_release(&r);
	_cleanup_free_ char *f = image_ref_familiarize("docker.io/library/alpine:3.10");
	is_str(f, "alpine:3.10", "familiarize a stored reference");
}

int main(void)
{
	test_valid();
	test_invalid();
	test_any_and_tags();
	return tap_done();
}
