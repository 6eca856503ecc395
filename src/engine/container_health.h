/* engine/container_health: health checks (Config.Healthcheck from the image or --health-*):
 * probes run as execs on a schedule, State.Health, health_status events. Engine-private. */
#ifndef BERTH_ENGINE_CONTAINER_HEALTH_H
#define BERTH_ENGINE_CONTAINER_HEALTH_H

#include <jansson.h>

#include "engine/container_priv.h"

/* Create-time checks of Config.Healthcheck as moby's (400 naming the field). */
int container_health_validate(const json_t *cfg, struct err *e);
/* moby's merge: the image's Healthcheck fills what the container's leaves unset. */
void container_health_merge(json_t *cfg, const json_t *img);
/* After a start (busy held): State.Health starts over ("starting") and probes are
 * scheduled; nothing when the container has no check (or Test NONE). */
void container_health_start(struct engine *eng, struct container *c);
/* At shutdown (closing set): waits for the scheduler and the probes in flight. */
void container_health_release(struct container_store *s);
/* Go's time.Duration String ("30s", "1.5s", "500ms", "1m30s") into out (32 bytes). */
void container_health_duration(int64_t ns, char *out, size_t len);

#endif
