/* launch_child: what runs in the forked processes: stage 1 enters namespaces, stage 2 is
 * the container process that sets up the root filesystem and execs. Never return. */
#ifndef BERTH_RUNTIME_LAUNCH_CHILD_H
#define BERTH_RUNTIME_LAUNCH_CHILD_H

#include "runtime/launch.h"

__attribute__((noreturn)) void launch_stage1(struct launch *l, int fd);
void launch_reset_signals(void);
/* The container process itself, when the parent could clone it into its namespaces
 * directly (no stage 1). */
__attribute__((noreturn)) void launch_stage2(struct launch *l, int fd);

#endif
