/* engine/engine_check: `berth system check`: the store and the host state the daemon owns
 * (mounts, cgroups, monitors, run directories) checked for consistency. */
#ifndef BERTH_ENGINE_ENGINE_CHECK_H
#define BERTH_ENGINE_ENGINE_CHECK_H

#include <stdbool.h>

#include "engine/engine.h"

/* One line per problem found (an empty vector: consistent). Meant for a quiet daemon: a
 * container starting or stopping meanwhile may show as a problem. */
char **engine_check(struct engine *eng);

/* Whether container id runs (in the check's snapshot). */
typedef bool (*engine_check_running_fn)(const char *id, void *arg);
/* netctl_check.c: endpoints, allocations, ports, DNS listeners and bridge ports. */
void netctl_check(struct engine *eng, engine_check_running_fn running, void *arg, char ***problems);

#endif
