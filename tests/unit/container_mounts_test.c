/* container_mounts_test: the mount specs of a create request as dockerd parses them (-v
 * binds and volumes with modes, --mount, --tmpfs, --volumes-from, image VOLUMEs), the errors
 * for bad ones, and the user mounts of the OCI config (options, order, defaults replaced). */
#include <string.h>

#include "engine/container_mounts.h"
#include "engine/ocispec.h"
#include "engine/volume.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static json_t *from(void *arg, const char *name, struct err *e)
{
	if (strcmp(name, "src") != 0) {
		err_invalid(e, "No such container: %s", name);
		return NULL;
	}
	return json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}, {s:s, s:s, s:s, s:s, s:b}]",
			 "Type", "volume", "Name", "shared", "Source", "/v/shared/_data",
			 "Destination", "/shared", "Driver", "local", "Mode", "z", "RW", 1,
			 "Propagation", "", "Type", "tmpfs", "Source", "", "Destination", "/tt",
			 "Mode", "", "RW", 1);
}

static const struct mounts_src ms = {"/v", from, NULL};

/* Parses HostConfig hc (JSON) with Config cfg (JSON or NULL); NULL and *msg on errors. */
static json_t *parse(const char *hc, const char *cfg, char *msg, size_t len)
{
	_cleanup_json_ json_t *h = json_loads(hc, 0, NULL);
	_cleanup_json_ json_t *c = cfg ? json_loads(cfg, 0, NULL) : json_object();
	struct err e = ERR_INIT;
	json_t *m = container_mounts_parse(&ms, c, h, &e);
	snprintf(msg, len, "%s", m ? "" : e.msg);
	if (!m && e.kind != ERR_INVALID)
		snprintf(msg, len, "not a 400: %s", e.msg);
	return m;
}

static const json_t *at(const json_t *mounts, const char *dest)
{
	size_t i;
	json_t *m;
	json_array_foreach (mounts, i, m)
		if (str_eq(json_string_value(json_object_get(m, "Destination")), dest))
			return m;
	return NULL;
}

static const char *sget(const json_t *m, const char *k)
{
	return json_string_value(json_object_get(m, k));
}

static void test_binds(void)
{
	char msg[2048];
	_cleanup_json_ json_t *m = parse("{\"Binds\":[\"/h//a/:/c/./a:ro,rslave\", \"named:/n\", "
					 "\"/anon\", \"nc:/nc:ro,nocopy\"]}",
					 NULL, msg, sizeof(msg));
	is_int(json_array_size(m), 4, "four mounts");
	const json_t *b = at(m, "/c/a");
	is_str(sget(b, "Type"), "bind", "a host path is a bind");
	is_str(sget(b, "Source"), "/h/a", "paths are cleaned");
	is_str(sget(b, "Mode"), "ro,rslave", "Mode is the mode as given");
	is_str(sget(b, "Propagation"), "rslave", "propagation from the mode");
	ok(json_is_false(json_object_get(b, "RW")), "ro");
	const json_t *n = at(m, "/n");
	is_str(sget(n, "Type"), "volume", "a name is a volume");
	is_str(sget(n, "Source"), "/v/named/_data", "under the volume directory");
	is_str(sget(n, "Mode"), "z", "named volumes show Mode z");
	const json_t *a = at(m, "/anon");
	ok(a && strlen(sget(a, "Name")) == 64, "-v /path is an anonymous volume");
	ok(json_is_true(json_object_get(a, CONTAINER_MOUNT_ANON_KEY)), "marked anonymous");
	is_str(sget(a, "Mode"), "", "anonymous volumes show no Mode");
	_cleanup_json_ json_t *hc = json_loads("{\"Binds\":[\"nc:/nc:ro,nocopy\"]}", 0, NULL);
	ok(container_mount_nocopy(hc, "/nc") && !container_mount_nocopy(hc, "/n"), "nocopy");
}

