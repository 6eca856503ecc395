/* engine/netctl_bridge: a bridge network's host side: its subnet (the default network's
 * chosen at first use, avoiding host routes and other bridges, under a host-wide lock so
 * that concurrent daemons never pick the same), the bridge and its address, the table. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/netctl.h"
#include "net/nl.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

#define NET_LOCK "/run/berth-network.lock"

static int default_mtu(struct nl *l)
{
	struct nl_route *rt = NULL;
	int n = 0, mtu = 0;
	if (nl_routes(l, &rt, &n, NULL) == 0)
		for (int i = 0; i < n && !mtu; i++)
			if (rt[i].len == 0 && rt[i].oif > 0)
				mtu = nl_link_mtu(l, rt[i].oif);
	free(rt);
	return mtu > 0 ? mtu : 1500;
}

static void set_ipam(struct netw *n)
{
	char gw[16];
	_cleanup_free_ char *sub = ipam_fmt_cidr(n->subnet);
	json_t *ipam = json_object_get(n->rec, "IPAM");
	json_object_set_new(
	    ipam, "Config",
	    json_pack("[{s:s, s:s}]", "Subnet", sub, "Gateway", ipam_fmt(n->gw, gw)));
}

/* The default network's subnet: --bip, else the persisted one while it is still free, else
 * the first free pool. */
static int default_subnet(struct netctl *nc, struct netw *n, struct err *e)
{
	if (nc->bip) {
		uint32_t host;
		if (ipam_parse_cidr(nc->bip, &n->subnet, &host, e) < 0)
			return -1;
		n->gw = host;
		n->range = n->subnet;
	} else {
		struct ipam_subnet *used;
		size_t nu;
		netctl_used_subnets(nc, n, &used, &nu, true);
		bool ok = n->subnet.len > 0;
		for (size_t i = 0; ok && i < nu; i++)
			ok = !ipam_overlaps(n->subnet, used[i]);
		int r = ok ? 0 : ipam_pick_subnet(used, nu, &n->subnet, e);
		free(used);
		if (r < 0)
			return -1;
		if (!ok) {
			n->gw = n->subnet.addr + 1;
			n->range = n->subnet;
		}
	}
	set_ipam(n);
	return netctl_save_locked(nc, n, e);
}

static void sysctl_set(const char *path, const char *v)
{
	struct err e = ERR_INIT;
	if (fs_write_string(path, v, &e) < 0)
		log_warn("%s", e.msg);
}

static int bridge_up(struct netctl *nc, struct netw *n, struct nl *l, struct err *e)
{
	int idx;
	if ((n->is_default && default_subnet(nc, n, e) < 0) ||
	    (idx = nl_link_index(l, n->bridge, e)) < 0)
		return -1;
	_cleanup_free_ char *brdir = str_printf("/sys/class/net/%s/bridge", n->bridge);
	if (idx > 0 && !fs_is_dir(brdir))
		return err_conflict(e, "network %s: %s exists and is not a bridge", n->name,
				    n->bridge);
	/* --opt com.docker.network.driver.mtu, else the host's default route's */
	const char *mtu = json_string_value(
	    json_object_get(json_object_get(n->rec, "Options"), "com.docker.network.driver.mtu"));
	n->mtu = mtu && atoi(mtu) >= 68 ? atoi(mtu) : default_mtu(l);
	if (!idx && (nl_bridge_add(l, n->bridge, n->mtu, e) < 0 ||
		     (idx = nl_link_index(l, n->bridge, e)) <= 0))
		return -1;
	if (nl_link_up(l, idx, 0, e) < 0 || nl_addr_add(l, idx, htonl(n->gw), n->subnet.len, e) < 0)
		return err_wrap(e, "network %s: bridge %s", n->name, n->bridge);
	_cleanup_free_ char *rl =
	    str_printf("/proc/sys/net/ipv4/conf/%s/route_localnet", n->bridge);
	sysctl_set(rl, "1");
	sysctl_set("/proc/sys/net/ipv4/ip_forward", "1");
	n->up = true;
	return netctl_apply_locked(nc, e);
}

int netctl_bridge_ensure_locked(struct netctl *nc, struct netw *n, struct err *e)
{
	if (n->driver != NET_BRIDGE || n->up)
		return 0;
	_cleanup_close_ int lk = open(NET_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lk < 0 || flock(lk, LOCK_EX) < 0)
		return err_sys(e, "lock %s", NET_LOCK);
	struct nl *l = nl_open(e);
	if (!l)
		return -1;
	int r = bridge_up(nc, n, l, e);
	nl_close(l);
	return r;
}

