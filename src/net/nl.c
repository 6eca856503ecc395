/* net/nl: rtnetlink requests through libmnl: one request, one ACK (or a dump) at a time on
 * a socket bound to one network namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "net/nl.h"
#include "util/str.h"

struct nl {
	struct mnl_socket *s;
	unsigned int seq, portid;
	char buf[8192];
};

struct nl *nl_open(struct err *e)
{
	struct nl *n = xcalloc(1, sizeof(*n));
	n->s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!n->s || mnl_socket_bind(n->s, 0, MNL_SOCKET_AUTOPID) < 0) {
		err_sys(e, "netlink socket");
		nl_close(n);
		return NULL;
	}
	n->portid = mnl_socket_get_portid(n->s);
	n->seq = (unsigned int)time(NULL);
	return n;
}

struct open_job {
	int fd;
	struct nl *n;
	struct err e;
};

/* setns on a thread of its own: the daemon's other threads stay in the host namespace. */
static void *open_thread(void *p)
{
	struct open_job *j = p;
	if (setns(j->fd, CLONE_NEWNET) < 0)
		err_sys(&j->e, "join network namespace");
	else
		j->n = nl_open(&j->e);
	return NULL;
}

struct nl *nl_open_in(int netns_fd, struct err *e)
{
	struct open_job j = {.fd = netns_fd};
	pthread_t t;
	if (pthread_create(&t, NULL, open_thread, &j) != 0) {
		err_set(e, ERR_INTERNAL, 0, "netlink: cannot start a thread");
		return NULL;
	}
	pthread_join(t, NULL);
	if (!j.n && e)
		*e = j.e;
	return j.n;
}

void nl_close(struct nl *n)
{
	if (!n)
		return;
	if (n->s)
		mnl_socket_close(n->s);
	free(n);
}

static struct nlmsghdr *msg_new(struct nl *n, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(n->buf);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = ++n->seq;
	return h;
}

/* Sends h and reads replies until the ACK (or the end of a dump), cb for each message. */
static int talk(struct nl *n, struct nlmsghdr *h, mnl_cb_t cb, void *data, const char *what,
		struct err *e)
{
	unsigned int seq = h->nlmsg_seq;
	if (mnl_socket_sendto(n->s, h, h->nlmsg_len) < 0)
		return err_sys(e, "netlink: %s", what);
	for (;;) {
		ssize_t r = mnl_socket_recvfrom(n->s, n->buf, sizeof(n->buf));
		if (r < 0)
			return err_sys(e, "netlink: %s", what);
		r = mnl_cb_run(n->buf, (size_t)r, seq, n->portid, cb, data);
		if (r < 0)
			return err_sys(e, "%s", what);
		if (r == MNL_CB_STOP)
			return 0;
	}
}

struct link_find {
	const char *name;
	int index, mtu;
};

static int link_cb(const struct nlmsghdr *h, void *data)
{
	struct link_find *f = data;
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	struct nlattr *a;
	mnl_attr_for_each(a, h, sizeof(*ifi))
	{
		if (mnl_attr_get_type(a) == IFLA_MTU)
			f->mtu = (int)mnl_attr_get_u32(a);
	}
	f->index = ifi->ifi_index;
	return MNL_CB_OK;
}

int nl_link_index(struct nl *n, const char *name, struct err *e)
{
	struct nlmsghdr *h = msg_new(n, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	struct link_find f = {name, 0, 0};
	struct err e2 = ERR_INIT;
	if (talk(n, h, link_cb, &f, "get link", &e2) < 0) {
		if (e2.errnum == ENODEV)
			return 0;
		if (e)
			*e = e2;
		return err_wrap(e, "link %s", name);
	}
	return f.index;
}

int nl_link_mtu(struct nl *n, int index)
{
	struct nlmsghdr *h = msg_new(n, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	struct link_find f = {NULL, 0, 0};
	return talk(n, h, link_cb, &f, "get link", NULL) < 0 ? 0 : f.mtu;
}

static void random_mac(uint8_t mac[6])
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, mac, 6) != 6)
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)rand();
	if (fd >= 0)
		close(fd);
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

