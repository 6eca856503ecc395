/* util/idmap: uid/gid mappings of a user namespace (container id <-> host id ranges), as
 * /etc/subuid ranges give them and OCI's uidMappings/gidMappings carry them. */
#ifndef BERTH_UTIL_IDMAP_H
#define BERTH_UTIL_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap_range {
	uint32_t container, host, size;
};

struct idmap {
	struct idmap_range *r;
	size_t n;
};

#define IDMAP_NONE UINT32_MAX

/* The host id of a container id, IDMAP_NONE when the mapping has no such id. */
uint32_t idmap_to_host(const struct idmap *m, uint32_t id);
/* The container id of a host id, IDMAP_NONE when outside every range. */
uint32_t idmap_to_container(const struct idmap *m, uint32_t id);
/* Container ids from 0 upwards over the ranges sorted by host start (dockerd's order). */
void idmap_add(struct idmap *m, uint32_t host, uint32_t size);
bool idmap_empty(const struct idmap *m);
void idmap_release(struct idmap *m);

/* Translation of tar entry owners: to_host for files going into a remapped container's
 * storage, else to container ids (ids outside the ranges become 65534, as the kernel shows
 * them). NULL uids: no translation. */
struct idmap_pair {
	const struct idmap *uids, *gids;
	bool to_host;
};
void idmap_pair_apply(const struct idmap_pair *p, uint32_t *uid, uint32_t *gid);

#endif
