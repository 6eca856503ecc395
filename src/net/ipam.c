/* net/ipam: IPv4 address arithmetic: CIDRs, overlaps, free subnets and addresses, MACs.
 * Pure functions; which addresses are taken is the caller's (netctl's) business. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ipam.h"
#include "util/cleanup.h"
#include "util/str.h"

uint32_t ipam_mask(int len)
{
	return len <= 0 ? 0 : len >= 32 ? 0xffffffffu : ~0u << (32 - len);
}

int ipam_parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

char *ipam_fmt(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

char *ipam_fmt_cidr(struct ipam_subnet s)
{
	char b[16];
	return str_printf("%s/%d", ipam_fmt(s.addr, b), s.len);
}

int ipam_parse_cidr(const char *s, struct ipam_subnet *out, uint32_t *host, struct err *e)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	if (!slash || slash == s || !slash[1] || strlen(slash + 1) > 2)
		return err_invalid(e, "invalid CIDR address: %s", s ? s : "");
	_cleanup_free_ char *ip = str_ndup(s, (size_t)(slash - s));
	char *end;
	long len = strtol(slash + 1, &end, 10);
	uint32_t a;
	if (*end || len < 0 || len > 32 || slash[1] < '0' || slash[1] > '9' ||
	    ipam_parse_ip(ip, &a) < 0)
		return err_invalid(e, "invalid CIDR address: %s", s);
	out->len = (int)len;
	out->addr = a & ipam_mask(out->len);
	if (host)
		*host = a;
	return 0;
}

bool ipam_contains(struct ipam_subnet s, uint32_t a)
{
	return (a & ipam_mask(s.len)) == s.addr;
}

bool ipam_overlaps(struct ipam_subnet a, struct ipam_subnet b)
{
	int len = a.len < b.len ? a.len : b.len;
	return ((a.addr ^ b.addr) & ipam_mask(len)) == 0;
}

static bool free_of(struct ipam_subnet c, const struct ipam_subnet *used, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ipam_overlaps(c, used[i]))
			return false;
	return true;
}

int ipam_pick_subnet(const struct ipam_subnet *used, size_t n, struct ipam_subnet *out,
		     struct err *e)
{
	for (uint32_t b = 17; b <= 31; b++) {
		struct ipam_subnet c = {(172u << 24) | (b << 16), 16};
		if (free_of(c, used, n)) {
			*out = c;
			return 0;
		}
	}
	for (uint32_t b = 0; b < 256; b += 16) {
		struct ipam_subnet c = {(192u << 24) | (168u << 16) | (b << 8), 20};
		if (free_of(c, used, n)) {
			*out = c;
			return 0;
		}
	}
	/* beyond Docker's pools (a busy host, or one running many daemons): 10.200-255.0.0/16 */
	for (uint32_t b = 200; b < 256; b++) {
		struct ipam_subnet c = {(10u << 24) | (b << 16), 16};
		if (free_of(c, used, n)) {
			*out = c;
			return 0;
		}
	}
	return err_set(e, ERR_INTERNAL, 0,
		       "could not find an available, non-overlapping IPv4 address pool among "
		       "the defaults to assign to the network");
}

uint32_t ipam_next_free(struct ipam_subnet subnet, struct ipam_subnet range,
			bool (*taken)(uint32_t addr, void *arg), void *arg)
{
	uint32_t first = range.addr, last = range.addr | ~ipam_mask(range.len);
	uint32_t net = subnet.addr, bcast = subnet.addr | ~ipam_mask(subnet.len);
	for (uint64_t a = first; a <= last; a++) {
		uint32_t x = (uint32_t)a;
		if (subnet.len < 31 && (x == net || x == bcast))
			continue;
		if (!taken(x, arg))
			return x;
	}
	return 0;
}

void ipam_mac(uint32_t a, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = (uint8_t)(a >> 24);
	mac[3] = (uint8_t)(a >> 16);
	mac[4] = (uint8_t)(a >> 8);
	mac[5] = (uint8_t)a;
}

char *ipam_fmt_mac(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

int ipam_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int v[6];
	char extra;
	if (!s ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &extra) != 6 ||
	    strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}