int netctl_apply_locked(struct netctl *nc, struct err *e)
{
	struct nft_bridge *b = xcalloc(nc->n + 1, sizeof(*b));
	size_t nb = 0, np = 0;
	for (size_t i = 0; i < nc->n; i++) {
		struct netw *n = nc->nets[i];
		if (n->driver != NET_BRIDGE || !n->up)
			continue;
		const char *masq = json_string_value(
		    json_object_get(json_object_get(n->rec, "Options"),
				    "com.docker.network.bridge.enable_ip_masquerade"));
		b[nb++] =
		    (struct nft_bridge){n->bridge, n->subnet, n->internal, !str_eq(masq, "false")};
	}
	for (size_t i = 0; i < nc->nports; i++)
		np += nc->ports[i]->n;
	struct nft_port *p = xcalloc(np + 1, sizeof(*p));
	np = 0;
	for (size_t i = 0; i < nc->nports; i++)
		for (size_t j = 0; j < nc->ports[i]->n; j++)
			p[np++] = nc->ports[i]->p[j];
	int r = nft_apply(nc->table, b, nb, p, np, e);
	if (r == 0)
		nc->table_stale = false;
	free(b);
	free(p);
	return r;
}

/* After recovery: bridges that exist are up again (address, sysctls), the live containers'
 * veths are ports of them again, allocations of containers no longer running are freed,
 * and the table is rebuilt. */
void netctl_sync(struct engine *eng)
{
	struct netctl *nc = eng->net;
	struct err e = ERR_INIT;
	pthread_mutex_lock(&nc->mu);
	struct nl *l = nl_open(NULL);
	for (size_t i = 0; i < nc->n; i++) {
		struct netw *n = nc->nets[i];
		bool live = false;
		for (size_t j = 0; j < nc->natts; j++)
			live = live || nc->atts[j]->net == n;
		if (n->driver != NET_BRIDGE ||
		    (!live && (!l || nl_link_index(l, n->bridge, NULL) <= 0)))
			continue;
		if (netctl_bridge_ensure_locked(nc, n, &e) < 0)
			log_warn("%s", e.msg);
	}
	for (size_t j = 0; l && j < nc->natts; j++) {
		struct att *a = nc->atts[j];
		int v = nl_link_index(l, a->veth, NULL),
		    br = nl_link_index(l, a->net->bridge, NULL);
		if (v > 0 && br > 0 && nl_link_up(l, v, br, &e) < 0)
			log_warn("%s", e.msg);
	}
	nl_close(l);
	for (size_t i = 0; i < nc->n; i++) {
		json_t *alloc = json_object_get(nc->nets[i]->rec, "_Alloc");
		const char *ip;
		json_t *v, *tmp;
		bool changed = false;
		json_object_foreach_safe (alloc, tmp, ip, v) {
			bool live = false;
			for (size_t j = 0; j < nc->natts; j++)
				live = live || str_eq(nc->atts[j]->cid, json_string_value(v));
			if (!live) {
				json_object_del(alloc, ip);
				changed = true;
			}
		}
		if (changed && netctl_save_locked(nc, nc->nets[i], &e) < 0)
			log_warn("%s", e.msg);
	}
	bool any = false;
	for (size_t i = 0; i < nc->n; i++)
		any = any || nc->nets[i]->up;
	/* no bridge in use: a table left by an earlier run has nothing to do */
	if ((any ? netctl_apply_locked(nc, &e) : nft_delete(nc->table, &e)) < 0)
		log_warn("%s", e.msg);
	pthread_mutex_unlock(&nc->mu);
}

void netctl_close(struct engine *eng)
{
	struct netctl *nc = eng->net;
	if (!nc)
		return;
	netctl_dns_stop(nc);
	netctl_reap_stop(nc);
	for (size_t i = 0; i < nc->n; i++) {
		json_decref(nc->nets[i]->rec);
		free(nc->nets[i]);
	}
	free(nc->nets);
	for (size_t i = 0; i < nc->natts; i++) {
		free(nc->atts[i]->cname);
		strv_free(nc->atts[i]->aliases);
		free(nc->atts[i]);
	}
	free(nc->atts);
	for (size_t i = 0; i < nc->nports; i++) {
		for (size_t j = 0; j < nc->ports[i]->nfds; j++)
			close(nc->ports[i]->fds[j]);
		free(nc->ports[i]->fds);
		free(nc->ports[i]->p);
		free(nc->ports[i]);
	}
	free(nc->ports);
	free(nc->dir);
	free(nc->table);
	free(nc->default_bridge);
	free(nc->bip);
	pthread_mutex_destroy(&nc->mu);
	pthread_cond_destroy(&nc->reap_wake);
	pthread_cond_destroy(&nc->reaped);
	free(nc);
	eng->net = NULL;
}
