/* engine/container_restart: restart policies (moby's restart manager): checks, back-off,
 * manual stops, the restart itself. Engine-private; engine_container_autostart is public. */
#ifndef BERTH_ENGINE_CONTAINER_RESTART_H
#define BERTH_ENGINE_CONTAINER_RESTART_H

#include <jansson.h>

#include "engine/container_priv.h"

/* HostConfig.RestartPolicy as moby validates it (400s with dockerd's words), AutoRemove
 * included. */
int container_restart_policy_check(const json_t *hc, struct err *e);
/* Mutex held. manual_stop: a stop or kill by hand (unless-stopped then stays down, also
 * across daemon restarts); else a start by hand: RestartCount and the back-off start over. */
void container_restart_mark_locked(struct container *c, bool manual_stop);
/* After an exit (State recorded, busy held): -1 for no restart, else the delay in µs. */
int64_t container_restart_delay(struct container *c);
/* Waits the delay (a stop, removal or shutdown ends it), then starts c again. */
void container_restart_after(struct engine *eng, struct container *c, int64_t delay_us);

#endif