int nl_bridge_add(struct nl *n, const char *name, int mtu, struct err *e)
{
	struct nlmsghdr *h = msg_new(n, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	uint8_t mac[6];
	random_mac(mac);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
	if (mtu > 0)
		mnl_attr_put_u32(h, IFLA_MTU, (uint32_t)mtu);
	struct nlattr *li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(h, li);
	if (talk(n, h, NULL, NULL, "create bridge", e) < 0)
		return err_wrap(e, "bridge %s", name);
	return 0;
}

int nl_veth_add(struct nl *n, const char *host, int master, const char *peer, int netns_fd,
		const uint8_t mac[6], int mtu, struct err *e)
{
	struct nlmsghdr *h = msg_new(n, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(h, IFLA_IFNAME, host);
	if (master > 0)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
	if (mtu > 0)
		mnl_attr_put_u32(h, IFLA_MTU, (uint32_t)mtu);
	struct nlattr *li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	struct nlattr *pa = mnl_attr_nest_start(h, VETH_INFO_PEER);
	struct ifinfomsg *pi = mnl_nlmsg_put_extra_header(h, sizeof(*pi));
	pi->ifi_family = AF_UNSPEC; /* not up yet: its peer isn't registered (ENOTCONN) */
	mnl_attr_put_strz(h, IFLA_IFNAME, peer);
	mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
	if (mtu > 0)
		mnl_attr_put_u32(h, IFLA_MTU, (uint32_t)mtu);
	mnl_attr_nest_end(h, pa);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, li);
	if (talk(n, h, NULL, NULL, "create veth pair", e) < 0)
		return err_wrap(e, "veth %s", host);
	return 0;
}

int nl_link_del(struct nl *n, const char *name, struct err *e)
{
	struct nlmsghdr *h = msg_new(n, RTM_DELLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	struct err e2 = ERR_INIT;
	if (talk(n, h, NULL, NULL, "delete link", &e2) < 0 && e2.errnum != ENODEV) {
		if (e)
			*e = e2;
		return err_wrap(e, "link %s", name);
	}
	return 0;
}

int nl_link_up(struct nl *n, int index, int master, struct err *e)
{
	struct nlmsghdr *h = msg_new(n, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	if (master > 0)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
	return talk(n, h, NULL, NULL, "set link up", e);
}

int nl_link_rename(struct nl *n, int index, const char *name, struct err *e)
{
	struct nlmsghdr *h = msg_new(n, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	return talk(n, h, NULL, NULL, "rename link", e);
}

int nl_addr_add(struct nl *n, int index, uint32_t addr, int prefix, struct err *e)
{
	struct nlmsghdr *h = msg_new(n, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned int)index;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
	mnl_attr_put_u32(h, IFA_LOCAL, addr);
	mnl_attr_put_u32(h, IFA_ADDRESS, addr);
	if (prefix < 31)
		mnl_attr_put_u32(h, IFA_BROADCAST, addr | ~mask);
	return talk(n, h, NULL, NULL, "add address", e);
}

int nl_route_default(struct nl *n, int index, uint32_t gw, struct err *e)
{
	struct nlmsghdr *h = msg_new(n, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(h, RTA_GATEWAY, gw);
	mnl_attr_put_u32(h, RTA_OIF, (uint32_t)index);
	return talk(n, h, NULL, NULL, "add default route", e);
}

struct route_list {
	struct nl_route *v;
	int n;
};

static int route_cb(const struct nlmsghdr *h, void *data)
{
	struct route_list *l = data;
	struct rtmsg *rt = mnl_nlmsg_get_payload(h);
	struct nl_route r = {0, rt->rtm_dst_len, 0};
	uint32_t table = rt->rtm_table;
	struct nlattr *a;
	mnl_attr_for_each(a, h, sizeof(*rt))
	{
		switch (mnl_attr_get_type(a)) {
		case RTA_DST:
			r.dst = mnl_attr_get_u32(a);
			break;
		case RTA_OIF:
			r.oif = (int)mnl_attr_get_u32(a);
			break;
		case RTA_TABLE:
			table = mnl_attr_get_u32(a);
			break;
		}
	}
	if (rt->rtm_family != AF_INET || table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	l->v = xrealloc(l->v, (size_t)(l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = r;
	return MNL_CB_OK;
}

int nl_routes(struct nl *n, struct nl_route **out, int *count, struct err *e)
{
	struct nlmsghdr *h = msg_new(n, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	rt->rtm_family = AF_INET;
	struct route_list l = {NULL, 0};
	if (talk(n, h, route_cb, &l, "list routes", e) < 0) {
		free(l.v);
		return -1;
	}
	*out = l.v;
	*count = l.n;
	return 0;
}
