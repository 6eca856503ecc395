/* Unit tests for the registry client's pure parts: manifests (lists, indexes, schema 2, OCI,
 * bad ones), insecure-registry matching, X-Registry-Auth decoding, progress bars. */
#include <stdlib.h>
#include <string.h>

#include "image/manifest.h"
#include "image/progress.h"
#include "image/registry.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

#define D(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static int parse(const char *json, const char *mt, struct image_manifest *m, struct err *e)
{
	return image_manifest_parse(json, strlen(json), mt, "amd64", m, e);
}

static void test_manifest_image(void)
{
	struct image_manifest m;
	struct err e = ERR_INIT;
	const char *s2 =
	    "{\"schemaVersion\":2,\"mediaType\":\"" REGISTRY_MT_DOCKER_V2 "\","
	    "\"config\":{\"digest\":\"" D(
		"aa") "\",\"size\":10},"
		      "\"layers\":[{\"mediaType\":\"" REGISTRY_MT_DOCKER_GZIP "\",\"size\":5,"
		      "\"digest\":\"" D(
			  "bb") "\"},{\"mediaType\":"
				"\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" D(
				    "cc") "\"}]}";
	ok(parse(s2, NULL, &m, &e) == 0, "schema 2 manifest parses");
	ok(!m.index && m.n == 2, "two layers, not an index");
	is_str(m.config, D("aa"), "config digest");
	is_str(m.layers[0].digest, D("bb"), "layer 0 digest");
	is_int(m.layers[0].size, 5, "layer 0 size");
	is_int(m.layers[1].size, -1, "a layer without size");
	image_manifest_release(&m);
	/* an OCI manifest without mediaType is known by its shape */
	const char *oci = "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D("aa") "\"},"
										   "\"layers\":[]}";
	ok(parse(oci, REGISTRY_MT_OCI_V1, &m, &e) == 0 && m.n == 0, "OCI manifest, no layers");
	image_manifest_release(&m);
}

static void test_manifest_index(void)
{
	struct image_manifest m;
	struct err e = ERR_INIT;
	const char *idx =
	    "{\"schemaVersion\":2,\"mediaType\":\"" REGISTRY_MT_OCI_INDEX "\","
	    "\"manifests\":[{\"digest\":\"" D(
		"11") "\",\"platform\":{\"os\":\"linux\","
		      "\"architecture\":\"arm64\"}},{\"digest\":\"" D(
			  "22") "\",\"platform\":"
				"{\"os\":\"windows\",\"architecture\":\"amd64\"}},{\"digest\":\"" D(
				    "33") "\","
					  "\"platform\":{\"os\":\"linux\",\"architecture\":"
					  "\"amd64\"}}]}";
	ok(parse(idx, NULL, &m, &e) == 0 && m.index, "index parses");
	is_str(m.child, D("33"), "linux/amd64 picked");
	image_manifest_release(&m);
	const char *none = "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D(
	    "11") "\","
		  "\"platform\":{\"os\":\"linux\",\"architecture\":\"s390x\"}}]}";
	ok(parse(none, REGISTRY_MT_DOCKER_LIST, &m, &e) < 0 && e.kind == ERR_NOT_FOUND,
	   "no entry for the platform is a not-found");
	is_str(e.msg, "no matching manifest for linux/amd64 in the manifest list entries",
	       "dockerd's text");
}

static void bad(const char *json, const char *want)
{
	struct image_manifest m;
	struct err e = ERR_INIT;
	ok(parse(json, NULL, &m, &e) < 0 && e.kind == ERR_INVALID, "refused: %s", json);
	ok(strstr(e.msg, want) != NULL, "message has '%s' (%s)", want, e.msg);
}

static void test_manifest_bad(void)
{
	bad("[]", "expected a JSON object");
	bad("{", "invalid manifest");
	bad("{\"schemaVersion\":1,\"fsLayers\":[]}", "schema 1");
	bad("{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", "unsupported manifest media");
	bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"md5:x\"},\"layers\":[]}", "config");
	bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D("aa") "\"},\"layers\":{}}",
	    "layers must be an array");
	bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D(
		"aa") "\"},\"layers\":[{\"digest\":"
		      "\"" D("bb") "\",\"mediaType\":\"application/"
				   "vnd.docker.image.rootfs.foreign.diff.tar"
				   ".gzip\"}]}",
	    "foreign layer");
	bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D(
		"aa") "\"},\"layers\":[{\"digest\":"
		      "\"" D("bb") "\",\"mediaType\":\"application/x-rar\"}]}",
	    "unsupported layer media type");
	bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D(
		"aa") "\"},\"layers\":[{\"digest\":"
		      "\"" D("bb") "\",\"mediaType\":\"" REGISTRY_MT_DOCKER_GZIP
				   "\",\"size\":-4}]}",
	    "negative size");
	bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D("aa") "\"},\"layers\":[7]}",
	    "expected an object");
}

