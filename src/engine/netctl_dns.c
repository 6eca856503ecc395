/* engine/netctl_dns: the embedded DNS server of user-defined networks: one thread polls a
 * UDP socket per container (bound to 127.0.0.11:53 inside the container's namespace),
 * answers A queries for container names, aliases and short IDs on the networks the asker
 * shares, and forwards everything else to the container's upstream resolvers (from the
 * host's namespace, so loopback resolvers such as systemd-resolved's work too). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/netctl.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/str.h"

#define DNS_FWD_MAX 64

/* A forwarded query waiting for its upstream answer. */
struct fwd {
	uint16_t id, orig_id;
	int listen_fd; /* -1: free slot */
	struct sockaddr_in client;
	time_t sent;
};

/* The question's name (lowercased, no trailing dot) and where the question ends. */
static int parse_question(const uint8_t *q, size_t qlen, char *name, size_t nsz, size_t *end,
			  uint16_t *qtype)
{
	size_t p = 12, o = 0;
	while (p < qlen && q[p]) {
		size_t l = q[p];
		if (l > 63 || p + 1 + l > qlen || o + l + 2 > nsz)
			return -1;
		if (o)
			name[o++] = '.';
		for (size_t i = 0; i < l; i++)
			name[o++] = (char)tolower(q[p + 1 + i]);
		p += 1 + l;
	}
	if (p + 5 > qlen)
		return -1;
	name[o] = '\0';
	*qtype = (uint16_t)(q[p + 1] << 8 | q[p + 2]);
	*end = p + 5;
	return 0;
}

int dns_answer(const uint8_t *q, size_t qlen, uint32_t (*lookup)(const char *name, void *arg),
	       void *arg, uint8_t *ans, size_t *alen)
{
	char name[256];
	size_t end;
	uint16_t qtype;
	if (qlen < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1 ||
	    parse_question(q, qlen, name, sizeof(name), &end, &qtype) < 0)
		return -1;
	uint32_t ip = lookup(name, arg);
	if (!ip)
		return 0;
	memcpy(ans, q, end);
	ans[2] = (uint8_t)(0x84 | (q[2] & 0x01)); /* response, authoritative, RD copied */
	ans[3] = 0x80;				  /* recursion available, NOERROR */
	memset(ans + 6, 0, 6);
	size_t p = end;
	if (qtype == 1 || qtype == 255) { /* A (or ANY): one record; else NODATA */
		ans[7] = 1;
		static const uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 2, 0x58, 0, 4};
		memcpy(ans + p, rr, sizeof(rr));
		p += sizeof(rr);
		uint32_t nip = htonl(ip);
		memcpy(ans + p, &nip, 4);
		p += 4;
	}
	*alen = p;
	return 1;
}

struct lookup_ctx {
	struct netctl *nc;
	const char *cid; /* the asker */
};

/* A legacy link's alias ("container:alias") of the asker on its network. */
static uint32_t link_target(struct netctl *nc, const struct att *me, const char *name)
{
	for (char **l = me->links; l && *l; l++) {
		const char *colon = strrchr(*l, ':');
		const char *alias = colon ? colon + 1 : *l;
		size_t tlen = colon ? (size_t)(colon - *l) : strlen(*l);
		const char *target = *l;
		if (*target == '/') {
			target++;
			tlen--;
		}
		if (strcasecmp(alias, name))
			continue;
		for (size_t j = 0; j < nc->natts; j++) {
			struct att *o = nc->atts[j];
			if (o->net == me->net && strlen(o->cname) == tlen &&
			    !strncmp(o->cname, target, tlen))
				return o->ip;
		}
	}
	return 0;
}

/* A container on a user network the asker is on too: its address there. */
static uint32_t lookup_name(const char *name, void *arg)
{
	struct lookup_ctx *lc = arg;
	struct netctl *nc = lc->nc;
	for (size_t i = 0; i < nc->natts; i++) {
		struct att *me = nc->atts[i];
		if (strcmp(me->cid, lc->cid) || me->net->is_default)
			continue;
		uint32_t ip = link_target(nc, me, name);
		if (ip)
			return ip;
		for (size_t j = 0; j < nc->natts; j++) {
			struct att *o = nc->atts[j];
			if (o->net != me->net)
				continue;
			bool hit = !strcasecmp(o->cname, name) ||
				   (strlen(name) >= 12 && str_has_prefix(o->cid, name));
			for (char **a = o->aliases; a && *a && !hit; a++)
				hit = !strcasecmp(*a, name);
			if (hit)
				return o->ip;
		}
	}
	return 0;
}

static struct dnsl *listener_of(struct netctl *nc, int fd)
{
	for (size_t i = 0; i < nc->ndns; i++)
		if (nc->dns[i].fd == fd)
			return &nc->dns[i];
	return NULL;
}

static void forward(struct netctl *nc, struct fwd *fw, int up_fd, int lfd, uint8_t *buf, size_t n,
		    const struct sockaddr_in *client)
{
	struct dnsl *l = listener_of(nc, lfd);
	if (!l || !l->upstream[0] || n < 12)
		return;
	time_t now = time(NULL);
	struct fwd *slot = NULL;
	for (size_t i = 0; i < DNS_FWD_MAX && !slot; i++)
		if (fw[i].listen_fd < 0 || now - fw[i].sent > 5)
			slot = &fw[i];
	if (!slot)
		return;
	static uint16_t next_id;
	slot->orig_id = (uint16_t)(buf[0] << 8 | buf[1]);
	slot->id = ++next_id;
	slot->listen_fd = lfd;
	slot->client = *client;
	slot->sent = now;
	buf[0] = (uint8_t)(slot->id >> 8);
	buf[1] = (uint8_t)slot->id;
	struct sockaddr_in up = {.sin_family = AF_INET, .sin_port = htons(53)};
	up.sin_addr.s_addr = htonl(l->upstream[0]);
	sendto(up_fd, buf, n, 0, (struct sockaddr *)&up, sizeof(up));
}

