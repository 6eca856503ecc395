/* cgroup: a container's control group on cgroup v1, v2 or hybrid hosts: create, join,
 * apply limits, read stats, freeze/thaw, list and signal members, OOM events, destroy. */
#ifndef BERTH_RUNTIME_CGROUP_H
#define BERTH_RUNTIME_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/spec.h"
#include "util/err.h"

enum cgroup_mode { CGROUP_MODE_V1, CGROUP_MODE_V2, CGROUP_MODE_HYBRID };

/* One hierarchy the container's cgroup lives in. */
struct cgroup_hier {
	char *controllers; /* "cpu", "cpu,cpuacct", "name=systemd"; "" for the v2 hierarchy */
	char *mountpoint;  /* host path of the hierarchy's root, e.g. /sys/fs/cgroup/memory */
	char *path;	   /* host path of the container's directory in it */
};

struct cgroup;

/* Detected once per process from /proc/self/mountinfo. */
enum cgroup_mode cgroup_host_mode(void);

/* Resolves the cgroup for a container: cgroups_path absolute ("/a/b", relative to the
 * hierarchy roots), relative ("a/b", under the caller's own cgroup in each hierarchy; on a
 * v2 host beside the caller's leaf, as runc), or NULL/"" (runc's default: "<id>" relative).
 * With systemd, "slice:prefix:name" (default "system.slice:runc:<id>") is mapped onto the
 * cgroupfs path systemd would use. On v1/hybrid hosts every hierarchy in /proc/self/cgroup
 * that is mounted is joined (name=systemd and the hybrid cgroup2 one too); a missing
 * devices hierarchy is an error there. Nothing is created yet. */
struct cgroup *cgroup_new(const char *cgroups_path, const char *id, bool systemd, struct err *e);
/* For state files: to JSON and back (every hierarchy's path, and which directories
 * cgroup_create made: save it after cgroup_create so destroy knows what is berth's). */
json_t *cgroup_to_json(const struct cgroup *cg);
struct cgroup *cgroup_from_json(const json_t *j, struct err *e);
void cgroup_free(struct cgroup *cg);
/* Like cgroup_new but from given /proc/self/mountinfo and /proc/self/cgroup contents
 * instead of this process's (tests; callers that know another process's view). */
struct cgroup *cgroup_new_from(const char *mountinfo, const char *proc_cgroup,
			       const char *cgroups_path, const char *id, bool systemd,
			       struct err *e);
enum cgroup_mode cgroup_mode(const struct cgroup *cg);
/* Host directory of the container's cgroup holding controller ("memory", "name=systemd";
 * "" = the cgroup2 hierarchy), NULL if the host has none. */
const char *cgroup_path(const struct cgroup *cg, const char *controller);

size_t cgroup_hierarchies(const struct cgroup *cg, const struct cgroup_hier **out);

/* mkdir in every hierarchy (parents too), recording what it made; v1 cpusets get their
 * parent's cpus/mems; on v2 every available controller is enabled on the parents. On
 * failure what it made is removed again. Order for a container: create, apply, enter. */
int cgroup_create(struct cgroup *cg, struct err *e);
/* Whether cgroup_create made every hierarchy's own directory: such a cgroup has no
 * members and is not frozen by itself (a v1 child of a frozen parent is FROZEN only through
 * it), so the checks for those can be skipped. */
bool cgroup_is_fresh(const struct cgroup *cg);
/* Writes the limits present in r; absent (has_ false) and zero values are left alone, as
 * runc does, so `update` passes only what changed. Device rules, when r has any, are
 * followed by runc's default allowed devices; v1 gets the minimal transition from the
 * current devices.list, v2 a BPF program replacing the previous one. Errors name the file
 * and value. The unified map is refused on v1/hybrid hosts ("invalid configuration"). */
