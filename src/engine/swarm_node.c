/* engine/swarm_node: the swarm's one node (this daemon: a ready manager, the leader) for
 * GET /nodes and /nodes/{id}, the Swarm section of /info and the Swarm header of /_ping. */
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine/engine_priv.h"
#include "engine/swarm.h"
#include "engine/swarm_priv.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static json_t *node_description(void)
{
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	struct utsname u;
	if (uname(&u) < 0)
		strcpy(u.machine, "x86_64");
	struct sysinfo si;
	json_int_t mem = sysinfo(&si) == 0 ? (json_int_t)si.totalram * si.mem_unit : 0;
	json_int_t cpus = sysconf(_SC_NPROCESSORS_ONLN);
	json_t *plugins = json_array();
	static const char *const pl[][2] = {{"Log", "json-file"},   {"Network", "bridge"},
					    {"Network", "host"},    {"Network", "null"},
					    {"Network", "overlay"}, {"Volume", "local"}};
	for (size_t i = 0; i < sizeof(pl) / sizeof(pl[0]); i++)
		json_array_append_new(plugins,
				      json_pack("{s:s, s:s}", "Type", pl[i][0], "Name", pl[i][1]));
	return json_pack("{s:s, s:{s:s, s:s}, s:{s:I, s:I}, s:{s:s, s:o}, s:{s:s, s:s, s:s}}",
			 "Hostname", host, "Platform", "Architecture", u.machine, "OS", "linux",
			 "Resources", "NanoCPUs", cpus * 1000000000, "MemoryBytes", mem, "Engine",
			 "EngineVersion", BERTH_VERSION, "Plugins", plugins, "TLSInfo", "TrustRoot",
			 "", "CertIssuerSubject", "", "CertIssuerPublicKey", "");
}

/* The node's spec: as last updated, else a manager with no labels. */
static json_t *node_spec(const json_t *st)
{
	json_t *sp = json_object_get(st, "NodeSpec");
	if (json_is_object(sp))
		return json_deep_copy(sp);
	return json_pack("{s:{}, s:s, s:O}", "Labels", "Role", "manager", "Availability",
			 json_object_get(st, "Availability"));
}

static json_t *node_json(const json_t *st)
{
	_cleanup_free_ char *host = swarm_advertise_host(st);
	json_t *upd = json_object_get(st, "NodeUpdatedAt");
	return json_pack(
	    "{s:O, s:{s:O}, s:O, s:O, s:o, s:o, s:{s:s, s:s}, s:{s:b, s:s, s:O}}", "ID",
	    json_object_get(st, "NodeID"), "Version", "Index", json_object_get(st, "NodeVersion"),
	    "CreatedAt", json_object_get(st, "CreatedAt"), "UpdatedAt",
	    upd ? upd : json_object_get(st, "CreatedAt"), "Spec", node_spec(st), "Description",
	    node_description(), "Status", "State", "ready", "Addr", host, "ManagerStatus", "Leader",
	    1, "Reachability", "reachable", "Addr", json_object_get(st, "AdvertiseAddr"));
}

static bool any_of(const json_t *f, const char *key, const char *have, bool prefix)
{
	json_t *vals = json_object_get(f, key);
	if (!json_array_size(vals))
		return true;
	size_t i;
	json_t *v;
	json_array_foreach (vals, i, v) {
		const char *s = json_string_value(v);
		if (s && (prefix ? str_has_prefix(have, s) : !strcmp(have, s)))
			return true;
	}
	return false;
}

/* The node against dockerd's node filters (labels: the node has none). */
static int node_matches(const json_t *node, const json_t *f, struct err *e)
{
	static const char *const ok[] = {"id",	       "label", "membership", "name",
					 "node.label", "role",	NULL};
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)f, k, v) {
		size_t i = 0;
		while (ok[i] && strcmp(ok[i], k))
			i++;
		if (!ok[i])
			return err_invalid(e, "invalid filter '%s'", k);
	}
	const char *host =
	    json_string_value(json_object_get(json_object_get(node, "Description"), "Hostname"));
	return any_of(f, "id", json_string_value(json_object_get(node, "ID")), true) &&
	       any_of(f, "name", host ? host : "", true) && any_of(f, "role", "manager", false) &&
	       any_of(f, "membership", "accepted", false) &&
	       !json_array_size(json_object_get(f, "label")) &&
	       !json_array_size(json_object_get(f, "node.label"));
}

json_t *engine_swarm_nodes(struct engine *eng, const json_t *filters, struct err *e)
{
	struct swarm *s = swarm_of(eng);
	pthread_mutex_lock(&s->mu);
	json_t *node = s->st ? node_json(s->st) : NULL;
	pthread_mutex_unlock(&s->mu);
	if (!node) {
		swarm_err_no_manager(e);
		return NULL;
	}
	int m = node_matches(node, filters, e);
	if (m < 0) {
		json_decref(node);
		return NULL;
	}
	json_t *out = json_array();
	if (m)
		json_array_append(out, node);
	json_decref(node);
	return out;
}

