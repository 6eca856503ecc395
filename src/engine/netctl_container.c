/* engine/netctl_container: a container's networking through its life: the endpoints checked
 * and recorded at create (NetworkSettings), attached at start (none, host, container:<x>,
 * bridge and user networks), /etc files, ports, DNS; released at exit, restored after a
 * daemon restart. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "engine/netctl.h"
#include "engine/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static const char *mode_of(const json_t *rec)
{
	const char *m =
	    json_string_value(json_object_get(json_object_get(rec, "HostConfig"), "NetworkMode"));
	return !m || !*m || !strcmp(m, "default") ? "bridge" : m;
}

json_t *netctl_endpoint_new(const char *netid, const json_t *cfg)
{
	json_t *ipam = json_object_get(cfg, "IPAMConfig");
	json_t *aliases = json_object_get(cfg, "Aliases");
	json_t *links = json_object_get(cfg, "Links");
	json_t *ep = json_pack("{s:O, s:O, s:O, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:n}",
			       "IPAMConfig", json_is_object(ipam) ? ipam : json_null(), "Links",
			       json_is_array(links) ? links : json_null(), "Aliases",
			       json_is_array(aliases) ? aliases : json_null(), "MacAddress", "",
			       "NetworkID", netid, "EndpointID", "", "Gateway", "", "IPAddress", "",
			       "IPPrefixLen", 0, "IPv6Gateway", "", "GlobalIPv6Address", "",
			       "GlobalIPv6PrefixLen", 0, "DriverOpts");
	json_t *opts = json_object_get(cfg, "DriverOpts");
	if (ep && json_is_object(opts))
		json_object_set(ep, "DriverOpts", opts);
	return ep;
}

static json_t *settings_new(void)
{
	return json_pack("{s:s, s:s, s:b, s:s, s:i, s:{}, s:s, s:n, s:n, s:s, s:s, s:s, s:i, "
			 "s:s, s:i, s:s, s:s, s:{}}",
			 "Bridge", "", "SandboxID", "", "HairpinMode", 0, "LinkLocalIPv6Address",
			 "", "LinkLocalIPv6PrefixLen", 0, "Ports", "SandboxKey", "",
			 "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID", "",
			 "Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
			 "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "", "MacAddress", "",
			 "Networks");
}

/* An endpoint's configuration against its network (mu held). */
int netctl_endpoint_check(struct netw *n, const json_t *cfg, struct err *e)
{
	const char *ip =
	    json_string_value(json_object_get(json_object_get(cfg, "IPAMConfig"), "IPv4Address"));
	bool user = n->driver == NET_BRIDGE && !n->is_default;
	if (ip && *ip && !user)
		return err_invalid(e, "user specified IP address is supported on user defined "
				      "networks only");
	if (json_array_size(json_object_get(cfg, "Aliases")) && !user)
		return err_invalid(e, "network-scoped alias is supported only for containers in "
				      "user defined networks");
	const char *mac = json_string_value(json_object_get(cfg, "MacAddress"));
	uint8_t m[6];
	if (mac && *mac && ipam_parse_mac(mac, m) < 0)
		return err_invalid(e, "invalid MAC address: %s", mac);
	uint32_t a;
	if (ip && *ip && (ipam_parse_ip(ip, &a) < 0 || !n->subnet.len))
		return err_invalid(e, "invalid IPv4 address: %s", ip);
	return 0;
}

