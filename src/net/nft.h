/* net/nft: berth's nftables table (one per daemon, `ip berth-<bridge>`), replaced as a whole
 * in one atomic transaction through libnftables: masquerade, published ports, isolation. */
#ifndef BERTH_NET_NFT_H
#define BERTH_NET_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/ipam.h"
#include "util/err.h"

struct nft_bridge {
	const char *ifname;
	struct ipam_subnet subnet;
	bool internal; /* no traffic to or from other interfaces */
	bool masquerade;
};

struct nft_port {
	bool udp;
	uint32_t host_ip; /* 0: every local address */
	uint16_t host_port;
	uint32_t cip; /* the container's address */
	uint16_t cport;
};

/* The ruleset text for these bridges and ports (malloc'd); pure, for tests. */
char *nft_ruleset(const char *table, const struct nft_bridge *b, size_t nb,
		  const struct nft_port *p, size_t np);
/* Replaces the table with that ruleset, atomically. */
int nft_apply(const char *table, const struct nft_bridge *b, size_t nb, const struct nft_port *p,
	      size_t np, struct err *e);
/* Removes the table (missing is fine). */
int nft_delete(const char *table, struct err *e);

#endif