/* By full ID, hostname or ID prefix, as dockerd's getNode. */
json_t *engine_swarm_node(struct engine *eng, const char *id, struct err *e)
{
	_cleanup_json_ json_t *all = engine_swarm_nodes(eng, NULL, e);
	json_t *node = json_array_get(all, 0);
	if (!all)
		return NULL;
	const char *nid = json_string_value(json_object_get(node, "ID"));
	const char *host =
	    json_string_value(json_object_get(json_object_get(node, "Description"), "Hostname"));
	if (id && *id && (str_has_prefix(nid, id) || str_eq(host, id)))
		return json_incref(node);
	err_notfound(e, "node %s not found", id ? id : "");
	return NULL;
}

json_t *engine_swarm_info(struct engine *eng)
{
	struct swarm *s = swarm_of(eng);
	pthread_mutex_lock(&s->mu);
	json_t *r;
	if (!s->st) {
		r = json_pack("{s:s, s:s, s:s, s:b, s:s, s:n}", "NodeID", "", "NodeAddr", "",
			      "LocalNodeState", "inactive", "ControlAvailable", 0, "Error", "",
			      "RemoteManagers");
	} else {
		_cleanup_free_ char *host = swarm_advertise_host(s->st);
		r = json_pack("{s:O, s:s, s:s, s:b, s:s, s:[{s:O, s:O}], s:i, s:i, s:o}", "NodeID",
			      json_object_get(s->st, "NodeID"), "NodeAddr", host, "LocalNodeState",
			      "active", "ControlAvailable", 1, "Error", "", "RemoteManagers",
			      "NodeID", json_object_get(s->st, "NodeID"), "Addr",
			      json_object_get(s->st, "AdvertiseAddr"), "Nodes", 1, "Managers", 1,
			      "Cluster", swarm_cluster_json(s->st, false));
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

const char *engine_swarm_status(struct engine *eng)
{
	struct swarm *s = swarm_of(eng);
	pthread_mutex_lock(&s->mu);
	bool active = s->st != NULL;
	pthread_mutex_unlock(&s->mu);
	return active ? "active/manager" : "inactive";
}

/* The spec of the only node: it stays a manager (swarmkit refuses to demote the last one). */
static int check_node_spec(const json_t *spec, struct err *e)
{
	if (!json_is_object(spec))
		return err_invalid(e, "invalid node spec: expected an object");
	const char *role = json_string_value(json_object_get(spec, "Role"));
	const char *avail = json_string_value(json_object_get(spec, "Availability"));
	const json_t *labels = json_object_get(spec, "Labels");
	if (!str_eq(role, "manager") && !str_eq(role, "worker"))
		return err_invalid(e, "invalid Role: \"%s\"", role ? role : "");
	if (!str_eq(avail, "active") && !str_eq(avail, "pause") && !str_eq(avail, "drain"))
		return err_invalid(e, "invalid Availability: \"%s\"", avail ? avail : "");
	if (labels && !json_is_object(labels) && !json_is_null(labels))
		return err_invalid(e, "invalid node spec: Labels must be an object");
	if (str_eq(role, "worker"))
		return err_invalid(e, "rpc error: code = FailedPrecondition desc = attempting to "
				      "demote the last manager of the swarm");
	return 0;
}

int engine_swarm_node_update(struct engine *eng, const char *id, int64_t version,
			     const json_t *spec, struct err *e)
{
	_cleanup_json_ json_t *node = engine_swarm_node(eng, id, e);
	if (!node || check_node_spec(spec, e) < 0)
		return -1;
	struct swarm *s = swarm_of(eng);
	pthread_mutex_lock(&s->mu);
	int r = -1;
	json_t *st = s->st ? json_deep_copy(s->st) : NULL;
	if (!st) {
		swarm_err_no_manager(e);
	} else if (version != json_integer_value(json_object_get(st, "NodeVersion"))) {
		err_set(e, ERR_INTERNAL, 0,
			"rpc error: code = Unknown desc = update out of sequence");
	} else {
		char now[STORE_TIME_MAX];
		store_time_format(store_time_now(), now);
		json_t *sp = json_deep_copy(spec);
		if (!json_is_object(json_object_get(sp, "Labels")))
			json_object_set_new(sp, "Labels", json_object());
		json_object_set_new(st, "NodeSpec", sp);
		json_object_set_new(st, "NodeUpdatedAt", json_string(now));
		json_object_set_new(st, "NodeVersion", json_integer(version + 1));
		r = swarm_replace_locked(s, &st, e);
	}
	json_decref(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int engine_swarm_node_remove(struct engine *eng, const char *id, struct err *e)
{
	_cleanup_json_ json_t *node = engine_swarm_node(eng, id, e);
	if (!node)
		return -1;
	return err_invalid(
	    e,
	    "rpc error: code = FailedPrecondition desc = node %s is a cluster manager "
	    "and is a member of the raft cluster. It must be demoted to worker before "
	    "removal",
	    json_string_value(json_object_get(node, "ID")));
}
