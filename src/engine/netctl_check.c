/* engine/netctl_check: the network side of `berth system check`: endpoints, address
 * allocations, published ports and DNS listeners only for running containers, and no veth on
 * one of our bridges that no endpoint accounts for. Read-only. */
#include <string.h>

#include "engine/engine_check.h"
#include "engine/netctl.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

#define PROBLEM(v, ...) strv_push_take(v, str_printf(__VA_ARGS__))

static bool att_has_veth(const struct netctl *nc, const char *veth)
{
	for (size_t i = 0; i < nc->natts; i++)
		if (!strcmp(nc->atts[i]->veth, veth))
			return true;
	/* a stopped container's, being deleted by the reaper */
	for (size_t i = 0; i < nc->ndying; i++)
		if (!strcmp(nc->dying[i].veth, veth))
			return true;
	return false;
}

static bool dying_holds(const struct netctl *nc, const struct netw *n, const char *ip)
{
	uint32_t a;
	if (ipam_parse_ip(ip, &a) < 0)
		return false;
	for (size_t i = 0; i < nc->ndying; i++)
		if (nc->dying[i].ip == a && str_eq(nc->dying[i].netid, n->id))
			return true;
	return false;
}

static void check_net(const struct netctl *nc, const struct netw *n, engine_check_running_fn run,
		      void *arg, char ***p)
{
	const char *ip;
	json_t *cid;
	json_object_foreach (json_object_get(n->rec, "_Alloc"), ip, cid)
		if (!run(json_string_value(cid), arg) && !dying_holds(nc, n, ip))
			PROBLEM(p, "network %s: address %s held for %s, which is not running",
				n->name, ip, json_string_value(cid));
	if (n->driver != NET_BRIDGE || !n->up)
		return;
	_cleanup_free_ char *brif = str_printf("/sys/class/net/%s/brif", n->bridge);
	_cleanup_strv_ char **ports = store_list_dir(brif, "", NULL);
	for (char **v = ports; v && *v; v++)
		if (!att_has_veth(nc, *v))
			PROBLEM(p, "network %s: %s on bridge %s belongs to no endpoint", n->name,
				*v, n->bridge);
}

void netctl_check(struct engine *eng, engine_check_running_fn run, void *arg, char ***p)
{
	struct netctl *nc = eng->net;
	if (!nc)
		return;
	pthread_mutex_lock(&nc->mu);
	for (size_t i = 0; i < nc->natts; i++) {
		const struct att *a = nc->atts[i];
		_cleanup_free_ char *dev = str_printf("/sys/class/net/%s", a->veth);
		if (!run(a->cid, arg))
			PROBLEM(p, "network %s: endpoint of %s, which is not running", a->net->name,
				a->cid);
		else if (!fs_exists(dev))
			PROBLEM(p, "network %s: veth %s of %s is gone", a->net->name, a->veth,
				a->cid);
	}
	for (size_t i = 0; i < nc->nports; i++)
		if (!run(nc->ports[i]->cid, arg))
			PROBLEM(p, "ports published for %s, which is not running",
				nc->ports[i]->cid);
	for (size_t i = 0; i < nc->ndns; i++)
		if (!run(nc->dns[i].cid, arg))
			PROBLEM(p, "DNS listener for %s, which is not running", nc->dns[i].cid);
	for (size_t i = 0; i < nc->n; i++)
		check_net(nc, nc->nets[i], run, arg, p);
	pthread_mutex_unlock(&nc->mu);
}