static void test_insecure(void)
{
	char *list[] = {"myreg.local:5000", "10.1.0.0/16", "http://plain.example", NULL};
	ok(registry_is_insecure("localhost:5000", NULL), "localhost");
	ok(registry_is_insecure("127.0.0.1:5000", NULL), "127.0.0.1");
	ok(registry_is_insecure("127.8.9.10", NULL), "127.0.0.0/8");
	ok(registry_is_insecure("[::1]:5000", NULL), "::1");
	ok(!registry_is_insecure("docker.io", list), "docker.io is not");
	ok(registry_is_insecure("myreg.local:5000", list), "host:port entry");
	ok(!registry_is_insecure("myreg.local:5001", list), "another port is not");
	ok(registry_is_insecure("10.1.200.3:443", list), "CIDR entry");
	ok(!registry_is_insecure("10.2.0.1", list), "outside the CIDR");
	ok(registry_is_insecure("plain.example", list), "entry with a scheme");
}

static void test_auth_decode(void)
{
	struct registry_auth a;
	struct err e = ERR_INIT;
	ok(registry_auth_decode("e30=", &a, &e) == 0 && !a.username, "{} is no credentials");
	registry_auth_release(&a);
	/* {"username":"al","password":"p?","serveraddress":"r:5"} in base64url, no padding */
	const char *json = "{\"username\":\"al\",\"password\":\"p?>\",\"serveraddress\":\"r:5\"}";
	_cleanup_free_ char *b = NULL;
	{
		static const char tbl[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		size_t n = strlen(json);
		b = xcalloc(n * 2 + 4, 1);
		size_t o = 0;
		for (size_t i = 0; i < n; i += 3) {
			unsigned v = (unsigned char)json[i] << 16;
			if (i + 1 < n)
				v |= (unsigned char)json[i + 1] << 8;
			if (i + 2 < n)
				v |= (unsigned char)json[i + 2];
			b[o++] = tbl[v >> 18 & 63];
			b[o++] = tbl[v >> 12 & 63];
			if (i + 1 < n)
				b[o++] = tbl[v >> 6 & 63];
			if (i + 2 < n)
				b[o++] = tbl[v & 63];
		}
	}
	ok(registry_auth_decode(b, &a, &e) == 0, "base64url JSON decodes");
	is_str(a.username, "al", "username");
	is_str(a.password, "p?>", "password");
	is_str(a.server, "r:5", "serveraddress");
	registry_auth_release(&a);
	_cleanup_json_ json_t *j = json_pack("{s:s}", "auth", "Ym9iOnNlYzpyZXQ="); /* bob:sec:ret */
	ok(registry_auth_from_json(j, &a, &e) == 0, "auth field");
	is_str(a.username, "bob", "auth field username");
	is_str(a.password, "sec:ret", "auth field password keeps its colon");
	registry_auth_release(&a);
	ok(registry_auth_decode("!!!notbase64", &a, &e) == 0 && !a.username,
	   "an undecodable header means anonymous, as dockerd");
	/* registry_auth_fuzz found: lone padding made the decoded length wrap below zero */
	const char *pads[] = {"=", "==", "===", "====", "e30==="};
	for (size_t i = 0; i < ARRAY_SIZE(pads); i++)
		ok(registry_auth_decode(pads[i], &a, &e) == 0 && !a.username,
		   "padding alone '%s' is no credentials", pads[i]);
	/* registry_auth_fuzz found: a "password" beside "auth" leaked (auth's replaced it), and
	 * a bad "auth" returned its error with that password still filled in */
	_cleanup_json_ json_t *both =
	    json_pack("{s:s,s:s}", "auth", "Ym9iOng6eQ==", "password", "p");
	ok(registry_auth_from_json(both, &a, &e) == 0, "auth beside password");
	is_str(a.password, "x:y", "auth's password wins");
	registry_auth_release(&a);
	_cleanup_json_ json_t *bad =
	    json_pack("{s:s,s:s}", "auth", "bm9jb2xvbg==", "password", "p");
	ok(registry_auth_from_json(bad, &a, &e) < 0 && !a.password && !a.username,
	   "a bad auth field: an error and nothing filled in");
}

static void test_progress(void)
{
	char hs[32];
	progress_human_size(2243000, hs, sizeof(hs));
	is_str(hs, "2.243MB", "HumanSize");
	progress_human_size(999, hs, sizeof(hs));
	is_str(hs, "999B", "bytes");
	_cleanup_json_ json_t *m = progress_bar("abc", "Downloading", 512, 1024, 0);
	const char *bar = json_string_value(json_object_get(m, "progress"));
	is_str(bar, "[=========================>                         ]     512B/1.024kB",
	       "half a bar");
	is_int(json_integer_value(json_object_get(json_object_get(m, "progressDetail"), "total")),
	       1024, "progressDetail.total");
	_cleanup_json_ json_t *l = progress_layer("abc", "Pull complete");
	_cleanup_free_ char *s = jx_dumps(l);
	is_str(s, "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"abc\"}",
	       "layer message shape");
}

int main(void)
{
	test_manifest_image();
	test_manifest_index();
	test_manifest_bad();
	test_insecure();
	test_auth_decode();
	test_progress();
	return tap_done();
}
