/* state: a runtime container's persistent record under <root>/<id>/state.json and the
 * status derived from the kernel (created, running, paused, stopped). */
#ifndef BERTH_RUNTIME_STATE_H
#define BERTH_RUNTIME_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "util/err.h"

#define OCI_VERSION "1.0.2-dev"
#define STATE_FILE  "state.json"
#define EXEC_FIFO   "exec.fifo"

enum container_status {
	STATUS_CREATING,
	STATUS_CREATED,
	STATUS_RUNNING,
	STATUS_PAUSED,
	STATUS_STOPPED
};

struct container_state {
	char *root; /* the runtime's --root */
	char *dir;  /* root/id */
	char *id;
	pid_t pid;
	uint64_t pid_start; /* start time of pid (field 22 of /proc/pid/stat), guards reuse */
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339 with nanoseconds, UTC */
	char *owner;
	json_t *config; /* the bundle's config.json as it was at create (owned) */
	json_t *cgroup; /* cgroup_to_json() (owned) */
	bool userns;
};

struct container_state *state_new(void);
void state_free(struct container_state *s);
static inline void state_freep(struct container_state **s)
{
	if (*s)
		state_free(*s);
}
#define _cleanup_state_ __attribute__((cleanup(state_freep)))

/* Loads root/id/state.json; ERR_NOT_FOUND "container does not exist" when absent. */
struct container_state *state_load(const char *root, const char *id, struct err *e);
int state_save(const struct container_state *s, struct err *e);
enum container_status state_status(const struct container_state *s);
const char *state_status_name(enum container_status st);
/* The OCI state document ("runc state" output shape). */
json_t *state_to_oci(const struct container_state *s, enum container_status st);
/* Opens the container's cgroup from the record. */
struct cgroup *state_cgroup(const struct container_state *s, struct err *e);
/* Start time of a pid (0 if gone) and whether it is a zombie/dead. */
uint64_t state_pid_start(pid_t pid, bool *dead);
/* Current time in the created format. */
char *state_now_rfc3339(void);
/* IDs of every container under root (sorted). */
char **state_list_ids(const char *root, struct err *e);

#endif
