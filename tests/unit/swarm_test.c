/* Unit tests for src/engine/swarm_state: a new swarm's state from POST /swarm/init bodies
 * (addresses, pools, ports, spec names: dockerd's 400s), the spec merged over swarmkit's
 * defaults, and the cluster object's shape; IDs in swarmkit's form. */
#include <string.h>

#include "engine/swarm.h"
#include "engine/swarm_priv.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/json.h"

static json_t *init_body(const char *json)
{
	json_t *b = json_loads(json, 0, NULL);
	ok(b != NULL, "test JSON parses: %s", json);
	return b;
}

static void test_state_new(void)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *b =
	    init_body("{\"ListenAddr\": \"0.0.0.0:2377\", \"AdvertiseAddr\": \"127.0.0.1\", "
		      "\"Spec\": {\"Orchestration\": {\"TaskHistoryRetentionLimit\": 3}}}");
	_cleanup_json_ json_t *st = swarm_state_new(b, &e);
	ok(st != NULL, "a state from docker swarm init's body (%s)", e.msg);
	is_str(json_string_value(json_object_get(st, "AdvertiseAddr")), "127.0.0.1:2377",
	       "advertise address: the listen port filled in");
	is_str(json_string_value(json_object_get(st, "ListenAddr")), "0.0.0.0:2377", "listen");
	is_int(strlen(json_string_value(json_object_get(st, "NodeID"))), SWARM_ID_LEN,
	       "node ID: 25 characters");
	const char *id = json_string_value(json_object_get(st, "NodeID"));
	ok(strspn(id, "0123456789abcdefghijklmnopqrstuvwxyz") == SWARM_ID_LEN, "in base 36");
	is_str(json_string_value(json_array_get(json_object_get(st, "DefaultAddrPool"), 0)),
	       "10.0.0.0/8", "default pool");
	is_int(json_integer_value(json_object_get(st, "SubnetSize")), 24, "subnet size");
	is_int(json_integer_value(json_object_get(st, "DataPathPort")), 4789, "data path port");
	json_t *spec = json_object_get(st, "Spec");
	is_int(json_integer_value(json_object_get(json_object_get(spec, "Orchestration"),
						  "TaskHistoryRetentionLimit")),
	       3, "a spec value given wins");
	is_int(json_integer_value(json_object_get(json_object_get(spec, "Raft"), "ElectionTick")),
	       10, "the others keep swarmkit's defaults");
	is_str(json_string_value(json_object_get(spec, "Name")), "default", "spec name");
	_cleanup_json_ json_t *c = swarm_cluster_json(st, true);
	ok(json_is_object(json_object_get(c, "JoinTokens")) &&
	       json_is_object(json_object_get(c, "TLSInfo")) &&
	       json_integer_value(json_object_get(json_object_get(c, "Version"), "Index")) > 0,
	   "GET /swarm's shape");
	_cleanup_json_ json_t *ci = swarm_cluster_json(st, false);
	ok(!json_object_get(ci, "JoinTokens"), "/info's Cluster has no tokens");
}

static void refused(const char *body, const char *want)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *b = init_body(body);
	_cleanup_json_ json_t *st = swarm_state_new(b, &e);
	ok(!st && e.kind == ERR_INVALID && strstr(e.msg, want), "400 for %s (%s)", body, e.msg);
}

static void test_refusals(void)
{
	refused("{\"ListenAddr\": \"\"}", "invalid empty address");
	refused("{\"ListenAddr\": \"nosuchif0:2377\"}", "listen address must be");
	refused("{\"ListenAddr\": \"0.0.0.0:2377\", \"AdvertiseAddr\": \"0.0.0.0\"}",
		"advertise address must be");
	refused("{\"ListenAddr\": \"0.0.0.0:99999\"}", "invalid port");
	refused("{\"ListenAddr\": \"127.0.0.1\", \"SubnetSize\": 30}", "out of range");
	refused("{\"ListenAddr\": \"127.0.0.1\", \"DefaultAddrPool\": [\"10.0.0.0/8\"], "
		"\"SubnetSize\": 7}",
		"too small");
	refused("{\"ListenAddr\": \"127.0.0.1\", \"DefaultAddrPool\": [\"x\"]}", "base pool");
	refused("{\"ListenAddr\": \"127.0.0.1\", \"DataPathPort\": 80}", "valid range");
	refused("{\"ListenAddr\": \"127.0.0.1\", \"Availability\": \"gone\"}", "Availability");
	refused("{\"ListenAddr\": \"127.0.0.1\", \"Spec\": {\"Name\": \"other\"}}",
		"must be named \"default\"");
}

static void test_spec_merge(void)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *in = init_body(
	    "{\"Name\": \"\", \"Labels\": {\"a\": \"b\"}, \"Raft\": {\"SnapshotInterval\": 0, "
	    "\"KeepOldSnapshots\": 2}, \"CAConfig\": {}}");
	_cleanup_json_ json_t *sp = swarm_spec_merge(in, &e);
	json_t *raft = json_object_get(sp, "Raft");
	is_int(json_integer_value(json_object_get(raft, "SnapshotInterval")), 10000,
	       "zero keeps the default");
	is_int(json_integer_value(json_object_get(raft, "KeepOldSnapshots")), 2, "a value wins");
	is_str(json_string_value(json_object_get(json_object_get(sp, "Labels"), "a")), "b",
	       "labels taken as given");
	ok(json_integer_value(json_object_get(json_object_get(sp, "CAConfig"), "NodeCertExpiry")) >
	       0,
	   "an empty object keeps the defaults inside");
}

int main(void)
{
	test_state_new();
	test_refusals();
	test_spec_merge();
	return tap_done();
}
