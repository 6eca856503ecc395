/* engine/netctl_api: networks as the Engine API sees them: list, inspect (with the
 * containers on it), create (bridge driver: subnet checked against the others, bridge made
 * at once), remove (403 for predefined or used ones), prune. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "engine/container_priv.h"
#include "engine/netctl.h"
#include "engine/network.h"
#include "engine/swarm.h"
#include "net/nl.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static json_t *public_copy(struct netctl *nc, struct netw *n, bool containers)
{
	json_t *r = json_deep_copy(n->rec);
	json_object_del(r, "_Alloc");
	json_object_del(r, "_Bridge");
	json_t *cs = json_object();
	for (size_t i = 0; containers && i < nc->natts; i++) {
		struct att *a = nc->atts[i];
		if (a->net != n)
			continue;
		char ip[16], mac[18];
		_cleanup_free_ char *v4 = str_printf("%s/%d", ipam_fmt(a->ip, ip), n->subnet.len);
		json_object_set_new(cs, a->cid,
				    json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name", a->cname,
					      "EndpointID", a->epid, "MacAddress",
					      ipam_fmt_mac(a->mac, mac), "IPv4Address", v4,
					      "IPv6Address", ""));
	}
	json_object_set_new(r, "Containers", cs);
	return r;
}

json_t *engine_network_list(struct engine *eng)
{
	struct netctl *nc = eng->net;
	json_t *out = json_array();
	pthread_mutex_lock(&nc->mu);
	for (size_t i = 0; i < nc->n; i++)
		json_array_append_new(out, public_copy(nc, nc->nets[i], true));
	pthread_mutex_unlock(&nc->mu);
	return out;
}

json_t *engine_network_inspect(struct engine *eng, const char *name, struct err *e)
{
	struct netctl *nc = eng->net;
	pthread_mutex_lock(&nc->mu);
	struct netw *n = netctl_find_locked(nc, name, e);
	/* the default bridge is made on first use: an inspect shows its subnet too */
	struct err e2 = ERR_INIT;
	if (n && n->is_default && netctl_bridge_ensure_locked(nc, n, &e2) < 0)
		log_warn("%s", e2.msg);
	json_t *r = n ? public_copy(nc, n, true) : NULL;
	pthread_mutex_unlock(&nc->mu);
	return r;
}

void netctl_event_locked(struct engine *eng, const char *action, struct netw *n, const char *cid)
{
	/* the record's driver: an overlay network (swarm_net.c) is a bridge here */
	const char *drv = json_string_value(json_object_get(n->rec, "Driver"));
	json_t *attrs = json_pack("{s:s, s:s}", "name", n->name, "type",
				  n->driver == NET_HOST	  ? "host"
				  : n->driver == NET_NULL ? "null"
				  : drv			  ? drv
							  : "bridge");
	if (cid)
		json_object_set_new(attrs, "container", json_string(cid));
	engine_event_publish(eng, "network", action, n->id, attrs);
}

/* An IPv6 pool is recorded as given (berth addresses containers over IPv4 only). */
static int check_v6(const json_t *c, struct err *e)
{
	static const char *const keys[] = {"Subnet", "IPRange", "Gateway"};
	for (size_t i = 0; i < 3; i++) {
		const char *v = json_string_value(json_object_get(c, keys[i]));
		if (!v || !*v)
			continue;
		_cleanup_free_ char *addr = str_dup(v);
		char *slash = strchr(addr, '/');
		if (slash)
			*slash = '\0';
		struct in6_addr a;
		if (inet_pton(AF_INET6, addr, &a) != 1 || (!slash) != (i == 2))
			return err_invalid(e, "invalid %s address: %s", i == 2 ? "IPv6" : "CIDR",
					   v);
	}
	return 0;
}

/* The IPv4 entry of IPAM.Config (at most one); IPv6 entries checked and copied to *v6. */
static const json_t *split_ipam(const json_t *cfgs, json_t *v6, struct err *e)
{
	const json_t *v4 = NULL;
	size_t i;
	json_t *c;
	json_array_foreach (cfgs, i, c) {
		const char *sub = json_string_value(json_object_get(c, "Subnet"));
		if (sub && strchr(sub, ':')) {
			if (check_v6(c, e) < 0)
				return NULL;
			if (v6)
				json_array_append(v6, c);
		} else if (v4) {
			err_invalid(e, "only one IPv4 IPAM configuration is supported");
			return NULL;
		} else {
			v4 = c;
		}
	}
	return v4 ? v4 : json_null();
}

