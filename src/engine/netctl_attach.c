/* engine/netctl_attach: a container on a bridge network: address from the network's IPAM
 * (recorded in its file), a veth pair whose peer is made inside the container's namespace,
 * address and default route there; and the reverse. The live state of a running container
 * is also kept in <run>/containers/<id>/net.json so that a restarted daemon restores it. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "engine/netctl.h"
#include "engine/swarm.h"
#include "net/nl.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static bool ip_taken(uint32_t a, void *arg)
{
	struct netw *n = arg;
	char b[16];
	if (a == n->gw || json_object_get(json_object_get(n->rec, "_Alloc"), ipam_fmt(a, b)))
		return true;
	/* auxiliary addresses (--aux-address) are the user's, never a container's */
	json_t *cfg = json_array_get(json_object_get(json_object_get(n->rec, "IPAM"), "Config"), 0);
	const char *k;
	json_t *v;
	json_object_foreach (json_object_get(cfg, "AuxiliaryAddresses"), k, v)
		if (str_eq(json_string_value(v), b))
			return true;
	return false;
}

/* The address: the one asked for (--ip) or the next free one; recorded (in memory only: a
 * restarted daemon makes the allocations again from its running containers' net.json). One
 * still held by a stopped container's endpoint being torn down is waited for. */
static int alloc_ip(struct netctl *nc, struct netw *n, const char *cid, const char *want,
		    uint32_t *out, struct err *e)
{
	uint32_t a = 0;
	if (want && *want) {
		if (ipam_parse_ip(want, &a) < 0)
			return err_invalid(e, "invalid IPv4 address: %s", want);
		if (!ipam_contains(n->subnet, a))
			return err_invalid(e,
					   "Invalid address %s: It does not belong to any of this "
					   "network's subnets",
					   want);
		/* (n stays: a network with endpoints, this one's included, is not removed) */
		char id[65];
		snprintf(id, sizeof(id), "%s", n->id);
		while (netctl_reap_holds_locked(nc, n, a))
			netctl_reap_wait_locked(nc, NULL, id);
		if (ip_taken(a, n))
			return err_set(e, ERR_FORBIDDEN, 0, "Address already in use");
	} else if (!(a = ipam_next_free(n->subnet, n->range, ip_taken, n))) {
		char id[65];
		snprintf(id, sizeof(id), "%s", n->id);
		netctl_reap_wait_locked(nc, NULL, id);
		if (!(a = ipam_next_free(n->subnet, n->range, ip_taken, n)))
			return err_set(e, ERR_INTERNAL, 0,
				       "no available IPv4 addresses on network %s", n->name);
	}
	char b[16];
	json_object_set_new(json_object_get(n->rec, "_Alloc"), ipam_fmt(a, b), json_string(cid));
	*out = a;
	return 0;
}

void netctl_free_ip_locked(struct netctl *nc, struct netw *n, uint32_t a)
{
	char b[16];
	json_object_del(json_object_get(n->rec, "_Alloc"), ipam_fmt(a, b));
}

/* Configures ifname inside the namespace: address, and the default route on the first. */
static int ns_config(int nsfd, const char *ifname, struct netw *n, uint32_t ip, bool route,
		     struct err *e)
{
	struct nl *in = nl_open_in(nsfd, e);
	if (!in)
		return -1;
	int idx = nl_link_index(in, ifname, e);
	int r =
	    idx <= 0 ? (idx < 0 ? -1 : err_set(e, ERR_INTERNAL, 0, "%s: not created", ifname))
	    : nl_addr_add(in, idx, htonl(ip), n->subnet.len, e) < 0 || nl_link_up(in, idx, 0, e) < 0
		? -1
	    : route && !n->internal ? nl_route_default(in, idx, htonl(n->gw), e)
				    : 0;
	nl_close(in);
	return r;
}

