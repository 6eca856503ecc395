/* util/idmap: container <-> host id translation through the ranges of a user namespace
 * mapping (the subordinate ranges of --userns-remap). */
#include "util/idmap.h"

#include <stdlib.h>

#include "util/str.h"

#define OVERFLOW_ID 65534

uint32_t idmap_to_host(const struct idmap *m, uint32_t id)
{
	for (size_t i = 0; m && i < m->n; i++)
		if (id >= m->r[i].container && id - m->r[i].container < m->r[i].size)
			return m->r[i].host + (id - m->r[i].container);
	return IDMAP_NONE;
}

uint32_t idmap_to_container(const struct idmap *m, uint32_t id)
{
	for (size_t i = 0; m && i < m->n; i++)
		if (id >= m->r[i].host && id - m->r[i].host < m->r[i].size)
			return m->r[i].container + (id - m->r[i].host);
	return IDMAP_NONE;
}

void idmap_add(struct idmap *m, uint32_t host, uint32_t size)
{
	size_t at = m->n;
	while (at > 0 && m->r[at - 1].host > host)
		at--;
	m->r = xrealloc(m->r, (m->n + 1) * sizeof(*m->r));
	for (size_t i = m->n; i > at; i--)
		m->r[i] = m->r[i - 1];
	m->r[at] = (struct idmap_range){0, host, size};
	m->n++;
	uint32_t next = 0;
	for (size_t i = 0; i < m->n; i++) {
		m->r[i].container = next;
		next += m->r[i].size;
	}
}

bool idmap_empty(const struct idmap *m)
{
	return !m || m->n == 0;
}

void idmap_release(struct idmap *m)
{
	free(m->r);
	m->r = NULL;
	m->n = 0;
}

static uint32_t translate(const struct idmap *m, uint32_t id, bool to_host)
{
	uint32_t v = to_host ? idmap_to_host(m, id) : idmap_to_container(m, id);
	if (v != IDMAP_NONE)
		return v;
	/* an id the namespace can't hold: the overflow id, as the kernel shows it (on the host
	 * side the remapped root when the ranges are too small to hold it) */
	if (!to_host)
		return OVERFLOW_ID;
	v = idmap_to_host(m, OVERFLOW_ID);
	return v != IDMAP_NONE ? v : m->r[0].host;
}

void idmap_pair_apply(const struct idmap_pair *p, uint32_t *uid, uint32_t *gid)
{
	if (!p || idmap_empty(p->uids))
		return;
	*uid = translate(p->uids, *uid, p->to_host);
	*gid = translate(p->gids, *gid, p->to_host);
}
