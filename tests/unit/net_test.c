/* Unit tests for the pure parts of networking: CIDR parsing and overlaps, the pick of a free
 * subnet, the next free address, MACs (src/net/ipam), the nftables ruleset text (src/net/nft)
 * and the embedded DNS's answers (engine/netctl_dns). */
#include <arpa/inet.h>
#include <string.h>

#include "engine/netctl.h"
#include "net/ipam.h"
#include "net/nft.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/str.h"

static void test_cidr(void)
{
	struct ipam_subnet s;
	uint32_t host;
	struct err e = ERR_INIT;
	is_int(ipam_parse_cidr("10.1.2.3/16", &s, &host, &e), 0, "10.1.2.3/16 parses");
	char b[16];
	is_str(ipam_fmt(s.addr, b), "10.1.0.0", "host bits cleared");
	is_str(ipam_fmt(host, b), "10.1.2.3", "the host address kept");
	is_int(s.len, 16, "prefix 16");
	static const char *const bad[] = {"10.300.0.0/16", "10.0.0.0/33", "10.0.0.0",	 "/8",
					  "10.0.0.0/",	   "10.0.0.0/-1", "10.0.0.0/1x", "foo/8",
					  "10.0.0.0/008"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err_clear(&e);
		is_int(ipam_parse_cidr(bad[i], &s, NULL, &e), -1, "%s refused", bad[i]);
		is_int(e.kind, ERR_INVALID, "%s: invalid (400)", bad[i]);
		ok(strstr(e.msg, "invalid CIDR address") != NULL, "%s: Docker's message", bad[i]);
	}
	struct ipam_subnet a, c;
	ipam_parse_cidr("10.1.0.0/16", &a, NULL, NULL);
	ipam_parse_cidr("10.1.5.0/24", &c, NULL, NULL);
	ok(ipam_overlaps(a, c) && ipam_overlaps(c, a), "a /24 inside a /16 overlaps");
	ipam_parse_cidr("10.2.0.0/16", &c, NULL, NULL);
	ok(!ipam_overlaps(a, c), "neighbouring /16s don't");
	ok(ipam_contains(a, (10u << 24) | (1u << 16) | 7), "10.1.0.7 in 10.1.0.0/16");
}

static void test_pick(void)
{
	struct ipam_subnet used[16] = {{0, 0}}, got;
	size_t n = 0;
	is_int(ipam_pick_subnet(used, n, &got, NULL), 0, "a pool when nothing is used");
	char b[16];
	is_str(ipam_fmt(got.addr, b), "172.17.0.0", "Docker's first pool");
	/* docker0 and a host route inside 172.18 */
	ipam_parse_cidr("172.17.0.0/16", &used[n++], NULL, NULL);
	ipam_parse_cidr("172.18.3.0/24", &used[n++], NULL, NULL);
	ipam_pick_subnet(used, n, &got, NULL);
	is_str(ipam_fmt(got.addr, b), "172.19.0.0", "skips overlapping pools");
	/* a route covering all of 172.16/12: the 192.168 /20s follow */
	ipam_parse_cidr("172.16.0.0/12", &used[n++], NULL, NULL);
	ipam_pick_subnet(used, n, &got, NULL);
	is_str(ipam_fmt(got.addr, b), "192.168.0.0", "then 192.168.0.0/20");
	is_int(got.len, 20, "a /20");
	ipam_parse_cidr("192.168.0.0/16", &used[n++], NULL, NULL);
	ipam_pick_subnet(used, n, &got, NULL);
	is_str(ipam_fmt(got.addr, b), "10.200.0.0", "then 10.200.0.0/16");
	ipam_parse_cidr("10.0.0.0/8", &used[n++], NULL, NULL);
	struct err e = ERR_INIT;
	is_int(ipam_pick_subnet(used, n, &got, &e), -1, "all pools taken");
	ok(strstr(e.msg, "non-overlapping") != NULL, "...says so");
}

static bool taken_set(uint32_t a, void *arg)
{
	const uint32_t *set = arg;
	for (; *set; set++)
		if (*set == a)
			return true;
	return false;
}

static void test_next_free(void)
{
	struct ipam_subnet s, r;
	ipam_parse_cidr("10.5.0.0/29", &s, NULL, NULL);
	uint32_t taken[8] = {0};
	char b[16];
	uint32_t a = ipam_next_free(s, s, taken_set, taken);
	is_str(ipam_fmt(a, b), "10.5.0.1", "first host address (not the network)");
	taken[0] = a;
	taken[1] = a + 1;
	is_str(ipam_fmt(ipam_next_free(s, s, taken_set, taken), b), "10.5.0.3", "skips taken");
	for (int i = 0; i < 6; i++)
		taken[i] = s.addr + 1 + (uint32_t)i;
	is_int((int)ipam_next_free(s, s, taken_set, taken), 0, "full (broadcast never given)");
	ipam_parse_cidr("10.5.0.4/30", &r, NULL, NULL);
	memset(taken, 0, sizeof(taken));
	is_str(ipam_fmt(ipam_next_free(s, r, taken_set, taken), b), "10.5.0.4",
	       "inside the ip-range");
	uint8_t mac[6];
	char mb[18];
	ipam_mac((172u << 24) | (17u << 16) | 2, mac);
	is_str(ipam_fmt_mac(mac, mb), "02:42:ac:11:00:02", "Docker's MAC of 172.17.0.2");
	is_int(ipam_parse_mac("02:42:AC:11:00:02", mac), 0, "MAC parses");
	is_int(ipam_parse_mac("02:42:ac:11:00", mac), -1, "short MAC refused");
	is_int(ipam_parse_mac("02:42:ac:11:00:02:03", mac), -1, "long MAC refused");
}