static int add_networks_locked(struct netctl *nc, json_t *nets, const json_t *rec,
			       const json_t *epcfg, struct err *e)
{
	const char *mode = mode_of(rec);
	/* a missing network is dockerd's 404 at start, not at create (where the CLI would
	 * take a 404 for a missing image and try to pull it) */
	struct netw *n = netctl_find_locked(nc, mode, NULL);
	if (!n) {
		json_object_set_new(nets, mode, netctl_endpoint_new("", NULL));
		return 0;
	}
	const char *raw =
	    json_string_value(json_object_get(json_object_get(rec, "HostConfig"), "NetworkMode"));
	const json_t *cfg = json_object_get(epcfg, mode);
	if (!cfg)
		cfg = json_object_get(epcfg, n->name);
	if (!cfg && raw)
		cfg = json_object_get(epcfg, raw);
	if (netctl_endpoint_check(n, cfg, e) < 0)
		return -1;
	json_object_set_new(nets, n->name, netctl_endpoint_new(n->id, cfg));
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)epcfg, k, v) {
		if (str_eq(k, raw))
			continue; /* the CLI names the mode's network as given ("default") */
		struct netw *o = netctl_find_locked(nc, k, NULL);
		if (!o) {
			json_object_set_new(nets, k, netctl_endpoint_new("", v));
			continue;
		}
		if (o == n)
			continue;
		if (n->driver != NET_BRIDGE || o->driver != NET_BRIDGE)
			return err_invalid(e,
					   "Container cannot be connected to network endpoints: "
					   "%s, %s",
					   n->name, o->name);
		if (netctl_endpoint_check(o, v, e) < 0)
			return -1;
		json_object_set_new(nets, o->name, netctl_endpoint_new(o->id, v));
	}
	return 0;
}

int container_net_check(struct engine *eng, json_t *rec, struct err *e)
{
	if (netctl_links_check(eng, rec, e) < 0)
		return -1;
	const char *mode = mode_of(rec);
	json_t *ns = settings_new();
	json_object_set_new(rec, "NetworkSettings", ns);
	if (str_has_prefix(mode, "container:"))
		return 0; /* the other container is looked up at start */
	const json_t *epcfg =
	    json_object_get(json_object_get(rec, "_NetworkingConfig"), "EndpointsConfig");
	struct netctl *nc = eng->net;
	pthread_mutex_lock(&nc->mu);
	int r = add_networks_locked(nc, json_object_get(ns, "Networks"), rec, epcfg, e);
	pthread_mutex_unlock(&nc->mu);
	return r;
}

/* Sets the top-level fields (the default bridge's, as Docker shows them). */
static void settings_top(json_t *ns, const json_t *ep)
{
	static const char *const keys[] = {"EndpointID", "Gateway", "IPAddress", "IPPrefixLen",
					   "MacAddress"};
	for (size_t i = 0; i < 5; i++)
		json_object_set(ns, keys[i], json_object_get(ep, keys[i]));
}

static void settings_clear(json_t *ns)
{
	_cleanup_json_ json_t *empty = netctl_endpoint_new("", NULL);
	json_object_set_new(empty, "IPPrefixLen", json_integer(0));
	settings_top(ns, empty);
	json_object_set_new(ns, "Ports", json_object());
	json_object_set_new(ns, "SandboxKey", json_string(""));
	json_object_set_new(ns, "SandboxID", json_string(""));
	const char *k;
	json_t *ep;
	json_object_foreach (json_object_get(ns, "Networks"), k, ep) {
		static const char *const keys[] = {"EndpointID", "Gateway", "IPAddress",
						   "MacAddress"};
		for (size_t i = 0; i < 4; i++)
			json_object_set_new(ep, keys[i], json_string(""));
		json_object_set_new(ep, "IPPrefixLen", json_integer(0));
	}
}

/* A working copy of c's NetworkSettings (a record made before networks gets them) for the
 * start to change without the store's lock (it publishes it under it); busy held, so the
 * record is read without the lock. */
static json_t *settings_copy(struct container *c)
{
	json_t *ns = json_deep_copy(json_object_get(c->rec, "NetworkSettings"));
	if (!json_is_object(ns)) {
		json_decref(ns);
		ns = settings_new();
	}
	if (!json_is_object(json_object_get(ns, "Networks")))
		json_object_set_new(ns, "Networks", json_object());
	return ns;
}

/* Replaces c's NetworkSettings with ns (stolen): busy held, so only readers can race. */
static void settings_publish(struct engine *eng, struct container *c, json_t *ns)
{
	pthread_mutex_lock(&eng->containers->mu);
	json_object_set_new(c->rec, "NetworkSettings", ns);
	pthread_mutex_unlock(&eng->containers->mu);
}

