/* engine/netctl_ports: published ports (-p, -P): each host port is reserved by a bound
 * socket held by the daemon (so a port in use is refused, and nobody takes ours), then
 * DNATed to the container by berth's table, from outside, from the host and from 127.0.0.1. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/netctl.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* "80/tcp" -> 80, udp?; "8000-8010" -> lo..hi; "" -> 0..0 (any). */
static int parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	*lo = *hi = 0;
	if (!s || !*s)
		return 0;
	char *end;
	unsigned long a = strtoul(s, &end, 10), b = a;
	if (*end == '-')
		b = strtoul(end + 1, &end, 10);
	if (*end || a > 65535 || b > 65535 || b < a || end == s)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int parse_key(const char *key, uint16_t *port, bool *udp)
{
	_cleanup_free_ char *k = str_dup(key);
	char *slash = strchr(k, '/');
	if (slash)
		*slash++ = '\0';
	*udp = slash && !strcmp(slash, "udp");
	uint16_t hi;
	if (parse_range(k, port, &hi) < 0 || *port == 0 || hi != *port ||
	    (slash && strcmp(slash, "tcp") && strcmp(slash, "udp")))
		return -1;
	return 0;
}

/* A socket bound to ip:port (port 0: any free one, lo..hi: the first free one). */
static int reserve(bool udp, uint32_t ip, uint16_t lo, uint16_t hi, uint16_t *got)
{
	int err = EADDRINUSE;
	for (uint32_t p = lo; p <= hi; p++) {
		int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
		sa.sin_addr.s_addr = htonl(ip);
		socklen_t sl = sizeof(sa);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0) {
			*got = ntohs(sa.sin_port);
			return fd;
		}
		err = errno;
		close(fd);
	}
	errno = err;
	return -1;
}

static struct cports *cports_new(struct netctl *nc, const char *cid)
{
	struct cports *cp = xcalloc(1, sizeof(*cp));
	snprintf(cp->cid, sizeof(cp->cid), "%s", cid);
	nc->ports = xrealloc(nc->ports, (nc->nports + 1) * sizeof(*nc->ports));
	nc->ports[nc->nports++] = cp;
	return cp;
}

static int bind_one(struct cports *cp, const char *cname, const char *key, const json_t *b,
		    uint32_t cip, json_t *list, struct err *e)
{
	uint16_t cport, lo, hi, got = 0;
	bool udp;
	const char *hip_s = json_string_value(json_object_get(b, "HostIp"));
	const char *hport = json_string_value(json_object_get(b, "HostPort"));
	uint32_t hip = 0;
	if (parse_key(key, &cport, &udp) < 0)
		return err_invalid(e, "invalid port specification: \"%s\"", key);
	if (parse_range(hport, &lo, &hi) < 0)
		return err_invalid(e, "invalid hostPort: %s", hport);
	if (hip_s && *hip_s && ipam_parse_ip(hip_s, &hip) < 0)
		return err_invalid(e, "invalid IP address: %s", hip_s);
	int fd = reserve(udp, hip, lo, hi, &got);
	char hb[16];
	if (fd < 0) {
		/* worded as dockerd's (Go's lower-case errno text) */
		char why[128];
		snprintf(why, sizeof(why), "%s", strerror(errno));
		why[0] = (char)tolower((unsigned char)why[0]);
		return err_set(e, ERR_INTERNAL, errno,
			       "driver failed programming external connectivity on endpoint %s: "
			       "Error starting userland proxy: listen %s4 %s:%s: bind: %s",
			       cname, udp ? "udp" : "tcp", ipam_fmt(hip, hb),
			       hport && *hport ? hport : "0", why);
	}
	cp->fds = xrealloc(cp->fds, (cp->nfds + 1) * sizeof(int));
	cp->fds[cp->nfds++] = fd;
	cp->p = xrealloc(cp->p, (cp->n + 1) * sizeof(*cp->p));
	cp->p[cp->n++] = (struct nft_port){udp, hip, got, cip, cport};
	char pb[8];
	snprintf(pb, sizeof(pb), "%u", got);
	json_array_append_new(list,
			      json_pack("{s:s, s:s}", "HostIp", ipam_fmt(hip, hb), "HostPort", pb));
	return 0;
}

int netctl_ports_publish_locked(struct netctl *nc, const json_t *rec, uint32_t ip,
				json_t **ports_json, struct err *e)
{
	const json_t *hc = json_object_get(rec, "HostConfig");
	const json_t *binds = json_object_get(hc, "PortBindings");
	const json_t *exposed = json_object_get(json_object_get(rec, "Config"), "ExposedPorts");
	bool all = json_is_true(json_object_get(hc, "PublishAllPorts"));
	const char *cid = json_string_value(json_object_get(rec, "Id"));
	const char *cname = json_string_value(json_object_get(rec, "Name"));
	cname = cname ? cname + (*cname == '/') : "";
	json_t *out = json_object();
	struct cports *cp = cports_new(nc, cid);
	const char *key;
	json_t *v;
	int r = 0;
	json_object_foreach ((json_t *)exposed, key, v)
		if (!json_object_get(binds, key))
			json_object_set_new(out, key, json_null());
	json_object_foreach ((json_t *)binds, key, v) {
		json_t *list = json_array();
		size_t i;
		json_t *b;
		json_array_foreach (v, i, b)
			if (r == 0)
				r = bind_one(cp, cname, key, b, ip, list, e);
		json_object_set_new(out, key, list);
	}
	json_object_foreach ((json_t *)exposed, key, v) {
		if (!all || json_object_get(binds, key) || r < 0)
			continue;
		json_t *list = json_array();
		_cleanup_json_ json_t *any = json_pack("{s:s, s:s}", "HostIp", "", "HostPort", "");
		r = bind_one(cp, cname, key, any, ip, list, e);
		json_object_set_new(out, key, list);
	}
	if (r == 0 && cp->n)
		r = netctl_apply_locked(nc, e);
	if (r < 0) {
		netctl_ports_release_locked(nc, cid);
		json_decref(out);
		return -1;
	}
	*ports_json = out;
	return 0;
}

bool netctl_ports_release_locked(struct netctl *nc, const char *cid)
{
	bool had = false;
	for (size_t i = 0; i < nc->nports;) {
		struct cports *cp = nc->ports[i];
		if (strcmp(cp->cid, cid)) {
			i++;
			continue;
		}
		had = had || cp->n;
		for (size_t j = 0; j < cp->nfds; j++)
			close(cp->fds[j]);
		free(cp->fds);
		free(cp->p);
		free(cp);
		nc->ports[i] = nc->ports[--nc->nports];
	}
	return had;
}

void netctl_ports_restore_locked(struct netctl *nc, const char *cid, const json_t *ports,
				 uint32_t ip)
{
	struct cports *cp = cports_new(nc, cid);
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)ports, key, v) {
		size_t i;
		json_t *b;
		json_array_foreach (v, i, b) {
			_cleanup_json_ json_t *list = json_array();
			struct err e = ERR_INIT;
			bind_one(cp, "", key, b, ip, list, &e);
		}
	}
}