static void test_ruleset(void)
{
	struct nft_bridge br[2] = {{"bt1", {(172u << 24) | (17u << 16), 16}, false, true},
				   {"br-x", {(10u << 24) | (9u << 16), 16}, true, true}};
	struct nft_port p[2] = {{false, 0x7f000001, 8080, (172u << 24) | (17u << 16) | 2, 80},
				{true, 0, 5353, (172u << 24) | (17u << 16) | 2, 53}};
	_cleanup_free_ char *s = nft_ruleset("berth-bt1", br, 2, p, 2);
	ok(strstr(s, "add table ip berth-bt1\ndelete table ip berth-bt1\ntable ip berth-bt1 {") ==
	       s,
	   "replaces only its own table, atomically");
	ok(strstr(s, "ip daddr 127.0.0.1 tcp dport 8080 dnat to 172.17.0.2:80") != NULL,
	   "a port on 127.0.0.1");
	ok(strstr(s, "\t\tudp dport 5353 dnat to 172.17.0.2:53") != NULL, "a UDP port on any");
	ok(strstr(s, "ip saddr 172.17.0.0/16 oifname != \"bt1\" masquerade") != NULL,
	   "outbound NAT");
	ok(strstr(s, "ip saddr 10.9.0.0/16 oifname != \"br-x\" masquerade") == NULL,
	   "none for an internal network");
	ok(strstr(s, "iifname \"br-x\" oifname != \"br-x\" drop") != NULL, "internal: no way out");
	ok(strstr(s, "iifname \"bt1\" oifname \"br-x\" drop") != NULL, "networks isolated");
	ok(strstr(s, "oifname \"bt1\" ip saddr 127.0.0.0/8 masquerade") != NULL,
	   "127.0.0.1 DNAT answers through the gateway");
}

static uint32_t lookup(const char *name, void *arg)
{
	return strcmp(name, "web") ? 0 : (10u << 24) | 5;
}

/* A query for name/type with id 0x1234, RD set. */
static size_t query(uint8_t *q, const char *name, uint16_t type)
{
	static const uint8_t hdr[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	memcpy(q, hdr, sizeof(hdr));
	size_t p = sizeof(hdr);
	_cleanup_strv_ char **labels = strv_split(name, ".");
	for (char **l = labels; l && *l; l++) {
		q[p++] = (uint8_t)strlen(*l);
		memcpy(q + p, *l, strlen(*l));
		p += strlen(*l);
	}
	q[p++] = 0;
	q[p++] = (uint8_t)(type >> 8);
	q[p++] = (uint8_t)type;
	q[p++] = 0;
	q[p++] = 1;
	return p;
}

static void test_dns(void)
{
	uint8_t q[512], a[600];
	size_t alen = 0, n = query(q, "WEB", 1);
	is_int(dns_answer(q, n, lookup, NULL, a, &alen), 1, "a name of ours (any case)");
	ok(a[0] == 0x12 && a[1] == 0x34, "the query's ID");
	ok((a[2] & 0x80) && (a[2] & 0x01) && (a[3] & 0x0f) == 0, "a response, RD, NOERROR");
	is_int(a[7], 1, "one answer");
	uint32_t ip;
	memcpy(&ip, a + alen - 4, 4);
	is_int((int)ntohl(ip), (int)((10u << 24) | 5), "its address");
	n = query(q, "web", 28);
	is_int(dns_answer(q, n, lookup, NULL, a, &alen), 1, "AAAA of ours answered");
	is_int(a[7], 0, "...with no record (NODATA, not a forward)");
	n = query(q, "example.org", 1);
	is_int(dns_answer(q, n, lookup, NULL, a, &alen), 0, "other names are forwarded");
	is_int(dns_answer(q, 11, lookup, NULL, a, &alen), -1, "a short packet is dropped");
	q[2] |= 0x80;
	is_int(dns_answer(q, n, lookup, NULL, a, &alen), -1, "a response is not a query");
	q[2] &= 0x7f;
	q[12] = 70; /* a label longer than 63 */
	is_int(dns_answer(q, n, lookup, NULL, a, &alen), -1, "a bad label is dropped");
}

int main(void)
{
	test_cidr();
	test_pick();
	test_next_free();
	test_ruleset();
	test_dns();
	return tap_done();
}