static json_t *strv_to_json(char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static void att_free(struct att *a)
{
	if (!a)
		return;
	free(a->cname);
	strv_free(a->aliases);
	strv_free(a->links);
	free(a);
}

/* Joins a to nc's endpoints (mu held). */
static void att_add_locked(struct netctl *nc, struct att *a)
{
	nc->atts = xrealloc(nc->atts, (nc->natts + 1) * sizeof(*nc->atts));
	nc->atts[nc->natts++] = a;
}

struct att *netctl_att_new(const char *cid, const char *cname, struct netw *n,
			   const json_t *aliases)
{
	struct att *a = xcalloc(1, sizeof(*a));
	snprintf(a->cid, sizeof(a->cid), "%s", cid);
	a->cname = str_dup(cname && *cname == '/' ? cname + 1 : cname ? cname : "");
	a->net = n;
	size_t i;
	json_t *v;
	json_array_foreach (aliases, i, v)
		if (json_is_string(v))
			strv_push(&a->aliases, json_string_value(v));
	return a;
}

/* Attaches the container to n: the endpoint ep (inspect shape) is filled in. mu held. */
int netctl_attach_locked(struct netctl *nc, const json_t *rec, struct netw *n, json_t *ep, int nsfd,
			 const char *ifname, bool route, const char *mac_s, struct err *e)
{
	const char *cid = json_string_value(json_object_get(rec, "Id"));
	if (swarm_network_attach_check(n->rec, e) < 0)
		return -1;
	const char *want =
	    json_string_value(json_object_get(json_object_get(ep, "IPAMConfig"), "IPv4Address"));
	struct att *a = netctl_att_new(cid, json_string_value(json_object_get(rec, "Name")), n,
				       json_object_get(ep, "Aliases"));
	size_t li;
	json_t *lv;
	json_array_foreach (json_object_get(ep, "Links"), li, lv)
		if (json_is_string(lv))
			strv_push(&a->links, json_string_value(lv));
	/* --link on a user network: resolved by the DNS ("/target:/me/alias") */
	json_array_foreach (json_object_get(json_object_get(rec, "HostConfig"), "Links"), li, lv) {
		_cleanup_free_ char *target = NULL, *alias = NULL;
		if (!n->is_default &&
		    netctl_link_parse(json_string_value(lv), &target, &alias) == 0)
			strv_push_take(&a->links, str_printf("%s:%s", target, alias));
	}
	char hex[ID_HEX_LEN + 1];
	if (netctl_bridge_ensure_locked(nc, n, e) < 0 || id_generate(hex, e) < 0 ||
	    alloc_ip(nc, n, cid, want, &a->ip, e) < 0) {
		att_free(a);
		return -1;
	}
	if (!mac_s || !*mac_s || ipam_parse_mac(mac_s, a->mac) < 0)
		ipam_mac(a->ip, a->mac);
	snprintf(a->veth, sizeof(a->veth), "veth%.7s", hex);
	snprintf(a->epid, sizeof(a->epid), "%s", hex);
	struct nl *l = nl_open(e);
	int br = l ? nl_link_index(l, n->bridge, e) : -1;
	if (br <= 0 || nl_veth_add(l, a->veth, br, ifname, nsfd, a->mac, n->mtu, e) < 0 ||
	    ns_config(nsfd, ifname, n, a->ip, route, e) < 0) {
		if (br == 0)
			err_set(e, ERR_INTERNAL, 0, "bridge %s is gone", n->bridge);
		if (l)
			nl_link_del(l, a->veth, NULL);
		nl_close(l);
		netctl_free_ip_locked(nc, n, a->ip);
		att_free(a);
		return err_wrap(e, "network %s", n->name);
	}
	nl_close(l);
	att_add_locked(nc, a);
	char ipb[16], gwb[16], macb[18];
	json_object_set_new(ep, "NetworkID", json_string(n->id));
	json_object_set_new(ep, "EndpointID", json_string(a->epid));
	json_object_set_new(ep, "Gateway", json_string(n->internal ? "" : ipam_fmt(n->gw, gwb)));
	json_object_set_new(ep, "IPAddress", json_string(ipam_fmt(a->ip, ipb)));
	json_object_set_new(ep, "IPPrefixLen", json_integer(n->subnet.len));
	json_object_set_new(ep, "MacAddress", json_string(ipam_fmt_mac(a->mac, macb)));
	return 0;
}

/* Allocations of cid on n (any network when NULL) that no endpoint accounts for: left by
 * a daemon that died with the container. */
static void free_stray_locked(struct netctl *nc, const char *cid, const struct netw *n)
{
	for (size_t i = 0; i < nc->n; i++) {
		if (n && nc->nets[i] != n)
			continue;
		json_t *alloc = json_object_get(nc->nets[i]->rec, "_Alloc");
		const char *ip;
		json_t *v, *tmp;
		json_object_foreach_safe (alloc, tmp, ip, v) {
			uint32_t a;
			if (str_eq(json_string_value(v), cid) &&
			    (ipam_parse_ip(ip, &a) < 0 ||
			     !netctl_reap_holds_locked(nc, nc->nets[i], a)))
				json_object_del(alloc, ip);
		}
	}
}

/* Removes cid's endpoint on n (all of cid's when n is NULL); whether any had ports' rules
 * is the caller's. mu held. */
void netctl_detach_locked(struct netctl *nc, const char *cid, struct netw *n)
{
	struct nl *l = nl_open(NULL);
	for (size_t i = 0; i < nc->natts;) {
		struct att *a = nc->atts[i];
		if (strcmp(a->cid, cid) || (n && a->net != n)) {
			i++;
			continue;
		}
		if (l)
			nl_link_del(l, a->veth, NULL);
		netctl_free_ip_locked(nc, a->net, a->ip);
		att_free(a);
		nc->atts[i] = nc->atts[--nc->natts];
	}
	nl_close(l);
	free_stray_locked(nc, cid, n);
}

/* The container's endpoints go to the reaper, which deletes the veths (the container's
 * namespace is about to be unmounted) and then frees the addresses. */
void netctl_retire_locked(struct netctl *nc, const char *cid)
{
	for (size_t i = 0; i < nc->natts;) {
		struct att *a = nc->atts[i];
		if (strcmp(a->cid, cid)) {
			i++;
			continue;
		}
		struct dying d;
		memset(&d, 0, sizeof(d));
		snprintf(d.cid, sizeof(d.cid), "%s", a->cid);
		snprintf(d.veth, sizeof(d.veth), "%s", a->veth);
		snprintf(d.netid, sizeof(d.netid), "%s", a->net->id);
		d.ip = a->ip;
		att_free(a);
		nc->atts[i] = nc->atts[--nc->natts];
		netctl_reap_add_locked(nc, &d);
	}
	free_stray_locked(nc, cid, NULL);
}

/* The live state for a restarted daemon: endpoints (network, address, MAC, veth). */
void netctl_state_save_locked(struct netctl *nc, const char *cid, const char *rdir)
{
	json_t *atts = json_array();
	char ipb[16], macb[18];
	for (size_t i = 0; i < nc->natts; i++) {
		struct att *a = nc->atts[i];
		if (strcmp(a->cid, cid))
			continue;
		json_array_append_new(
		    atts, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "net", a->net->id, "ip",
				    ipam_fmt(a->ip, ipb), "mac", ipam_fmt_mac(a->mac, macb), "veth",
				    a->veth, "ep", a->epid, "aliases", strv_to_json(a->aliases)));
	}
	_cleanup_json_ json_t *st = json_pack("{s:o}", "atts", atts);
	_cleanup_free_ char *path = str_printf("%s/net.json", rdir);
	_cleanup_free_ char *s = jx_dumps(st);
	fs_write_replace(path, s, strlen(s), 0600, NULL);
}

