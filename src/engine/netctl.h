/* engine/netctl: the engine's networks: records under root/network, the host bridges, the
 * live endpoints of running containers, berth's nftables table and the embedded DNS. */
#ifndef BERTH_ENGINE_NETCTL_H
#define BERTH_ENGINE_NETCTL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine_priv.h"
#include "net/ipam.h"
#include "net/nft.h"

enum net_driver { NET_BRIDGE, NET_HOST, NET_NULL };

struct netw {
	json_t *rec;	       /* inspect shape plus _Bridge and _Alloc ({ip: container id}) */
	const char *id, *name; /* inside rec */
	enum net_driver driver;
	char bridge[16];
	struct ipam_subnet subnet, range;
	uint32_t gw;
	int mtu;
	bool internal, is_default, up; /* up: the bridge exists and has its address */
};

/* One container on one bridge network, while it runs. */
struct att {
	char cid[65];
	char *cname; /* without the slash */
	struct netw *net;
	uint32_t ip;
	uint8_t mac[6];
	char veth[16];
	char **aliases;
	char **links; /* "container:alias" (legacy links, resolved by the DNS on this network) */
	char epid[65];
};

/* A running container's published ports and the sockets reserving them. */
struct cports {
	char cid[65];
	struct nft_port *p;
	size_t n;
	int *fds;
	size_t nfds;
};

/* An endpoint of a stopped container whose veth is still being deleted by the reaper thread
 * (netctl_reap.c), off the critical path of the exit; its address stays allocated until the
 * veth is gone. The namespace was unmounted before: if the daemon dies meanwhile, the kernel
 * deletes the pair with the namespace, and the allocation was only in memory. */
struct dying {
	char cid[65];
	char veth[16];
	char netid[65];
	uint32_t ip;
};

/* A DNS listener inside a container's namespace (127.0.0.11:53). */
struct dnsl {
	char cid[65];
	int fd;
	uint32_t upstream[3]; /* host byte order, 0 = none */
};

struct netctl {
	pthread_mutex_t mu;
	struct netw **nets;
	size_t n;
	struct att **atts;
	size_t natts;
	struct cports **ports;
	size_t nports;
	struct dnsl *dns;
	size_t ndns;
	int dns_wake[2]; /* a byte makes the DNS thread re-read its listeners */
	pthread_t dns_thread;
	bool dns_running, closing;
	struct dying *dying;
	size_t ndying;
	pthread_cond_t reap_wake; /* dying grew, or reap_stop */
	pthread_cond_t reaped;	  /* dying shrank */
	pthread_t reaper;
	bool reaper_running, reap_stop;
	bool table_stale; /* a stopped container's port rules are still in the table: the reaper
			     rewrites it (a start that applies it first clears this) */
	char *dir;	  /* root/network */
	char *table;	  /* berth-<bridge> */
	char *default_bridge, *bip;
};

int netctl_open(struct engine *eng, struct err *e);
void netctl_close(struct engine *eng);
/* After container recovery: the table for the live endpoints. */
void netctl_sync(struct engine *eng);

/* netctl.c, with mu held */
struct netw *netctl_find_locked(struct netctl *nc, const char *name, struct err *e);
int netctl_save_locked(struct netctl *nc, struct netw *n, struct err *e);
/* Creates the bridge of n (and picks the default network's subnet) when not yet up. */
int netctl_bridge_ensure_locked(struct netctl *nc, struct netw *n, struct err *e);
int netctl_apply_locked(struct netctl *nc, struct err *e);
struct netw *netctl_add_locked(struct netctl *nc, json_t *rec);
void netctl_used_subnets(struct netctl *nc, const struct netw *skip, struct ipam_subnet **out,
			 size_t *n, bool routes);

/* netctl_dns.c */
int netctl_dns_start(struct netctl *nc, struct err *e);
void netctl_dns_stop(struct netctl *nc);
/* Adds / drops a listener (mu held); fd is taken. */
void netctl_dns_add_locked(struct netctl *nc, const char *cid, int fd, const uint32_t up[3]);
void netctl_dns_drop_locked(struct netctl *nc, const char *cid);
/* The answer to a DNS query (pure, for tests): *alen bytes into ans; 0 when the name is not
 * ours (then forwarded), -1 when the query is malformed. */
