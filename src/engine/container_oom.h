/* engine/container_oom: a running container's OOM kills as they happen (cgroup notification
 * fd plus the oom_kill counter). Engine-private. */
#ifndef BERTH_ENGINE_CONTAINER_OOM_H
#define BERTH_ENGINE_CONTAINER_OOM_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/container_priv.h"

struct cgroup;
struct container_oom {
	struct cgroup *cg;
	int fd; /* readable on memory events; -1 when not watched */
	uint64_t count;
	int rechecks; /* counter reads left after a notification the counter has not shown */
};

/* Watches the container's cgroup; returns the fd to poll, or -1 (no cgroup, no memory
 * controller: OOM kills are then only known from exit.json). */
int container_oom_open(struct engine *eng, const char *id, struct container_oom *o);
/* After the fd polled readable (readable) or the poll timed out (!readable): whether the OOM
 * kill count went up. Closes o when the cgroup is gone. */
bool container_oom_fired(struct container_oom *o, bool readable);
/* The poll timeout: -1, or a short one while a notification waits for its kill. */
int container_oom_timeout(const struct container_oom *o);
void container_oom_close(struct container_oom *o);

#endif