/* Back after a daemon restart: the endpoints of net.json. mu held. */
void netctl_state_restore_locked(struct netctl *nc, const json_t *rec, const char *rdir)
{
	_cleanup_free_ char *path = str_printf("%s/net.json", rdir);
	_cleanup_json_ json_t *st = fs_exists(path) ? jx_load_file(path, NULL) : NULL;
	const char *cid = json_string_value(json_object_get(rec, "Id"));
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(st, "atts"), i, v) {
		struct netw *n =
		    netctl_find_locked(nc, json_string_value(json_object_get(v, "net")), NULL);
		uint32_t ip;
		if (!n || ipam_parse_ip(json_string_value(json_object_get(v, "ip")), &ip) < 0)
			continue;
		struct att *a = netctl_att_new(cid, json_string_value(json_object_get(rec, "Name")),
					       n, json_object_get(v, "aliases"));
		a->ip = ip;
		size_t li;
		json_t *lv;
		json_array_foreach (json_object_get(v, "links"), li, lv)
			strv_push(&a->links, json_string_value(lv));
		ipam_parse_mac(json_string_value(json_object_get(v, "mac")), a->mac);
		snprintf(a->veth, sizeof(a->veth), "%s",
			 json_string_value(json_object_get(v, "veth")) ?: "");
		snprintf(a->epid, sizeof(a->epid), "%s",
			 json_string_value(json_object_get(v, "ep")) ?: "");
		char b[16];
		json_object_set_new(json_object_get(n->rec, "_Alloc"), ipam_fmt(ip, b),
				    json_string(cid));
		att_add_locked(nc, a);
	}
}