static int parse_ipam(struct netctl *nc, const json_t *body, struct netw *n, json_t *v6,
		      struct err *e)
{
	json_t *cfgs = json_object_get(json_object_get(body, "IPAM"), "Config");
	const json_t *c = split_ipam(cfgs, v6, e);
	if (!c)
		return -1;
	const char *sub = json_string_value(json_object_get(c, "Subnet"));
	const char *rng = json_string_value(json_object_get(c, "IPRange"));
	const char *gw = json_string_value(json_object_get(c, "Gateway"));
	struct ipam_subnet *used;
	size_t nu;
	netctl_used_subnets(nc, NULL, &used, &nu, !sub || !*sub);
	int r = 0;
	if (sub && *sub) {
		r = ipam_parse_cidr(sub, &n->subnet, NULL, e);
		for (size_t i = 0; r == 0 && i < nu; i++)
			if (ipam_overlaps(n->subnet, used[i]))
				r = err_set(e, ERR_FORBIDDEN, 0,
					    "Pool overlaps with other one on this address space");
	} else if (!gw && !rng) {
		r = ipam_pick_subnet(used, nu, &n->subnet, e);
	} else {
		r = err_invalid(e, "a gateway or an ip-range needs a subnet");
	}
	free(used);
	if (r < 0)
		return -1;
	n->range = n->subnet;
	n->gw = n->subnet.addr + 1;
	if (rng && *rng &&
	    (ipam_parse_cidr(rng, &n->range, NULL, e) < 0 || !ipam_overlaps(n->range, n->subnet) ||
	     n->range.len < n->subnet.len))
		return e->kind ? -1 : err_invalid(e, "no matching subnet for range %s", rng);
	if (gw && *gw && (ipam_parse_ip(gw, &n->gw) < 0 || !ipam_contains(n->subnet, n->gw)))
		return err_invalid(e, "no matching subnet for gateway %s", gw);
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)json_object_get(c, "AuxiliaryAddresses"), k, v) {
		uint32_t a;
		if (ipam_parse_ip(json_string_value(v), &a) < 0 || !ipam_contains(n->subnet, a))
			return err_invalid(e, "no matching subnet for aux-address %s",
					   json_string_value(v) ? json_string_value(v) : k);
	}
	return 0;
}

static int check_create(struct netctl *nc, const json_t *body, const char **name, struct err *e)
{
	if (!json_is_object(body))
		return err_invalid(e, "invalid JSON body: expected an object");
	*name = json_string_value(json_object_get(body, "Name"));
	const char *drv = json_string_value(json_object_get(body, "Driver"));
	if (!*name || !**name)
		return err_invalid(e, "network name is required");
	if (strchr(*name, '/'))
		return err_invalid(e, "invalid network name \"%s\"", *name);
	/* API < 1.44: a duplicate name only when CheckDuplicate asks for the check */
	bool check = !json_is_false(json_object_get(body, "CheckDuplicate"));
	if (check && netctl_find_locked(nc, *name, NULL) &&
	    str_eq(netctl_find_locked(nc, *name, NULL)->name, *name))
		return err_conflict(e, "network with name %s already exists", *name);
	if (drv && (!strcmp(drv, "host") || !strcmp(drv, "null")))
		return err_set(e, ERR_FORBIDDEN, 0,
			       "only one instance of \"%s\" network is allowed", drv);
	const char *mtu = json_string_value(
	    json_object_get(json_object_get(body, "Options"), "com.docker.network.driver.mtu"));
	int m = 0;
	if (mtu && (str_to_int(mtu, &m, "mtu", NULL) < 0 || m < 68 || m > 65535))
		return err_invalid(e, "invalid MTU number: %s", mtu);
	if (drv && *drv && strcmp(drv, "bridge"))
		return err_notfound(e, "plugin \"%s\" not found", drv);
	return 0;
}

