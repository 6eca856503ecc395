/* net/nl: rtnetlink through libmnl: bridges, veth pairs, addresses, routes, link lookup.
 * A socket is bound to the network namespace it was opened in (nl_open / nl_open_in). */
#ifndef BERTH_NET_NL_H
#define BERTH_NET_NL_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct nl;

/* A route of the main table: destination/prefix and the outgoing interface. */
struct nl_route {
	uint32_t dst; /* network byte order */
	int len;
	int oif;
};

struct nl *nl_open(struct err *e);
/* A socket inside the namespace of netns_fd (opened from a helper thread). */
struct nl *nl_open_in(int netns_fd, struct err *e);
void nl_close(struct nl *n);

/* ifindex of name in n's namespace, 0 when there is none. */
int nl_link_index(struct nl *n, const char *name, struct err *e);
/* A bridge named name, up, with a fixed random MAC (so ports joining don't change it). */
int nl_bridge_add(struct nl *n, const char *name, int mtu, struct err *e);
/* A veth pair: host end in n's namespace (up, a port of master), peer created directly in
 * netns_fd's namespace as peer (down: nl_link_up it there; mac, mtu). */
int nl_veth_add(struct nl *n, const char *host, int master, const char *peer, int netns_fd,
		const uint8_t mac[6], int mtu, struct err *e);
int nl_link_del(struct nl *n, const char *name, struct err *e);
/* Brings a link up (and attaches it to master when master > 0). */
int nl_link_up(struct nl *n, int index, int master, struct err *e);
/* Renames a (down) link. */
int nl_link_rename(struct nl *n, int index, const char *name, struct err *e);
/* IPv4 address addr/prefix on index (network byte order). */
int nl_addr_add(struct nl *n, int index, uint32_t addr, int prefix, struct err *e);
/* Default route via gw (network byte order) on index. */
int nl_route_default(struct nl *n, int index, uint32_t gw, struct err *e);
/* Main-table IPv4 routes; *out malloc'd. */
int nl_routes(struct nl *n, struct nl_route **out, int *count, struct err *e);
/* MTU of a link, 0 when unknown. */
int nl_link_mtu(struct nl *n, int index);

#endif