/* The MAC asked for: the endpoint's (API >= 1.44: EndpointsConfig[net].MacAddress, the
 * primary one maybe under the mode's name as given, "default"), else Config.MacAddress for
 * eth0; NULL: derived from the address. */
static const char *mac_of(const json_t *rec, const char *net, bool primary, int idx)
{
	const json_t *epcfg =
	    json_object_get(json_object_get(rec, "_NetworkingConfig"), "EndpointsConfig");
	const char *raw =
	    json_string_value(json_object_get(json_object_get(rec, "HostConfig"), "NetworkMode"));
	const json_t *cfg = json_object_get(epcfg, net);
	if (!cfg && primary && raw)
		cfg = json_object_get(epcfg, raw);
	const char *mac = json_string_value(json_object_get(cfg, "MacAddress"));
	if (mac && *mac)
		return mac;
	mac = json_string_value(json_object_get(json_object_get(rec, "Config"), "MacAddress"));
	return idx == 0 && mac && *mac ? mac : NULL;
}

/* Attaches every bridge endpoint of c into ns (c's NetworkSettings, a copy), ports and DNS;
 * mu held. */
static int attach_all_locked(struct netctl *nc, struct container *c, json_t *ns, int nsfd,
			     const char *rdir, struct err *e)
{
	const char *mode = mode_of(c->rec);
	const char *k;
	json_t *ep;
	uint32_t first = 0;
	bool user = false;
	int idx = 0;
	/* the NetworkMode network first: it gets eth0 and the default route */
	for (int pass = 0; pass < 2; pass++) {
		json_object_foreach (json_object_get(ns, "Networks"), k, ep) {
			struct netw *n = netctl_find_locked(
			    nc, json_string_value(json_object_get(ep, "NetworkID")), NULL);
			if (!n)
				n = netctl_find_locked(nc, k, e);
			if (!n)
				return -1;
			bool primary = str_eq(n->name, mode) || str_eq(n->id, mode);
			if ((pass == 0) != primary || n->driver != NET_BRIDGE)
				continue;
			char ifname[16];
			snprintf(ifname, sizeof(ifname), "eth%d", idx);
			if (netctl_attach_locked(nc, c->rec, n, ep, nsfd, ifname, idx == 0,
						 mac_of(c->rec, k, primary, idx), e) < 0)
				return -1;
			if (n->is_default)
				settings_top(ns, ep);
			if (!first)
				ipam_parse_ip(json_string_value(json_object_get(ep, "IPAddress")),
					      &first);
			user = user || !n->is_default;
			idx++;
		}
	}
	json_t *ports = NULL;
	if (first && netctl_ports_publish_locked(nc, c->rec, first, &ports, e) < 0)
		return -1;
	if (ports)
		json_object_set_new(ns, "Ports", ports);
	netctl_state_save_locked(nc, c->id, rdir);
	return user ? 1 : 0;
}

struct dns_job {
	int nsfd, fd;
};

/* The embedded DNS listener, bound inside the container's namespace (a thread joins it). */
static void *dns_socket_thread(void *p)
{
	struct dns_job *j = p;
	if (setns(j->nsfd, CLONE_NEWNET) < 0)
		return NULL;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	sa.sin_addr.s_addr = htonl(0x7f00000b); /* 127.0.0.11 */
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	j->fd = fd;
	return NULL;
}

void netctl_dns_listen_locked(struct netctl *nc, const json_t *rec, int nsfd)
{
	struct dns_job j = {nsfd, -1};
	pthread_t t;
	if (pthread_create(&t, NULL, dns_socket_thread, &j) != 0)
		return;
	pthread_join(t, NULL);
	if (j.fd < 0) {
		log_warn("container %.12s: no embedded DNS listener",
			 json_string_value(json_object_get(rec, "Id")));
		return;
	}
	uint32_t up[3];
	netctl_upstream(rec, up);
	netctl_dns_add_locked(nc, json_string_value(json_object_get(rec, "Id")), j.fd, up);
}