static json_t *new_record(const json_t *body, const char *id, const char *name, const char *bridge)
{
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	json_t *opts = json_object_get(body, "Options");
	json_t *labels = json_object_get(body, "Labels");
	json_t *ipamopts = json_object_get(json_object_get(body, "IPAM"), "Options");
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:O, s:[]}, s:b, s:b, s:b, s:{s:s}, s:b, "
	    "s:o, s:o, s:s}",
	    "Name", name, "Id", id, "Created", now, "Scope", "local", "Driver", "bridge",
	    "EnableIPv6", json_is_true(json_object_get(body, "EnableIPv6")), "IPAM", "Driver",
	    "default", "Options", json_is_object(ipamopts) ? ipamopts : json_null(), "Config",
	    "Internal", json_is_true(json_object_get(body, "Internal")), "Attachable",
	    json_is_true(json_object_get(body, "Attachable")), "Ingress", 0, "ConfigFrom",
	    "Network", "", "ConfigOnly", 0, "Options",
	    json_is_object(opts) ? json_incref(opts) : json_object(), "Labels",
	    json_is_object(labels) ? json_incref(labels) : json_object(), "_Bridge", bridge);
}

static void drop_locked(struct netctl *nc, struct netw *n)
{
	for (size_t i = 0; i < nc->n; i++) {
		if (nc->nets[i] != n)
			continue;
		nc->nets[i] = nc->nets[--nc->n];
		break;
	}
	json_decref(n->rec);
	free(n);
}

/* IPAM.Config of the record: the IPv4 pool as chosen (aux addresses kept), then IPv6 ones. */
static void record_ipam(json_t *rec, const json_t *body, const struct netw *t, json_t *v6)
{
	char gw[16];
	_cleanup_free_ char *sub = ipam_fmt_cidr(t->subnet);
	json_t *cfg = json_pack("{s:s, s:s}", "Subnet", sub, "Gateway", ipam_fmt(t->gw, gw));
	json_t *aux = json_object_get(
	    split_ipam(json_object_get(json_object_get(body, "IPAM"), "Config"), NULL, NULL),
	    "AuxiliaryAddresses");
	if (json_is_object(aux) && json_object_size(aux))
		json_object_set(cfg, "AuxiliaryAddresses", aux);
	if (t->range.len != t->subnet.len || t->range.addr != t->subnet.addr) {
		_cleanup_free_ char *rng = ipam_fmt_cidr(t->range);
		json_object_set_new(cfg, "IPRange", json_string(rng));
	}
	json_array_append_new(json_object_get(json_object_get(rec, "IPAM"), "Config"), cfg);
	json_array_extend(json_object_get(json_object_get(rec, "IPAM"), "Config"), v6);
}

json_t *engine_network_create(struct engine *eng, const json_t *body, struct err *e)
{
	struct netctl *nc = eng->net;
	const char *name = NULL;
	char id[ID_HEX_LEN + 1];
	struct netw tmp = {0};
	_cleanup_json_ json_t *v6 = json_array();
	if (swarm_network_wanted(body)) /* overlay, Scope swarm: swarm_net.c */
		return swarm_network_create(eng, body, e);
	pthread_mutex_lock(&nc->mu);
	if (check_create(nc, body, &name, e) < 0 || parse_ipam(nc, body, &tmp, v6, e) < 0 ||
	    id_generate(id, e) < 0) {
		pthread_mutex_unlock(&nc->mu);
		return NULL;
	}
	const char *brname = json_string_value(
	    json_object_get(json_object_get(body, "Options"), "com.docker.network.bridge.name"));
	_cleanup_free_ char *bridge =
	    brname && *brname ? str_dup(brname) : str_printf("br-%.12s", id);
	if (strlen(bridge) > 15) {
		pthread_mutex_unlock(&nc->mu);
		err_invalid(e, "bridge name %s is longer than 15 characters", bridge);
		return NULL;
	}
	/* a bridge name already on the host (another network's, or an interface) is never
	 * taken over: removing the network would delete it */
	struct nl *l = nl_open(NULL);
	int have = l ? nl_link_index(l, bridge, NULL) : 0;
	nl_close(l);
	if (have) {
		pthread_mutex_unlock(&nc->mu);
		err_conflict(e, "bridge name %s is already in use on the host", bridge);
		return NULL;
	}
	json_t *rec = new_record(body, id, name, bridge);
	record_ipam(rec, body, &tmp, v6);
	struct netw *n = netctl_add_locked(nc, rec);
	/* the record first: a crash before the bridge exists leaves a network whose bridge is
	 * made at first use; the other order left a host bridge that no record owns */
	_cleanup_free_ char *path = str_printf("%s/%s.json", nc->dir, n->id);
	if (netctl_save_locked(nc, n, e) < 0 || netctl_bridge_ensure_locked(nc, n, e) < 0) {
		struct nl *l2 = nl_open(NULL);
		if (l2)
			nl_link_del(l2, n->bridge, NULL);
		nl_close(l2);
		store_remove_file(path, NULL);
		drop_locked(nc, n);
		netctl_apply_locked(nc, NULL);
		pthread_mutex_unlock(&nc->mu);
		return NULL;
	}
	netctl_event_locked(eng, "create", n, NULL);
	pthread_mutex_unlock(&nc->mu);
	return json_pack("{s:s, s:s}", "Id", id, "Warning", "");
}

