/* Unit tests for --userns-remap's pure parts: util/idmap (ranges, translation, overflow ids)
 * and engine/userns (create checks, the OCI spec entries, lowerdir rewriting). */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_priv.h"
#include "engine/userns.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/idmap.h"
#include "util/json.h"
#include "util/str.h"

static void test_idmap(void)
{
	struct idmap m = {0};
	ok(idmap_empty(&m), "a new map is empty");
	idmap_add(&m, 300000, 10);
	idmap_add(&m, 100000, 5); /* container ids follow the host starts' order */
	is_int(m.n, 2, "two ranges");
	is_int(idmap_to_host(&m, 0), 100000, "0 -> first range's start");
	is_int(idmap_to_host(&m, 4), 100004, "4 -> end of the first range");
	is_int(idmap_to_host(&m, 5), 300000, "5 -> second range's start");
	ok(idmap_to_host(&m, 15) == IDMAP_NONE, "past the ranges: none");
	is_int(idmap_to_container(&m, 300002), 7, "host 300002 -> 7");
	ok(idmap_to_container(&m, 0) == IDMAP_NONE, "host root is not mapped");
	struct idmap_pair out = {&m, &m, false}, in = {&m, &m, true};
	uint32_t u = 100003, g = 42;
	idmap_pair_apply(&out, &u, &g);
	is_int(u, 3, "to container: mapped id");
	is_int(g, 65534, "to container: an unmapped id is the overflow id");
	u = 1;
	g = 70000;
	idmap_pair_apply(&in, &u, &g);
	is_int(u, 100001, "to host: mapped id");
	is_int(g, 100000, "to host: an id the ranges can't hold goes to the remapped root");
	idmap_pair_apply(NULL, &u, &g);
	is_int(u, 100001, "no pair: unchanged");
	idmap_release(&m);
	ok(idmap_empty(&m), "released");
}

static struct engine_userns *remap_of(void)
{
	struct engine_userns *u = xcalloc(1, sizeof(*u));
	u->user = str_dup("remap");
	u->group = str_dup("remap");
	idmap_add(&u->uids, 200000, 65536);
	idmap_add(&u->gids, 300000, 65536);
	return u;
}

static void test_check(void)
{
	struct engine eng = {0};
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *priv = json_pack("{s:b}", "Privileged", 1);
	_cleanup_json_ json_t *hostnet = json_pack("{s:s}", "NetworkMode", "host");
	_cleanup_json_ json_t *hostpid = json_pack("{s:s}", "PidMode", "host");
	_cleanup_json_ json_t *optout =
	    json_pack("{s:b, s:s, s:s}", "Privileged", 1, "PidMode", "host", "UsernsMode", "host");
	_cleanup_json_ json_t *other =
	    json_pack("{s:s, s:b}", "UsernsMode", "private", "Privileged", 1);
	is_int(engine_userns_check(&eng, priv, &e), 0, "remapping off: --privileged is fine");
	eng.userns = remap_of();
	is_int(engine_userns_check(&eng, other, &e), -1,
	       "a UsernsMode other than host is private, as dockerd has it");
	is_int(engine_userns_check(&eng, priv, &e), -1, "remapped: --privileged refused");
	is_int(err_http_status(&e), 400, "as a 400");
	ok(strstr(e.msg, "privileged mode is incompatible with user namespaces") != NULL, "%s",
	   e.msg);
	is_int(engine_userns_check(&eng, hostnet, &e), -1, "--network=host refused");
	is_int(engine_userns_check(&eng, hostpid, &e), -1, "--pid=host refused");
	is_int(engine_userns_check(&eng, optout, &e), 0, "all allowed with --userns=host");
	ok(engine_userns_private(&eng, priv), "a container without UsernsMode is remapped");
	ok(!engine_userns_private(&eng, optout), "--userns=host is not");
	is_int(userns_root_uid(eng.userns), 200000, "root uid");
	is_int(userns_root_gid(eng.userns), 300000, "root gid");
	userns_release((struct engine_userns *)eng.userns);
	free((void *)eng.userns);
}

static void test_spec_and_lowers(void)
{
	struct engine eng = {0};
	eng.userns = remap_of();
	eng.root = str_dup("/r");
	eng.userns_layers = str_dup("/r/userns-layers");
	_cleanup_json_ json_t *hc = json_object();
	_cleanup_json_ json_t *spec =
	    json_pack("{s:[{s:s, s:[s,s]}, {s:s, s:[s]}], s:{s:[{s:s}]}}", "mounts", "type",
		      "cgroup", "options", "ro", "nosuid", "type", "bind", "options", "ro", "linux",
		      "namespaces", "type", "pid");
	engine_userns_apply(&eng, hc, spec);
	const json_t *lx = json_object_get(spec, "linux");
	is_str(json_string_value(
		   json_object_get(json_array_get(json_object_get(lx, "namespaces"), 0), "type")),
	       "user", "a user namespace, first");
	const json_t *um = json_array_get(json_object_get(lx, "uidMappings"), 0);
	is_int(json_integer_value(json_object_get(um, "hostID")), 200000, "uid mapping host id");
	is_int(json_integer_value(json_object_get(um, "size")), 65536, "uid mapping size");
	const json_t *gm = json_array_get(json_object_get(lx, "gidMappings"), 0);
	is_int(json_integer_value(json_object_get(gm, "hostID")), 300000, "gid mapping host id");
	const json_t *m = json_object_get(spec, "mounts");
	is_str(
	    json_string_value(json_array_get(json_object_get(json_array_get(m, 0), "options"), 0)),
	    "rw", "cgroupfs writable");
	is_str(
	    json_string_value(json_array_get(json_object_get(json_array_get(m, 1), "options"), 0)),
	    "ro", "a bind's ro is kept");
	_cleanup_free_ char *l =
	    engine_userns_lowers(&eng, "/r/image/layers/a/diff:/r/image/layers/b/diff:/o/x");
	is_str(l, "/r/userns-layers/a/diff:/r/userns-layers/b/diff:/o/x",
	       "lowers through the idmapped view");
	free(eng.root);
	free(eng.userns_layers);
	userns_release((struct engine_userns *)eng.userns);
	free((void *)eng.userns);
}

int main(void)
{
	test_idmap();
	test_check();
	test_spec_and_lowers();
	return tap_done();
}
