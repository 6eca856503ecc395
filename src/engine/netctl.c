/* engine/netctl: the network store: records in root/network/<id>.json (bridge, host, none
 * made at first start), the host bridges (made on first use), berth's nftables table. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/netctl.h"
#include "net/nl.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static void netw_index(struct netw *n)
{
	json_t *r = n->rec;
	n->id = json_string_value(json_object_get(r, "Id"));
	n->name = json_string_value(json_object_get(r, "Name"));
	const char *drv = json_string_value(json_object_get(r, "Driver"));
	n->driver = str_eq(drv, "host") ? NET_HOST : str_eq(drv, "null") ? NET_NULL : NET_BRIDGE;
	snprintf(n->bridge, sizeof(n->bridge), "%s",
		 json_string_value(json_object_get(r, "_Bridge")) ?: "");
	n->internal = json_is_true(json_object_get(r, "Internal"));
	json_t *cfg = json_array_get(json_object_get(json_object_get(r, "IPAM"), "Config"), 0);
	const char *sub = json_string_value(json_object_get(cfg, "Subnet"));
	const char *gw = json_string_value(json_object_get(cfg, "Gateway"));
	const char *rng = json_string_value(json_object_get(cfg, "IPRange"));
	n->subnet.len = 0;
	if (sub && ipam_parse_cidr(sub, &n->subnet, NULL, NULL) == 0) {
		n->range = n->subnet;
		if (rng && *rng)
			ipam_parse_cidr(rng, &n->range, NULL, NULL);
		if (!gw || ipam_parse_ip(gw, &n->gw) < 0)
			n->gw = n->subnet.addr + 1;
	}
	if (!json_is_object(json_object_get(r, "_Alloc")))
		json_object_set_new(r, "_Alloc", json_object());
}

struct netw *netctl_add_locked(struct netctl *nc, json_t *rec)
{
	struct netw *n = xcalloc(1, sizeof(*n));
	n->rec = rec;
	netw_index(n);
	nc->nets = xrealloc(nc->nets, (nc->n + 1) * sizeof(*nc->nets));
	nc->nets[nc->n++] = n;
	return n;
}

/* Without _Alloc: the allocations are the running containers' (net.json), made again by a
 * restarted daemon, so a container's start and exit write no network record. */
int netctl_save_locked(struct netctl *nc, struct netw *n, struct err *e)
{
	_cleanup_free_ char *path = str_printf("%s/%s.json", nc->dir, n->id);
	_cleanup_json_ json_t *r = json_copy(n->rec);
	json_object_del(r, "_Alloc");
	return jx_save_atomic(path, r, e);
}

static json_t *predefined(const char *name, const char *driver, const char *bridge)
{
	char id[ID_HEX_LEN + 1];
	if (id_generate(id, NULL) < 0)
		return NULL;
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	json_t *opts = json_object();
	if (bridge) {
		json_object_set_new(opts, "com.docker.network.bridge.default_bridge",
				    json_string("true"));
		json_object_set_new(opts, "com.docker.network.bridge.enable_icc",
				    json_string("true"));
		json_object_set_new(opts, "com.docker.network.bridge.enable_ip_masquerade",
				    json_string("true"));
		json_object_set_new(opts, "com.docker.network.bridge.name", json_string(bridge));
	}
	json_t *r = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:n, s:[]}, s:b, s:b, s:b, s:{s:s}, s:b, "
	    "s:o, s:{}}",
	    "Name", name, "Id", id, "Created", now, "Scope", "local", "Driver", driver,
	    "EnableIPv6", 0, "IPAM", "Driver", "default", "Options", "Config", "Internal", 0,
	    "Attachable", 0, "Ingress", 0, "ConfigFrom", "Network", "", "ConfigOnly", 0, "Options",
	    opts, "Labels");
	if (bridge)
		json_object_set_new(r, "_Bridge", json_string(bridge));
	return r;
}