static int remove_locked(struct engine *eng, struct netw *n, struct err *e)
{
	struct netctl *nc = eng->net;
	if (n->is_default || n->driver != NET_BRIDGE)
		return err_set(e, ERR_FORBIDDEN, 0,
			       "%s is a pre-defined network and cannot be removed", n->name);
	for (size_t i = 0; i < nc->natts; i++)
		if (nc->atts[i]->net == n)
			return err_set(e, ERR_FORBIDDEN, 0,
				       "error while removing network: network %s id %s has active "
				       "endpoints",
				       n->name, n->id);
	/* the bridge first: a crash in between leaves a record without a bridge (made again
	 * at first use, or removed with the network), never a bridge without a record */
	struct nl *l = nl_open(NULL);
	if (l)
		nl_link_del(l, n->bridge, NULL);
	nl_close(l);
	_cleanup_free_ char *path = str_printf("%s/%s.json", nc->dir, n->id);
	if (store_remove_file(path, e) < 0)
		return -1;
	netctl_event_locked(eng, "destroy", n, NULL);
	drop_locked(nc, n);
	struct err e2 = ERR_INIT;
	if (netctl_apply_locked(nc, &e2) < 0)
		log_warn("%s", e2.msg);
	return 0;
}

int engine_network_remove(struct engine *eng, const char *name, struct err *e)
{
	struct netctl *nc = eng->net;
	pthread_mutex_lock(&nc->mu);
	struct netw *n = netctl_find_locked(nc, name, e);
	if (n) {
		/* stopped containers' veths on it gone first (the reaper frees on n) */
		char id[65];
		snprintf(id, sizeof(id), "%s", n->id);
		netctl_reap_wait_locked(nc, NULL, id);
		n = netctl_find_locked(nc, id, e);
	}
	int r = n ? remove_locked(eng, n, e) : -1;
	pthread_mutex_unlock(&nc->mu);
	return r;
}

json_t *engine_network_prune(struct engine *eng, int (*keep)(const json_t *net, void *arg),
			     void *arg, struct err *e)
{
	struct netctl *nc = eng->net;
	json_t *out = json_array();
	pthread_mutex_lock(&nc->mu);
	netctl_reap_wait_locked(nc, NULL, NULL);
	for (size_t i = 0; i < nc->n;) {
		struct netw *n = nc->nets[i];
		bool used = n->is_default || n->driver != NET_BRIDGE ||
			    json_is_true(json_object_get(n->rec, "Ingress")); /* as dockerd */
		for (size_t j = 0; j < nc->natts && !used; j++)
			used = nc->atts[j]->net == n;
		_cleanup_free_ char *name = str_dup(n->name);
		if (used || (keep && keep(n->rec, arg)) || remove_locked(eng, n, NULL) < 0) {
			i++;
			continue;
		}
		json_array_append_new(out, json_string(name));
	}
	pthread_mutex_unlock(&nc->mu);
	return out;
}