static void test_bad_binds(void)
{
	static const struct {
		const char *hc, *want;
	} cases[] = {
	    {"{\"Binds\":[\"/a:/b:bogus\"]}", "invalid mode: bogus"},
	    {"{\"Binds\":[\"/a:/b:ro,rw\"]}", "invalid mode: ro,rw"},
	    {"{\"Binds\":[\":/b\"]}", "invalid volume specification: ':/b'"},
	    {"{\"Binds\":[\"/a:/b:ro:x\"]}", "invalid volume specification: '/a:/b:ro:x'"},
	    {"{\"Binds\":[\"/a:ro\"]}", "invalid volume specification: '/a:ro'"},
	    {"{\"Binds\":[\"a/b:/x\"]}", "create a/b: \"a/b\" includes invalid characters"},
	    {"{\"Binds\":[\"v:rel\"]}",
	     "invalid volume specification: 'v:rel': invalid mount config for type \"volume\": "
	     "invalid mount path: 'rel' mount path must be absolute"},
	    {"{\"Binds\":[\"/h:/\"]}", "destination can't be '/'"},
	    {"{\"Binds\":[\"/h:/x:nocopy\"]}", "field VolumeOptions must not be specified"},
	    {"{\"Binds\":[\"v:/x:shared\"]}", "field BindOptions must not be specified"},
	    {"{\"Binds\":[\"aa:/same\",\"bb:/same/\"]}", "Duplicate mount point: /same"},
	    {"{\"Binds\":[\"aa:/t\"],\"Tmpfs\":{\"/t\":\"\"}}", "Duplicate mount point: /t"},
	    {"{\"Mounts\":[{\"Type\":\"bind\",\"Target\":\"/x\"}]}",
	     "field Source must not be empty"},
	    {"{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/nonexistent-berth\",\"Target\":\"/"
	     "x\"}]}",
	     "bind source path does not exist: /nonexistent-berth"},
	    {"{\"Mounts\":[{\"Type\":\"nfs\",\"Target\":\"/x\"}]}", "mount type unknown"},
	    {"{\"Mounts\":[{\"Type\":\"tmpfs\",\"Source\":\"x\",\"Target\":\"/x\"}]}",
	     "field Source must not be specified"},
	    {"{\"Mounts\":[{\"Type\":\"volume\",\"Target\":\"/x\",\"BindOptions\":{\"Propagation\":"
	     "\"shared\"}}]}",
	     "field BindOptions must not be specified"},
	    {"{\"Mounts\":[{\"Type\":\"volume\"}]}", "field Target must not be empty"},
	    {"{\"VolumesFrom\":[\"nosuch\"]}", "No such container: nosuch"},
	    {"{\"VolumesFrom\":[\"src:rx\"]}", "invalid mode: rx"},
	    {"{\"Tmpfs\":{\"rel\":\"\"}}", "mount path must be absolute"},
	};
	char msg[2048];
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_json_ json_t *m = parse(cases[i].hc, NULL, msg, sizeof(msg));
		ok(!m && strstr(msg, cases[i].want), "%s -> %s", cases[i].hc, cases[i].want);
		if (m || !strstr(msg, cases[i].want))
			printf("#   got: %s\n", msg);
	}
}

static void test_mounts_and_from(void)
{
	char msg[2048];
	_cleanup_json_ json_t *m = parse(
	    "{\"VolumesFrom\":[\"src:ro\"],\"Binds\":[\"/h:/shared\"],"
	    "\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"ReadOnly\":true},"
	    "{\"Type\":\"volume\",\"Target\":\"/mv\"},{\"Type\":\"volume\",\"Source\":\"vv\","
	    "\"Target\":\"/vv\"},{\"Type\":\"bind\",\"Source\":\"/\",\"Target\":\"/hb\","
	    "\"BindOptions\":{\"Propagation\":\"rshared\"}}],\"Tmpfs\":{\"/run\":\"size=1m\"}}",
	    "{\"Volumes\":{\"/img\":{},\"/vv\":{},\"/run\":{}}}", msg, sizeof(msg));
	ok(m != NULL, "parsed (%s)", msg);
	is_str(sget(at(m, "/shared"), "Type"), "bind", "a bind replaces a volumes-from entry");
	ok(!at(m, "/tt"), "volumes-from takes no tmpfs");
	is_str(sget(at(m, "/t"), "Type"), "tmpfs", "--mount tmpfs is listed");
	ok(json_is_false(json_object_get(at(m, "/t"), "RW")), "read-only tmpfs");
	is_str(sget(at(m, "/mv"), "Mode"), "z", "--mount volume: Mode z even anonymous");
	is_str(sget(at(m, "/vv"), "Name"), "vv", "the image VOLUME gives way to a --mount");
	is_str(sget(at(m, "/hb"), "Propagation"), "rshared", "bind propagation");
	ok(at(m, "/img") && strlen(sget(at(m, "/img"), "Name")) == 64, "image VOLUME: anonymous");
	ok(!at(m, "/run"), "a --tmpfs destination takes no image volume");
	is_int(json_array_size(m), 6, "six mounts");
}

