/* engine/swarm_net: swarm-scoped networks (overlay, or bridge with Scope swarm; the ingress
 * network made at init) in the network store. On one node an attachable one is realised as
 * a host bridge made at first use, so `docker run --network OVERLAY` works; the others only
 * exist as records (services, their only users, are not run). */
#include <string.h>

#include "engine/netctl.h"
#include "engine/network.h"
#include "engine/swarm.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static bool is_swarm(const json_t *rec)
{
	return str_eq(json_string_value(json_object_get(rec, "Scope")), "swarm");
}

bool swarm_network_wanted(const json_t *body)
{
	return str_eq(json_string_value(json_object_get(body, "Driver")), "overlay") ||
	       str_eq(json_string_value(json_object_get(body, "Scope")), "swarm") ||
	       json_is_true(json_object_get(body, "Ingress"));
}

int swarm_network_attach_check(const json_t *net, struct err *e)
{
	if (!is_swarm(net) || json_is_true(json_object_get(net, "Attachable")))
		return 0;
	const char *name = json_string_value(json_object_get(net, "Name"));
	return err_set(e, ERR_INTERNAL, 0,
		       "Could not attach to network %s: rpc error: code = PermissionDenied desc = "
		       "network %s not manually attachable",
		       name, name);
}

/* The first SubnetSize block of the swarm's pools that no network or host route uses. */
static int pick_subnet(struct netctl *nc, const json_t *st, struct ipam_subnet *out, struct err *e)
{
	struct ipam_subnet *used;
	size_t nu;
	netctl_used_subnets(nc, NULL, &used, &nu, true);
	int size = (int)json_integer_value(json_object_get(st, "SubnetSize"));
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(st, "DefaultAddrPool"), i, v) {
		struct ipam_subnet pool;
		if (ipam_parse_cidr(json_string_value(v), &pool, NULL, NULL) < 0 || size < pool.len)
			continue;
		uint64_t step = 1ULL << (32 - size),
			 end = (uint64_t)pool.addr + (1ULL << (32 - pool.len));
		for (uint64_t a = pool.addr; a < end; a += step) {
			struct ipam_subnet c = {(uint32_t)a, size};
			bool free_ = true;
			for (size_t j = 0; j < nu && free_; j++)
				free_ = !ipam_overlaps(c, used[j]);
			if (free_) {
				free(used);
				*out = c;
				return 0;
			}
		}
	}
	free(used);
	return err_set(e, ERR_INTERNAL, 0,
		       "could not find an available, non-overlapping IPv4 "
		       "address pool among the defaults to assign to the network");
}

/* IPAM.Config of the record: the IPv4 pool asked for, else one from the swarm's pools. */
static json_t *ipam_config(struct netctl *nc, const json_t *st, const json_t *body, struct err *e)
{
	json_t *c = json_array_get(json_object_get(json_object_get(body, "IPAM"), "Config"), 0);
	const char *sub = json_string_value(json_object_get(c, "Subnet"));
	const char *gw = json_string_value(json_object_get(c, "Gateway"));
	const char *rng = json_string_value(json_object_get(c, "IPRange"));
	struct ipam_subnet s, r;
	uint32_t g;
	if (sub && *sub) {
		struct ipam_subnet *used;
		size_t nu;
		if (ipam_parse_cidr(sub, &s, NULL, e) < 0)
			return NULL;
		netctl_used_subnets(nc, NULL, &used, &nu, false);
		bool overlap = false;
		for (size_t j = 0; j < nu; j++)
			overlap = overlap || ipam_overlaps(s, used[j]);
		free(used);
		if (overlap) {
			err_set(e, ERR_FORBIDDEN, 0,
				"Pool overlaps with other one on this address space");
			return NULL;
		}
	} else if (pick_subnet(nc, st, &s, e) < 0) {
		return NULL;
	}
	g = s.addr + 1;
	if (gw && *gw && (ipam_parse_ip(gw, &g) < 0 || !ipam_contains(s, g))) {
		err_invalid(e, "no matching subnet for gateway %s", gw);
		return NULL;
	}
	if (rng && *rng && (ipam_parse_cidr(rng, &r, NULL, NULL) < 0 || !ipam_overlaps(r, s))) {
		err_invalid(e, "no matching subnet for range %s", rng);
		return NULL;
	}
	char gb[16];
	_cleanup_free_ char *sb = ipam_fmt_cidr(s);
	json_t *cfg = json_pack("{s:s, s:s}", "Subnet", sb, "Gateway", ipam_fmt(g, gb));
	if (rng && *rng)
		json_object_set_new(cfg, "IPRange", json_string(rng));
	return json_pack("[o]", cfg);
}

