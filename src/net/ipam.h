/* net/ipam: IPv4 address arithmetic for networks: CIDR parsing, overlap, the pick of a free
 * subnet from Docker's default pools, the next free address, MACs derived from addresses. */
#ifndef BERTH_NET_IPAM_H
#define BERTH_NET_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Addresses are host byte order here; "a.b.c.d" in JSON. */
struct ipam_subnet {
	uint32_t addr; /* the network address (host bits cleared) */
	int len;
};

/* "10.1.0.0/16" -> subnet; "invalid CIDR address: s" (ERR_INVALID) else. With strict, host
 * bits must be zero. */
int ipam_parse_cidr(const char *s, struct ipam_subnet *out, uint32_t *host, struct err *e);
int ipam_parse_ip(const char *s, uint32_t *out);
/* "a.b.c.d" into buf (16 bytes). */
char *ipam_fmt(uint32_t a, char buf[16]);
/* "a.b.c.d/len" malloc'd. */
char *ipam_fmt_cidr(struct ipam_subnet s);
uint32_t ipam_mask(int len);
bool ipam_contains(struct ipam_subnet s, uint32_t a);
bool ipam_overlaps(struct ipam_subnet a, struct ipam_subnet b);
/* The first subnet of Docker's default pools (172.17-31.0.0/16, then 192.168.x.0/20), then
 * 10.200-255.0.0/16, overlapping none of used[]. -1 (ERR_UNAVAILABLE-like, 500) when all are taken.
 */
int ipam_pick_subnet(const struct ipam_subnet *used, size_t n, struct ipam_subnet *out,
		     struct err *e);
/* The first address of range (inside subnet) that is neither the network, the broadcast,
 * nor taken(addr). 0 when the range is full. */
uint32_t ipam_next_free(struct ipam_subnet subnet, struct ipam_subnet range,
			bool (*taken)(uint32_t addr, void *arg), void *arg);
/* Docker's MAC of an address: 02:42 then the four address bytes. */
void ipam_mac(uint32_t a, uint8_t mac[6]);
char *ipam_fmt_mac(const uint8_t mac[6], char buf[18]);
int ipam_parse_mac(const char *s, uint8_t mac[6]);

#endif
