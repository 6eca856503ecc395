/* engine/netctl_connect: docker network connect / disconnect: the endpoint is added to (or
 * dropped from) the container's record, and when it runs, attached (or detached) live: a
 * new ethN in its namespace, the embedded DNS when it joins a user network. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "engine/netctl.h"
#include "engine/network.h"
#include "net/nl.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static const char *mode_of(const json_t *rec)
{
	const char *m =
	    json_string_value(json_object_get(json_object_get(rec, "HostConfig"), "NetworkMode"));
	return !m || !*m || !strcmp(m, "default") ? "bridge" : m;
}

/* The first ethN not in the namespace yet. */
static void free_ifname(int nsfd, char ifname[16])
{
	struct nl *in = nl_open_in(nsfd, NULL);
	for (int i = 0; i < 64; i++) {
		snprintf(ifname, 16, "eth%d", i);
		if (!in || nl_link_index(in, ifname, NULL) == 0)
			break;
	}
	nl_close(in);
}

static int connect_live(struct engine *eng, struct container *c, struct netw *n, json_t *ep,
			struct err *e)
{
	struct netctl *nc = eng->net;
	_cleanup_free_ char *rdir = container_run_dir(eng, c->id);
	_cleanup_free_ char *path = str_printf("%s/netns", rdir);
	_cleanup_close_ int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return err_sys(e, "container %.12s: open %s", c->id, path);
	char ifname[16];
	free_ifname(nsfd, ifname);
	bool had_dns = false;
	for (size_t i = 0; i < nc->ndns; i++)
		had_dns = had_dns || !strcmp(nc->dns[i].cid, c->id);
	bool first = true;
	for (size_t i = 0; i < nc->natts; i++)
		first = first && strcmp(nc->atts[i]->cid, c->id);
	if (netctl_attach_locked(nc, c->rec, n, ep, nsfd, ifname, first, NULL, e) < 0)
		return -1;
	if (!had_dns && !n->is_default)
		netctl_dns_listen_locked(nc, c->rec, nsfd);
	netctl_state_save_locked(nc, c->id, rdir);
	return 0;
}

static int do_connect(struct engine *eng, struct container *c, struct netw *n, const json_t *cfg,
		      struct err *e)
{
	const char *mode = mode_of(c->rec);
	json_t *nets = json_object_get(json_object_get(c->rec, "NetworkSettings"), "Networks");
	if (!strcmp(mode, "host") || !strcmp(mode, "none") || str_has_prefix(mode, "container:") ||
	    n->driver != NET_BRIDGE)
		return err_invalid(e, "container cannot be disconnected from host network or "
				      "connected to host network");
	if (json_object_get(nets, n->name))
		return err_set(e, ERR_FORBIDDEN, 0,
			       "endpoint with name %s already exists in network %s",
			       json_string_value(json_object_get(c->rec, "Name")) + 1, n->name);
	if (netctl_endpoint_check(n, cfg, e) < 0)
		return -1;
	_cleanup_json_ json_t *ep = netctl_endpoint_new(n->id, cfg);
	pthread_mutex_lock(&eng->containers->mu);
	bool running = container_running(c);
	pthread_mutex_unlock(&eng->containers->mu);
	if (running && connect_live(eng, c, n, ep, e) < 0)
		return -1;
	pthread_mutex_lock(&eng->containers->mu);
	json_object_set(nets, n->name, ep);
	pthread_mutex_unlock(&eng->containers->mu);
	return container_save(eng, c, e);
}

int engine_network_connect(struct engine *eng, const char *net, const char *container,
			   const json_t *endpoint, struct err *e)
{
	struct container *c = container_get(eng, container, e);
	if (!c)
		return -1;
	container_lock_busy(eng, c);
	struct netctl *nc = eng->net;
	pthread_mutex_lock(&nc->mu);
	struct netw *n = netctl_find_locked(nc, net, e);
	int r = n ? do_connect(eng, c, n, endpoint, e) : -1;
	if (r == 0)
		netctl_event_locked(eng, "connect", n, c->id);
	pthread_mutex_unlock(&nc->mu);
	container_unlock_busy(eng, c);
	container_put(eng, c);
	return r;
}

static int do_disconnect(struct engine *eng, struct container *c, struct netw *n, struct err *e)
{
	struct netctl *nc = eng->net;
	json_t *nets = json_object_get(json_object_get(c->rec, "NetworkSettings"), "Networks");
	if (!json_object_get(nets, n->name))
		return err_set(e, ERR_FORBIDDEN, 0, "container %s is not connected to network %s",
			       c->id, n->name);
	if (n->driver != NET_BRIDGE)
		return err_invalid(e, "container cannot be disconnected from host network or "
				      "connected to host network");
	netctl_detach_locked(nc, c->id, n);
	bool user = false;
	for (size_t i = 0; i < nc->natts; i++)
		user = user || (!strcmp(nc->atts[i]->cid, c->id) && !nc->atts[i]->net->is_default);
	if (!user)
		netctl_dns_drop_locked(nc, c->id);
	_cleanup_free_ char *rdir = container_run_dir(eng, c->id);
	pthread_mutex_lock(&eng->containers->mu);
	bool running = container_running(c);
	json_object_del(nets, n->name);
	pthread_mutex_unlock(&eng->containers->mu);
	if (running)
		netctl_state_save_locked(nc, c->id, rdir);
	return container_save(eng, c, e);
}

int engine_network_disconnect(struct engine *eng, const char *net, const char *container,
			      bool force, struct err *e)
{
	struct container *c = container_get(eng, container, e);
	if (!c)
		return -1;
	container_lock_busy(eng, c);
	struct netctl *nc = eng->net;
	pthread_mutex_lock(&nc->mu);
	struct netw *n = netctl_find_locked(nc, net, e);
	int r = n ? do_disconnect(eng, c, n, e) : -1;
	if (r == 0)
		netctl_event_locked(eng, "disconnect", n, c->id);
	pthread_mutex_unlock(&nc->mu);
	container_unlock_busy(eng, c);
	container_put(eng, c);
	return r;
}