static json_t *new_record(const json_t *body, const char *id, const char *drv, json_t *ipam,
			  json_t *st)
{
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	json_t *opts = json_object();
	if (json_is_object(json_object_get(body, "Options")))
		json_object_update(opts, json_object_get(body, "Options"));
	if (str_eq(drv, "overlay")) {
		json_int_t vx = json_integer_value(json_object_get(st, "NextVXLAN"));
		json_object_set_new(opts, "com.docker.network.driver.overlay.vxlanid_list",
				    json_sprintf("%lld", (long long)vx));
		json_object_set_new(st, "NextVXLAN", json_integer(vx + 1));
	}
	json_t *labels = json_object_get(body, "Labels");
	bool attachable = json_is_true(json_object_get(body, "Attachable"));
	json_t *r = json_pack(
	    "{s:O, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:n, s:o}, s:b, s:b, s:b, s:{s:s}, s:b, "
	    "s:o, s:o}",
	    "Name", json_object_get(body, "Name"), "Id", id, "Created", now, "Scope", "swarm",
	    "Driver", drv, "EnableIPv6", json_is_true(json_object_get(body, "EnableIPv6")), "IPAM",
	    "Driver", "default", "Options", "Config", ipam, "Internal",
	    json_is_true(json_object_get(body, "Internal")), "Attachable", attachable, "Ingress",
	    json_is_true(json_object_get(body, "Ingress")), "ConfigFrom", "Network", "",
	    "ConfigOnly", 0, "Options", opts, "Labels",
	    json_is_object(labels) ? json_incref(labels) : json_object());
	if (attachable) /* a host bridge of its own, made when a container first joins */
		json_object_set_new(r, "_Bridge", json_sprintf("br-%.12s", id));
	return r;
}

/* Records a swarm network (s->mu held): its record file first, then the store's entry. */
static json_t *add_locked(struct engine *eng, struct swarm *s, const json_t *body, const char *drv,
			  struct err *e)
{
	struct netctl *nc = eng->net;
	char id[SWARM_ID_LEN + 1];
	if (swarm_new_id(id, e) < 0)
		return NULL;
	pthread_mutex_lock(&nc->mu);
	json_t *ipam = ipam_config(nc, s->st, body, e);
	json_t *rec = ipam ? new_record(body, id, drv, ipam, s->st) : NULL;
	_cleanup_free_ char *path = str_printf("%s/%s.json", nc->dir, id);
	if (!rec || jx_save_atomic(path, rec, e) < 0) {
		json_decref(rec);
		pthread_mutex_unlock(&nc->mu);
		return NULL;
	}
	struct netw *n = netctl_add_locked(nc, rec);
	netctl_event_locked(eng, "create", n, NULL);
	pthread_mutex_unlock(&nc->mu);
	/* the next VXLAN ID: a lost update only makes two networks share one (no VXLAN runs) */
	struct err e2 = ERR_INIT;
	if (jx_save_atomic(s->path, s->st, &e2) < 0)
		log_warn("%s", e2.msg);
	return json_pack("{s:s, s:s}", "Id", id, "Warning", "");
}

int swarm_network_ingress_locked(struct engine *eng, struct swarm *s, struct err *e)
{
	_cleanup_json_ json_t *body =
	    json_pack("{s:s, s:b, s:{}}", "Name", "ingress", "Ingress", 1, "Labels");
	_cleanup_json_ json_t *r = add_locked(eng, s, body, "overlay", e);
	return r ? 0 : -1;
}

