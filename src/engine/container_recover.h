/* engine/container_recover: start-up recovery of what a daemon killed mid-operation left of a
 * container: a start it died in, a create that wrote no record. */
#ifndef BERTH_ENGINE_CONTAINER_RECOVER_H
#define BERTH_ENGINE_CONTAINER_RECOVER_H

#include "engine/engine.h"

/* Kills a monitor still alive under rdir (monitor.pid) and deletes the runtime container
 * (its processes, cgroup and state): the start was never reported, so nothing of it may
 * outlive the daemon that made it. */
void container_recover_orphan(struct engine *eng, const char *id, const char *rdir);

/* A container directory without a record (a create the daemon died in, before the record
 * was written): whatever it holds goes, as the container never existed. */
void container_recover_unrecorded(struct engine *eng, const char *id);

/* A running container recorded as not paused is thawed: a pause the daemon died in (commit
 * freezes the container while it copies) must not leave it frozen for good. */
void container_recover_thaw(struct engine *eng, const char *id);

#endif
