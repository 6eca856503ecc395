/* ipam_fuzz: libFuzzer target for the address fields of network bodies (POST /networks/create's
 * IPAM Subnet, IPRange, Gateway; /networks/{id}/connect's IPv4Address; --mac-address), parsed
 * by net/ipam.c: a parsed CIDR prints and parses back to itself and contains its own address,
 * a parsed address or MAC prints back to an equal one, the next free address of a subnet lies
 * inside it and is neither its network nor its broadcast address. Input: one field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/ipam.h"
#include "util/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool taken_even(uint32_t a, void *arg)
{
	return (a & 1) == 0;
}

static void check_cidr(const char *s)
{
	struct ipam_subnet n;
	uint32_t host;
	struct err e = ERR_INIT;
	if (ipam_parse_cidr(s, &n, &host, &e) < 0) {
		if (!e.msg[0] || e.kind != ERR_INVALID)
			abort();
		return;
	}
	if (n.len < 0 || n.len > 32 || (n.addr & ~ipam_mask(n.len)) || !ipam_contains(n, host) ||
	    !ipam_overlaps(n, n))
		abort();
	_cleanup_free_ char *f = ipam_fmt_cidr(n);
	struct ipam_subnet back;
	if (ipam_parse_cidr(f, &back, NULL, NULL) < 0 || back.addr != n.addr || back.len != n.len)
		abort();
	uint32_t a = ipam_next_free(n, n, taken_even, NULL);
	if (a && (!ipam_contains(n, a) || (a & 1) == 0 || (n.len < 31 && a == n.addr) ||
		  (n.len < 31 && a == (n.addr | ~ipam_mask(n.len)))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = strndup((const char *)data, size);
	check_cidr(s);
	uint32_t a;
	char buf[16];
	if (ipam_parse_ip(s, &a) == 0) {
		uint32_t back;
		if (ipam_parse_ip(ipam_fmt(a, buf), &back) < 0 || back != a)
			abort();
	}
	uint8_t mac[6], mac2[6];
	char mbuf[18];
	if (ipam_parse_mac(s, mac) == 0 &&
	    (ipam_parse_mac(ipam_fmt_mac(mac, mbuf), mac2) < 0 || memcmp(mac, mac2, 6)))
		abort();
	return 0;
}
