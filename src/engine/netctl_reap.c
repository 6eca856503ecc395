/* engine/netctl_reap: the teardown of a stopped container's veths off the exit's critical
 * path. Deleting a veth costs the kernel 10-40 ms (RCU grace periods under the RTNL lock);
 * `docker run --rm` would wait for it. A thread deletes them and then frees the addresses. */
#include <stdlib.h>
#include <string.h>

#include "engine/netctl.h"
#include "net/nl.h"
#include "util/log.h"
#include "util/str.h"

static struct netw *net_by_id(struct netctl *nc, const char *id)
{
	for (size_t i = 0; i < nc->n; i++)
		if (str_eq(nc->nets[i]->id, id))
			return nc->nets[i];
	return NULL;
}

/* One veth: deleted (already gone: the kernel took it with the namespace), then its address
 * freed, unless the network went meanwhile. */
static void reap_one(struct netctl *nc, struct nl **l, const struct dying *d)
{
	struct err e = ERR_INIT;
	if (!*l)
		*l = nl_open(&e);
	if (*l && nl_link_del(*l, d->veth, &e) < 0)
		log_warn("container %.12s: veth %s: %s", d->cid, d->veth, e.msg);
	pthread_mutex_lock(&nc->mu);
	struct netw *n = net_by_id(nc, d->netid);
	if (n)
		netctl_free_ip_locked(nc, n, d->ip);
	for (size_t i = 0; i < nc->ndying; i++) {
		if (!memcmp(&nc->dying[i], d, sizeof(*d))) {
			nc->dying[i] = nc->dying[--nc->ndying];
			break;
		}
	}
	pthread_cond_broadcast(&nc->reaped);
	pthread_mutex_unlock(&nc->mu);
}

/* The table without the port rules of stopped containers (mu held). */
static void reap_table_locked(struct netctl *nc)
{
	struct err e = ERR_INIT;
	if (nc->table_stale && netctl_apply_locked(nc, &e) < 0) {
		log_warn("%s", e.msg);
		nc->table_stale = false; /* the next apply (or restart) has another go */
	}
}

static void *reaper(void *p)
{
	struct netctl *nc = p;
	struct nl *l = NULL;
	pthread_mutex_lock(&nc->mu);
	for (;;) {
		while (!nc->ndying && !nc->table_stale && !nc->reap_stop)
			pthread_cond_wait(&nc->reap_wake, &nc->mu);
		reap_table_locked(nc);
		if (!nc->ndying && nc->reap_stop)
			break;
		if (!nc->ndying)
			continue;
		struct dying d = nc->dying[0];
		pthread_mutex_unlock(&nc->mu);
		reap_one(nc, &l, &d);
		pthread_mutex_lock(&nc->mu);
	}
	pthread_mutex_unlock(&nc->mu);
	nl_close(l);
	return NULL;
}

/* The thread, made on first use (false: none could be made, or the daemon is stopping). */
static bool reaper_up_locked(struct netctl *nc)
{
	if (!nc->reaper_running && !nc->reap_stop) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		nc->reaper_running = pthread_create(&nc->reaper, &attr, reaper, nc) == 0;
		pthread_attr_destroy(&attr);
	}
	if (nc->reaper_running)
		pthread_cond_signal(&nc->reap_wake);
	return nc->reaper_running;
}

void netctl_reap_table_locked(struct netctl *nc)
{
	if (!reaper_up_locked(nc))
		reap_table_locked(nc);
}

void netctl_reap_add_locked(struct netctl *nc, const struct dying *d)
{
	nc->dying = xrealloc(nc->dying, (nc->ndying + 1) * sizeof(*nc->dying));
	nc->dying[nc->ndying++] = *d;
	if (reaper_up_locked(nc))
		return;
	/* no thread (none could be made, or the daemon is stopping): here and now */
	struct dying copy = *d;
	pthread_mutex_unlock(&nc->mu);
	struct nl *l = NULL;
	reap_one(nc, &l, &copy);
	nl_close(l);
	pthread_mutex_lock(&nc->mu);
}

static bool waits_for(const struct netctl *nc, const char *cid, const char *netid)
{
	for (size_t i = 0; i < nc->ndying; i++)
		if ((!cid || str_eq(nc->dying[i].cid, cid)) &&
		    (!netid || str_eq(nc->dying[i].netid, netid)))
			return true;
	return false;
}

void netctl_reap_wait_locked(struct netctl *nc, const char *cid, const char *netid)
{
	while (waits_for(nc, cid, netid))
		pthread_cond_wait(&nc->reaped, &nc->mu);
}

bool netctl_reap_holds_locked(struct netctl *nc, const struct netw *n, uint32_t ip)
{
	for (size_t i = 0; i < nc->ndying; i++)
		if (nc->dying[i].ip == ip && str_eq(nc->dying[i].netid, n->id))
			return true;
	return false;
}

void netctl_reap_stop(struct netctl *nc)
{
	pthread_mutex_lock(&nc->mu);
	nc->reap_stop = true;
	bool running = nc->reaper_running;
	nc->reaper_running = false;
	pthread_cond_signal(&nc->reap_wake);
	pthread_mutex_unlock(&nc->mu);
	if (running)
		pthread_join(nc->reaper, NULL);
	free(nc->dying);
	nc->dying = NULL;
	nc->ndying = 0;
}