int dns_answer(const uint8_t *q, size_t qlen, uint32_t (*lookup)(const char *name, void *arg),
	       void *arg, uint8_t *ans, size_t *alen);

/* netctl_attach.c, mu held */
struct att *netctl_att_new(const char *cid, const char *cname, struct netw *n,
			   const json_t *aliases);
int netctl_attach_locked(struct netctl *nc, const json_t *rec, struct netw *n, json_t *ep, int nsfd,
			 const char *ifname, bool route, const char *mac, struct err *e);
void netctl_detach_locked(struct netctl *nc, const char *cid, struct netw *n);
/* Hands cid's endpoints to the reaper (mu held): their veths are deleted and addresses
 * freed there; the container's other allocations (left by a dead daemon) are freed now. */
void netctl_retire_locked(struct netctl *nc, const char *cid);
/* Frees an address of n (mu held). */
void netctl_free_ip_locked(struct netctl *nc, struct netw *n, uint32_t ip);

/* netctl_reap.c, mu held: waits until the reaper is done with cid's endpoints (everyone's
 * when cid is NULL; only those on network netid when that is given). mu is released while
 * waiting: netw pointers may be stale afterwards (netid must not point into one). */
void netctl_reap_wait_locked(struct netctl *nc, const char *cid, const char *netid);
/* Whether ip of n is held by an endpoint being torn down. */
bool netctl_reap_holds_locked(struct netctl *nc, const struct netw *n, uint32_t ip);
/* Queues one (starts the thread on first use); stop drains the queue and joins it. */
void netctl_reap_add_locked(struct netctl *nc, const struct dying *d);
/* Has the reaper rewrite the table (table_stale), or rewrites it now when there is none. */
void netctl_reap_table_locked(struct netctl *nc);
void netctl_reap_stop(struct netctl *nc);
void netctl_state_save_locked(struct netctl *nc, const char *cid, const char *rdir);
void netctl_state_restore_locked(struct netctl *nc, const json_t *rec, const char *rdir);

/* netctl_ports.c: publishes rec's ports to ip (NetworkSettings.Ports into *ports_json);
 * releases them. mu held. */
int netctl_ports_publish_locked(struct netctl *nc, const json_t *rec, uint32_t ip,
				json_t **ports_json, struct err *e);
/* Whether cid had ports (then the table needs applying). */
bool netctl_ports_release_locked(struct netctl *nc, const char *cid);
/* Restores the reservations and rules of Ports after a daemon restart. */
void netctl_ports_restore_locked(struct netctl *nc, const char *cid, const json_t *ports,
				 uint32_t ip);

/* netctl_etc.c: /etc/hosts (extra_hosts: lines of --link targets) and /etc/resolv.conf of a
 * container; the upstream resolvers
 * of its DNS (for user networks). */
int netctl_write_etc(const json_t *rec, const char *cdir, uint32_t ip, bool embedded_dns,
		     uint32_t default_gw, char *const *extra_hosts, struct err *e);
void netctl_upstream(const json_t *rec, uint32_t up[3]);

/* netctl_links.c: "IP\talias id name" lines for --link targets (refused when one isn't
 * running). */
int netctl_link_hosts(struct engine *eng, const json_t *rec, char ***out, struct err *e);
/* "name", "name:alias" or "/name:/container/alias" into its target and alias; -1 when
 * either is empty. */
int netctl_link_parse(const char *l, char **target, char **alias);
/* The links of a new container, as dockerd checks them at create (400s). */
int netctl_links_check(struct engine *eng, json_t *rec, struct err *e);

/* netctl_container.c: an endpoint in inspect shape from an EndpointConfig (may be NULL). */
json_t *netctl_endpoint_new(const char *netid, const json_t *cfg);
/* An EndpointConfig against n: --ip and aliases only on user networks. */
int netctl_endpoint_check(struct netw *n, const json_t *cfg, struct err *e);
/* The embedded DNS listener in the namespace nsfd of rec's container (mu held). */
void netctl_dns_listen_locked(struct netctl *nc, const json_t *rec, int nsfd);
/* netctl_api.c: a network event (create, destroy, connect, disconnect). */
void netctl_event_locked(struct engine *eng, const char *action, struct netw *n, const char *cid);
#endif