static int load_all(struct netctl *nc, struct err *e)
{
	_cleanup_strv_ char **names = store_list_dir(nc->dir, ".json", e);
	if (!names)
		return -1;
	for (char **p = names; *p; p++) {
		_cleanup_free_ char *path = str_printf("%s/%s", nc->dir, *p);
		json_t *r = store_load_json(path, NULL);
		if (!json_is_object(r) || !json_is_string(json_object_get(r, "Id"))) {
			log_warn("network record %s unreadable: ignored", path);
			json_decref(r);
			continue;
		}
		struct netw *n = netctl_add_locked(nc, r);
		n->is_default = str_eq(n->name, "bridge");
	}
	static const char *const pre[][2] = {
	    {"bridge", "bridge"}, {"host", "host"}, {"none", "null"}};
	for (size_t i = 0; i < 3; i++) {
		if (netctl_find_locked(nc, pre[i][0], NULL))
			continue;
		json_t *r = predefined(pre[i][0], pre[i][1], i == 0 ? nc->default_bridge : NULL);
		struct netw *n = netctl_add_locked(nc, r);
		n->is_default = i == 0;
		if (netctl_save_locked(nc, n, e) < 0)
			return -1;
	}
	return 0;
}

int netctl_open(struct engine *eng, struct err *e)
{
	struct netctl *nc = xcalloc(1, sizeof(*nc));
	pthread_mutex_init(&nc->mu, NULL);
	pthread_cond_init(&nc->reap_wake, NULL);
	pthread_cond_init(&nc->reaped, NULL);
	nc->dns_wake[0] = nc->dns_wake[1] = -1;
	nc->dir = str_printf("%s/network", eng->root);
	nc->table = str_printf("berth-%s", eng->bridge);
	nc->default_bridge = str_dup(eng->bridge);
	nc->bip = eng->bip ? str_dup(eng->bip) : NULL;
	eng->net = nc;
	if (nc->bip) {
		struct ipam_subnet s;
		uint32_t host;
		if (ipam_parse_cidr(nc->bip, &s, &host, e) < 0 || host == s.addr)
			return err_invalid(e, "--bip %s: expected the gateway address/prefix",
					   nc->bip);
	}
	if (store_mkdir(nc->dir, 0700, e) < 0 || store_clean_tmp(nc->dir, e) < 0)
		return -1;
	pthread_mutex_lock(&nc->mu);
	int r = load_all(nc, e);
	pthread_mutex_unlock(&nc->mu);
	if (r < 0)
		return -1;
	return netctl_dns_start(nc, e);
}

/* Names and full IDs first, then a unique ID prefix (as dockerd resolves networks). */
struct netw *netctl_find_locked(struct netctl *nc, const char *name, struct err *e)
{
	if (!name || !*name) {
		err_notfound(e, "network %s not found", name ? name : "");
		return NULL;
	}
	for (size_t i = 0; i < nc->n; i++)
		if (str_eq(nc->nets[i]->id, name) || str_eq(nc->nets[i]->name, name))
			return nc->nets[i];
	struct netw *found = NULL;
	for (size_t i = 0; i < nc->n; i++) {
		if (!str_has_prefix(nc->nets[i]->id, name))
			continue;
		if (found) {
			err_set(e, ERR_INVALID, 0,
				"network %s is ambiguous (%zu matches found based on ID prefix)",
				name, (size_t)2);
			return NULL;
		}
		found = nc->nets[i];
	}
	if (!found)
		err_notfound(e, "network %s not found", name);
	return found;
}

void netctl_used_subnets(struct netctl *nc, const struct netw *skip, struct ipam_subnet **out,
			 size_t *n, bool routes)
{
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < nc->n; i++) {
		if (nc->nets[i] == skip || !nc->nets[i]->subnet.len)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = nc->nets[i]->subnet;
	}
	if (!routes)
		return;
	struct nl *l = nl_open(NULL);
	struct nl_route *rt = NULL;
	int nr = 0;
	int own = skip && skip->bridge[0] && l ? nl_link_index(l, skip->bridge, NULL) : 0;
	if (l && nl_routes(l, &rt, &nr, NULL) == 0) {
		for (int i = 0; i < nr; i++) {
			if (rt[i].len == 0 || (own && rt[i].oif == own))
				continue;
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = (struct ipam_subnet){ntohl(rt[i].dst), rt[i].len};
		}
	}
	free(rt);
	nl_close(l);
}