static void test_oci_mounts(void)
{
	_cleanup_json_ json_t *rec = json_loads(
	    "{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"/v/x/_data\",\"Destination\":\"/a/b\","
	    "\"RW\":false,\"Propagation\":\"\"},{\"Type\":\"bind\",\"Source\":\"/h\","
	    "\"Destination\":\"/a\",\"RW\":true,\"Propagation\":\"rslave\"},{\"Type\":\"tmpfs\","
	    "\"Destination\":\"/t\",\"RW\":true}],\"HostConfig\":{\"Mounts\":[{\"Type\":\"tmpfs\","
	    "\"Target\":\"/t\",\"TmpfsOptions\":{\"SizeBytes\":1048576,\"Mode\":448}}],"
	    "\"Tmpfs\":{\"/dev/shm\":\"size=1m,exec\"}}}",
	    0, NULL);
	_cleanup_json_ json_t *m = json_loads(
	    "[{\"destination\":\"/proc\"},{\"destination\":\"/dev/shm\",\"source\":\"shm\"}]", 0,
	    NULL);
	struct err e = ERR_INIT;
	ok(ocispec_user_mounts(rec, m, &e) == 0, "user mounts added");
	_cleanup_free_ char *s = jx_dumps(m);
	is_int(json_array_size(m), 5, "the default /dev/shm gave way: %s", s);
	is_str(sget(json_array_get(m, 0), "destination"), "/proc", "defaults first");
	size_t ia = 0, iab = 0;
	for (size_t i = 0; i < json_array_size(m); i++) {
		if (str_eq(sget(json_array_get(m, i), "destination"), "/a"))
			ia = i;
		if (str_eq(sget(json_array_get(m, i), "destination"), "/a/b"))
			iab = i;
	}
	ok(ia == 1 && iab > ia, "parents before children (/a at %zu, /a/b at %zu)", ia, iab);
	_cleanup_free_ char *b = jx_dumps(json_object_get(json_array_get(m, ia), "options"));
	is_str(b, "[\"rbind\",\"rslave\"]", "bind options");
	_cleanup_free_ char *v = jx_dumps(json_object_get(json_array_get(m, iab), "options"));
	is_str(v, "[\"rbind\",\"rprivate\",\"ro\"]", "read-only volume");
	for (size_t i = 0; i < json_array_size(m); i++) {
		const json_t *x = json_array_get(m, i);
		if (!json_object_get(x, "options"))
			continue;
		_cleanup_free_ char *o = jx_dumps(json_object_get(x, "options"));
		if (str_eq(sget(x, "destination"), "/t"))
			is_str(o, "[\"nosuid\",\"nodev\",\"noexec\",\"size=1048576\",\"mode=700\"]",
			       "--mount tmpfs options");
		if (str_eq(sget(x, "destination"), "/dev/shm"))
			is_str(o, "[\"noexec\",\"nosuid\",\"nodev\",\"size=1m\",\"exec\"]",
			       "--tmpfs options after the defaults");
	}
}

static void test_volume_rules(void)
{
	ok(volume_name_valid("ab") && volume_name_valid("a.b-c_1"), "valid volume names");
	ok(!volume_name_valid("a") && !volume_name_valid("a/b") && !volume_name_valid(".ab") &&
	       !volume_name_valid("-ab") && !volume_name_valid(""),
	   "invalid volume names");
	static const struct {
		const char *name, *driver, *opts, *want;
	} cases[] = {
	    {"v1", "nosuch", NULL, "plugin \"nosuch\" not found"},
	    {"v1", NULL, "{\"bogus\":\"1\"}", "create v1: invalid option: \"bogus\""},
	    {"v1", NULL, "{\"type\":\"tmpfs\"}", "create v1: missing required option: \"device\""},
	    {"v1", NULL, "{\"device\":\"tmpfs\"}", "create v1: missing required option: \"type\""},
	    {"v1", NULL, "{\"o\":\"size=1m\"}", "create v1: missing required option: \"device\""},
	    {"v1", NULL, "{\"type\":1,\"device\":\"x\"}", "DriverOpts.type: expected a string"},
	    {"a/b", NULL, NULL, "create a/b: \"a/b\" includes invalid characters"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_json_ json_t *o =
		    cases[i].opts ? json_loads(cases[i].opts, 0, NULL) : NULL;
		struct err e = ERR_INIT;
		ok(volume_check(cases[i].name, cases[i].driver, o, &e) < 0 &&
		       strstr(e.msg, cases[i].want),
		   "volume %s %s: %s", cases[i].name, cases[i].opts ? cases[i].opts : "", e.msg);
	}
	_cleanup_json_ json_t *good =
	    json_loads("{\"type\":\"tmpfs\",\"device\":\"tmpfs\",\"o\":\"size=1m\"}", 0, NULL);
	struct err e = ERR_INIT;
	ok(volume_check("v1", "local", good, &e) == 0, "a tmpfs volume's options pass");
}

int main(void)
{
	test_volume_rules();
	test_binds();
	test_bad_binds();
	test_mounts_and_from();
	test_oci_mounts();
	return tap_done();
}