static char *netns_of(struct engine *eng, const char *id)
{
	_cleanup_free_ char *rdir = container_run_dir(eng, id);
	return str_printf("%s/netns", rdir);
}

/* container:<other>: the other's namespace, while it runs. */
static int join_other(struct engine *eng, const char *other, char **netns, struct err *e)
{
	struct container *o = container_get(eng, other, e);
	if (!o)
		return -1;
	pthread_mutex_lock(&eng->containers->mu);
	bool run = container_running(o);
	pthread_mutex_unlock(&eng->containers->mu);
	*netns = run ? netns_of(eng, o->id) : NULL;
	if (run && !fs_exists(*netns))
		free(TAKE_PTR(*netns)); /* o runs on the host's network */
	container_put(eng, o);
	if (!run)
		return err_conflict(e, "cannot join network of a non running container: %s", other);
	return 0;
}

/* The endpoints attached in the namespace at nsfd, written into ns; mu taken. */
static int attach_networks(struct engine *eng, struct container *c, json_t *ns, int nsfd,
			   const char *rdir, struct err *e)
{
	struct netctl *nc = eng->net;
	const char *mode = mode_of(c->rec);
	pthread_mutex_lock(&nc->mu);
	json_t *nets = json_object_get(ns, "Networks");
	const json_t *epcfg =
	    json_object_get(json_object_get(c->rec, "_NetworkingConfig"), "EndpointsConfig");
	/* a record from before networks: its mode's network now */
	int r = strcmp(mode, "none") && !json_object_size(nets)
		    ? add_networks_locked(nc, nets, c->rec, epcfg, e)
		    : 0;
	if (r == 0)
		r = attach_all_locked(nc, c, ns, nsfd, rdir, e);
	if (r > 0)
		netctl_dns_listen_locked(nc, c->rec, nsfd);
	if (r < 0) {
		if (netctl_ports_release_locked(nc, c->id))
			netctl_apply_locked(nc, NULL);
		netctl_detach_locked(nc, c->id, NULL);
	}
	pthread_mutex_unlock(&nc->mu);
	return r < 0 ? -1 : 0;
}

int container_net_start(struct engine *eng, struct container *c, const char *rdir, char **netns,
			struct err *e)
{
	const char *mode = mode_of(c->rec);
	*netns = NULL;
	json_t *ns = settings_copy(c);
	if (!strcmp(mode, "host")) {
		settings_publish(eng, c, ns);
		return 0;
	}
	if (str_has_prefix(mode, "container:")) {
		settings_publish(eng, c, ns);
		return join_other(eng, mode + 10, netns, e);
	}
	_cleanup_free_ char *path = str_printf("%s/netns", rdir);
	if (engine_userns_netns_create(eng, c->rec, path, e) < 0) {
		json_decref(ns);
		return -1;
	}
	_cleanup_close_ int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		json_decref(ns);
		container_netns_remove(path);
		return err_sys(e, "open %s", path);
	}
	if (attach_networks(eng, c, ns, nsfd, rdir, e) < 0) {
		settings_clear(ns);
		settings_publish(eng, c, ns);
		container_netns_remove(path);
		return -1;
	}
	json_object_set_new(ns, "SandboxKey", json_string(path));
	json_object_set_new(ns, "SandboxID", json_string(c->id));
	settings_publish(eng, c, ns);
	*netns = TAKE_PTR(path);
	return 0;
}

static int copy_etc(struct engine *eng, const char *other, const char *cdir, struct err *e)
{
	_cleanup_free_ char *id = engine_container_resolve(eng, other, e);
	if (!id)
		return -1;
	_cleanup_free_ char *odir = container_dir(eng, id);
	static const char *const files[] = {"hosts", "resolv.conf", "hostname"};
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *src = str_printf("%s/%s", odir, files[i]);
		_cleanup_free_ char *dst = str_printf("%s/%s", cdir, files[i]);
		size_t len;
		_cleanup_free_ char *s = fs_read_file(src, &len, NULL);
		if (s && fs_write_replace(dst, s, len, 0644, e) < 0)
			return -1;
	}
	return 0;
}