/* dockerd's (libnetwork's, swarmkit's) refusals, in their order. */
static int check_create(struct engine *eng, struct swarm *s, const json_t *body, const char *drv,
			struct err *e)
{
	const char *scope = json_string_value(json_object_get(body, "Scope"));
	const char *name = json_string_value(json_object_get(body, "Name"));
	bool overlay = !strcmp(drv, "overlay"),
	     ingress = json_is_true(json_object_get(body, "Ingress"));
	if (!name || !*name)
		return err_invalid(e, "network name is required");
	if (str_eq(name, "bridge") || str_eq(name, "host") || str_eq(name, "none") ||
	    str_eq(name, "default"))
		return err_set(e, ERR_FORBIDDEN, 0,
			       "%s is a pre-defined network and cannot be created", name);
	if (strcmp(drv, "overlay") && strcmp(drv, "bridge"))
		return err_notfound(e, "plugin \"%s\" not found", drv);
	if (str_eq(scope, "local") && overlay)
		return err_set(e, ERR_FORBIDDEN, 0,
			       "cannot downgrade network scope for overlay networks");
	if (ingress && !overlay)
		return err_set(e, ERR_FORBIDDEN, 0,
			       "Ingress network can only be global scope network");
	if (!s->st)
		return overlay ? err_set(e, ERR_INTERNAL, 0,
					 "This node is not a swarm manager. Use \"docker swarm "
					 "init\" or \"docker swarm join\" to connect this node to "
					 "swarm and try again.")
			       : err_set(e, ERR_FORBIDDEN, 0,
					 "cannot create a swarm scoped network when swarm is not "
					 "active");
	if (ingress && json_is_true(json_object_get(body, "Attachable")))
		return err_invalid(e, "rpc error: code = InvalidArgument desc = ingress network "
				      "cannot be attachable");
	struct netctl *nc = eng->net;
	pthread_mutex_lock(&nc->mu);
	const char *dup = NULL, *ing = NULL;
	for (size_t i = 0; i < nc->n; i++) {
		if (str_eq(nc->nets[i]->name, name))
			dup = name;
		if (json_is_true(json_object_get(nc->nets[i]->rec, "Ingress")))
			ing = nc->nets[i]->id;
	}
	int r = dup ? err_conflict(e, "network with name %s already exists", name)
		: ingress && ing
		    ? err_conflict(e,
				   "rpc error: code = AlreadyExists desc = ingress network (%s) is "
				   "already present",
				   ing)
		    : 0;
	pthread_mutex_unlock(&nc->mu);
	return r;
}

json_t *swarm_network_create(struct engine *eng, const json_t *body, struct err *e)
{
	struct swarm *s = swarm_of(eng);
	const char *drv = json_string_value(json_object_get(body, "Driver"));
	drv = drv && *drv ? drv : "bridge";
	pthread_mutex_lock(&s->mu);
	json_t *r =
	    check_create(eng, s, body, drv, e) < 0 ? NULL : add_locked(eng, s, body, drv, e);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int swarm_networks_remove_locked(struct engine *eng, struct err *e)
{
	struct netctl *nc = eng->net;
	_cleanup_strv_ char **nets = NULL, **conns = NULL; /* conns: "netid cid" */
	pthread_mutex_lock(&nc->mu);
	for (size_t i = 0; i < nc->n; i++) {
		if (!is_swarm(nc->nets[i]->rec))
			continue;
		strv_push(&nets, nc->nets[i]->id);
		for (size_t j = 0; j < nc->natts; j++)
			if (nc->atts[j]->net == nc->nets[i])
				strv_push_take(
				    &conns, str_printf("%s %s", nc->nets[i]->id, nc->atts[j]->cid));
	}
	pthread_mutex_unlock(&nc->mu);
	/* as dockerd's leave: the containers on attachable networks are disconnected first */
	for (char **c = conns; c && *c; c++) {
		char *sp = strchr(*c, ' ');
		*sp = '\0';
		struct err e2 = ERR_INIT;
		if (engine_network_disconnect(eng, *c, sp + 1, true, &e2) < 0)
			log_warn("leaving the swarm: %s", e2.msg);
	}
	for (char **n = nets; n && *n; n++)
		if (engine_network_remove(eng, *n, e) < 0)
			return -1;
	return 0;
}