static void on_query(struct netctl *nc, struct fwd *fw, int up_fd, int fd)
{
	uint8_t buf[1500], ans[1600];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	/* under the lock: a listener dropped meanwhile has its fd closed (maybe reused) */
	pthread_mutex_lock(&nc->mu);
	struct dnsl *l = listener_of(nc, fd);
	ssize_t n =
	    l ? recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl) : -1;
	size_t alen = 0;
	struct lookup_ctx lc = {nc, l ? l->cid : ""};
	int r = n > 0 ? dns_answer(buf, (size_t)n, lookup_name, &lc, ans, &alen) : -1;
	if (r > 0)
		sendto(fd, ans, alen, 0, (struct sockaddr *)&from, fl);
	else if (r == 0)
		forward(nc, fw, up_fd, fd, buf, (size_t)n, &from);
	pthread_mutex_unlock(&nc->mu);
}

static void on_upstream(struct netctl *nc, struct fwd *fw, int up_fd)
{
	uint8_t buf[4096];
	ssize_t n = recv(up_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 12)
		return;
	uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
	pthread_mutex_lock(&nc->mu);
	for (size_t i = 0; i < DNS_FWD_MAX; i++) {
		if (fw[i].listen_fd < 0 || fw[i].id != id)
			continue;
		buf[0] = (uint8_t)(fw[i].orig_id >> 8);
		buf[1] = (uint8_t)fw[i].orig_id;
		if (listener_of(nc, fw[i].listen_fd))
			sendto(fw[i].listen_fd, buf, (size_t)n, 0, (struct sockaddr *)&fw[i].client,
			       sizeof(fw[i].client));
		fw[i].listen_fd = -1;
	}
	pthread_mutex_unlock(&nc->mu);
}

static void *dns_thread(void *p)
{
	struct netctl *nc = p;
	struct fwd fw[DNS_FWD_MAX];
	for (size_t i = 0; i < DNS_FWD_MAX; i++)
		fw[i].listen_fd = -1;
	_cleanup_close_ int up_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (;;) {
		pthread_mutex_lock(&nc->mu);
		if (nc->closing) {
			pthread_mutex_unlock(&nc->mu);
			return NULL;
		}
		size_t n = nc->ndns;
		struct pollfd *pf = xcalloc(n + 2, sizeof(*pf));
		for (size_t i = 0; i < n; i++)
			pf[i] = (struct pollfd){nc->dns[i].fd, POLLIN, 0};
		pthread_mutex_unlock(&nc->mu);
		pf[n] = (struct pollfd){nc->dns_wake[0], POLLIN, 0};
		pf[n + 1] = (struct pollfd){up_fd, POLLIN, 0};
		if (poll(pf, n + 2, -1) > 0) {
			if (pf[n].revents) {
				char c[64];
				while (read(nc->dns_wake[0], c, sizeof(c)) > 0)
					;
			}
			if (pf[n + 1].revents)
				on_upstream(nc, fw, up_fd);
			for (size_t i = 0; i < n; i++)
				if (pf[i].revents & POLLIN)
					on_query(nc, fw, up_fd, pf[i].fd);
		}
		free(pf);
	}
}

static void wake(struct netctl *nc)
{
	if (nc->dns_wake[1] >= 0 && write(nc->dns_wake[1], "w", 1) < 0)
		log_debug("dns wake: %m");
}

int netctl_dns_start(struct netctl *nc, struct err *e)
{
	if (pipe2(nc->dns_wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return err_sys(e, "pipe");
	if (pthread_create(&nc->dns_thread, NULL, dns_thread, nc) != 0)
		return err_set(e, ERR_INTERNAL, 0, "DNS server: cannot start a thread");
	nc->dns_running = true;
	return 0;
}

void netctl_dns_stop(struct netctl *nc)
{
	pthread_mutex_lock(&nc->mu);
	nc->closing = true;
	pthread_mutex_unlock(&nc->mu);
	wake(nc);
	if (nc->dns_running)
		pthread_join(nc->dns_thread, NULL);
	nc->dns_running = false;
	for (size_t i = 0; i < nc->ndns; i++)
		close(nc->dns[i].fd);
	free(nc->dns);
	nc->dns = NULL;
	nc->ndns = 0;
	for (int i = 0; i < 2; i++)
		if (nc->dns_wake[i] >= 0)
			close(nc->dns_wake[i]);
}

void netctl_dns_add_locked(struct netctl *nc, const char *cid, int fd, const uint32_t up[3])
{
	nc->dns = xrealloc(nc->dns, (nc->ndns + 1) * sizeof(*nc->dns));
	struct dnsl *l = &nc->dns[nc->ndns++];
	snprintf(l->cid, sizeof(l->cid), "%s", cid);
	l->fd = fd;
	memcpy(l->upstream, up, sizeof(l->upstream));
	wake(nc);
}

void netctl_dns_drop_locked(struct netctl *nc, const char *cid)
{
	for (size_t i = 0; i < nc->ndns;) {
		if (!strcmp(nc->dns[i].cid, cid)) {
			close(nc->dns[i].fd);
			nc->dns[i] = nc->dns[--nc->ndns];
		} else {
			i++;
		}
	}
	wake(nc);
}