int container_net_write_etc(struct engine *eng, struct container *c, const char *cdir,
			    struct err *e)
{
	const char *mode = mode_of(c->rec);
	if (!strcmp(mode, "host"))
		return 0;
	if (str_has_prefix(mode, "container:"))
		return copy_etc(eng, mode + 10, cdir, e);
	json_t *ns = json_object_get(c->rec, "NetworkSettings");
	uint32_t ip = 0, gw = 0;
	bool user = false;
	const char *k;
	json_t *ep;
	json_object_foreach (json_object_get(ns, "Networks"), k, ep) {
		uint32_t a;
		if (ipam_parse_ip(json_string_value(json_object_get(ep, "IPAddress")), &a) < 0)
			continue;
		bool primary = str_eq(k, mode) ||
			       str_eq(json_string_value(json_object_get(ep, "NetworkID")), mode);
		if (!ip || primary)
			ip = a;
		user = user || strcmp(k, "bridge");
	}
	struct netctl *nc = eng->net;
	pthread_mutex_lock(&nc->mu);
	struct netw *def = netctl_find_locked(nc, "bridge", NULL);
	if (def && def->up)
		gw = def->gw;
	pthread_mutex_unlock(&nc->mu);
	_cleanup_strv_ char **links = NULL;
	if (netctl_link_hosts(eng, c->rec, &links, e) < 0)
		return -1;
	return netctl_write_etc(c->rec, cdir, ip, user, gw, links, e);
}

void container_net_stop(struct engine *eng, struct container *c, const char *rdir)
{
	struct netctl *nc = eng->net;
	pthread_mutex_lock(&nc->mu);
	netctl_dns_drop_locked(nc, c->id);
	/* the port sockets are closed now; the table (its DNAT rules to the container's
	 * address, which stays allocated until then) is rewritten on the reaper's thread with
	 * the veths, which it deletes; the namespace goes now, so that the kernel deletes them
	 * with it should this daemon die first (a restarted one rebuilds the table) */
	if (netctl_ports_release_locked(nc, c->id))
		nc->table_stale = true;
	netctl_retire_locked(nc, c->id);
	if (nc->table_stale)
		netctl_reap_table_locked(nc);
	pthread_mutex_unlock(&nc->mu);
	_cleanup_free_ char *path = str_printf("%s/netns", rdir);
	container_netns_remove(path);
	pthread_mutex_lock(&eng->containers->mu);
	json_t *ns = json_object_get(c->rec, "NetworkSettings");
	if (json_is_object(ns))
		settings_clear(ns);
	pthread_mutex_unlock(&eng->containers->mu);
}

void container_net_restore(struct engine *eng, struct container *c, const char *rdir)
{
	struct netctl *nc = eng->net;
	_cleanup_free_ char *path = str_printf("%s/netns", rdir);
	_cleanup_close_ int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return;
	json_t *ns = json_object_get(c->rec, "NetworkSettings");
	pthread_mutex_lock(&nc->mu);
	netctl_state_restore_locked(nc, c->rec, rdir);
	uint32_t ip = 0;
	bool user = false;
	for (size_t i = 0; i < nc->natts; i++) {
		if (strcmp(nc->atts[i]->cid, c->id))
			continue;
		if (!ip)
			ip = nc->atts[i]->ip;
		user = user || !nc->atts[i]->net->is_default;
	}
	if (ip)
		netctl_ports_restore_locked(nc, c->id, json_object_get(ns, "Ports"), ip);
	if (user)
		netctl_dns_listen_locked(nc, c->rec, nsfd);
	pthread_mutex_unlock(&nc->mu);
}

void container_net_rename(struct engine *eng, const char *id, const char *name)
{
	struct netctl *nc = eng->net;
	pthread_mutex_lock(&nc->mu);
	for (size_t i = 0; i < nc->natts; i++) {
		if (strcmp(nc->atts[i]->cid, id))
			continue;
		free(nc->atts[i]->cname);
		nc->atts[i]->cname = str_dup(name);
	}
	pthread_mutex_unlock(&nc->mu);
}