int cgroup_apply(struct cgroup *cg, const struct spec_resources *r, struct err *e);
/* Moves pid into the cgroup in every hierarchy. */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct err *e);
/* Every cgroup.procs write takes a kernel-wide lock whose first taker after ~20 ms without
 * one waits for an RCU grace period (~10 ms here). A new init avoids it on v1 and hybrid
 * hosts: the unified (controller-less) hierarchy of a hybrid host is entered at clone time
 * (clone3 CLONE_INTO_CGROUP into the fd this returns, its directory made now and recorded
 * as cgroup_create's; *fd -1 when there is none), the v1 ones by the process itself. */
int cgroup_open_unified(struct cgroup *cg, int *fd, struct err *e);
/* The calling single-threaded process moves itself into every v1 hierarchy: "0" written to
 * each tasks file moves the caller alone, which needs no kernel-wide lock. */
int cgroup_enter_self_v1(struct cgroup *cg, struct err *e);
/* Moves pid into the hybrid host's unified hierarchy only (when clone3 could not). */
int cgroup_enter_unified(struct cgroup *cg, pid_t pid, struct err *e);
/* For create: s's resources (when present) plus the device rules runc always applies:
 * deny all, then linux.resources.devices, then runc's default allowed devices (/dev/null,
 * zero, full, random, urandom, tty, ptmx, pts, tun, mknod of any), minus defaults whose path
 * s lists in linux.devices. cgroup_apply alone appends the defaults only when r has rules.
 * Call after cgroup_create and before cgroup_enter. */
int cgroup_apply_spec(struct cgroup *cg, const struct spec *s, struct err *e);
/* For exec: joins pid like cgroup_enter, into sub-cgroups given as runc exec --cgroup
 * arguments ("[ctl[,ctl]:]path"; sub NULL or empty for none). On a v2 host, when the
 * container's cgroup refuses the pid (nested, domain controllers on), joins init_pid's
 * cgroup instead, as runc does. */
int cgroup_enter_exec(struct cgroup *cg, pid_t pid, pid_t init_pid, char *const *sub,
		      struct err *e);
/* Every pid in the cgroup and its descendants (none when the cgroup is gone). *pids is
 * malloc'd. */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct err *e);
/* Freezes (and waits until the kernel reports it settled) or thaws. */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct err *e);
/* 1 frozen, 0 not (also without a freezer), -1 error. */
int cgroup_is_frozen(struct cgroup *cg, struct err *e);
/* Signals every member (kill --all, delete --force): freeze, signal, thaw, as runc; a
 * paused container is running afterwards. Doesn't wait for the members to exit. */
int cgroup_kill_all(struct cgroup *cg, int sig, struct err *e);
/* Undoes cgroup_create after a failed create: only what it made goes (a pre-existing
 * cgroup, e.g. one found frozen, stays as it was). */
int cgroup_undo_create(struct cgroup *cg, struct err *e);
/* Removes the container's directories (as runc, also one that existed before create),
 * sub-cgroups first, retrying while members are still leaving (EBUSY, about a second);
 * missing ones are fine, a pre-existing one still in use by others (a shared cgroupsPath)
 * stays. Parents berth made go when no one else uses them. */
int cgroup_destroy(struct cgroup *cg, struct err *e);
/* Stats in runc's `events --stats` "data" shape (types.Stats: cpu, cpuset, memory, pids,
 * blkio, hugetlb, intel_rdt, network_interfaces; Go's field names and omitempty). Values
 * above INT64_MAX (v2 "max" limits) are clamped to INT64_MAX. */
json_t *cgroup_stats(struct cgroup *cg, struct err *e);
/* Number of OOM kills so far (memory.oom_control oom_kill / memory.events oom_kill). */
int cgroup_oom_count(struct cgroup *cg, uint64_t *count, struct err *e);
/* An fd (O_CLOEXEC) that becomes readable on OOM events: an eventfd on v1 (also fires
 * when the cgroup is removed), an inotify watch of memory.events on v2 (fires on any
 * memory event). Drain it with read(fd, buf, 4096) and compare cgroup_oom_count. */
int cgroup_oom_fd(struct cgroup *cg, struct err *e);

#endif
