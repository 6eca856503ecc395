/* cgroup_priv: what the cgroup module's files share: the struct, file helpers, the
 * per-version appliers, the device-rule emulator and the BPF device filter. Not public. */
#ifndef BERTH_RUNTIME_CGROUP_PRIV_H
#define BERTH_RUNTIME_CGROUP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "runtime/cgroup.h"
#include "runtime/spec.h"
#include "util/err.h"

struct cgroup {
	enum cgroup_mode mode;
	struct cgroup_hier *hiers;
	size_t n_hiers;
	/* Directories cgroup_create made (host paths, parents before children): destroy
	 * removes only these. NULL-terminated; NULL when none. */
	char **created;
};

/* The hierarchy that holds controller ctl ("memory", "name=systemd"), or the v2 one for "";
 * NULL when the host has none. */
const struct cgroup_hier *cg_hier(const struct cgroup *cg, const char *ctl);
/* Directory of ctl's hierarchy or NULL. */
const char *cg_dir(const struct cgroup *cg, const char *ctl);
/* The directory whose cgroup.procs lists the members (devices on v1, as runc). */
const char *cg_members_dir(const struct cgroup *cg);

/* Kernel file access; errors name the file and the value ("write 5 to /x/pids.max: ..."). */
int cg_write(const char *dir, const char *file, const char *val, struct err *e);
int cg_writef(const char *dir, const char *file, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Whole file, trailing newline removed; malloc'd. */
char *cg_read(const char *dir, const char *file, struct err *e);
/* One number; "max" reads as UINT64_MAX. */
int cg_read_u64(const char *dir, const char *file, uint64_t *out, struct err *e);
/* The value of "key N" in a flat-keyed file (memory.events, memory.oom_control). */
int cg_read_key(const char *dir, const char *file, const char *key, uint64_t *out, struct err *e);
bool cg_exists(const char *dir, const char *file);
/* Splits "0-3,5" style lists and numbers safely: NULL-terminated lines of a file. */
char **cg_read_lines(const char *dir, const char *file, struct err *e);

/* Per-version limits (cgroup_apply dispatches). */
int cg_v1_apply(struct cgroup *cg, const struct spec_resources *r, struct err *e);
int cg_v1_cpuset_inherit(const char *mountpoint, const char *dir, struct err *e);
int cg_v1_freeze(const char *dir, bool frozen, struct err *e);
int cg_v1_is_frozen(const char *dir, struct err *e);
int cg_v2_apply(const char *dir, const struct spec_resources *r, struct err *e);
int cg_v2_enable_controllers(const char *mountpoint, const char *dir, struct err *e);
int cg_v2_freeze(const char *dir, bool frozen, struct err *e);
int cg_v2_is_frozen(const char *dir, struct err *e);

/* The devices cgroup v1 model: a default and exceptions to it. runc emulates it to turn a
 * rule list into a minimal transition (v1) or a BPF program (v2); so do we. */
enum { CG_DEV_R = 1, CG_DEV_W = 2, CG_DEV_M = 4, CG_DEV_RWM = 7 };
struct cg_dev_exc {
	char type; /* 'c' or 'b' */
	int64_t major, minor;
	unsigned perms;
};
struct cg_dev_emu {
	bool default_allow;
	struct cg_dev_exc *exc;
	size_t n;
};
void cg_dev_emu_release(struct cg_dev_emu *m);
int cg_dev_emu_apply(struct cg_dev_emu *m, const struct spec_device_rule *r, struct err *e);
/* Builds the target state from rules, starting from "deny all" like a fresh runc config. */
int cg_dev_emu_build(struct cg_dev_emu *m, const struct spec_device_rule *rules, size_t n,
		     struct err *e);
/* Parses v1 devices.list. */
int cg_dev_emu_from_list(struct cg_dev_emu *m, const char *list, struct err *e);
/* Rules that turn cur into target, in the order to write them; *out malloc'd. */
void cg_dev_emu_transition(const struct cg_dev_emu *cur, const struct cg_dev_emu *target,
			   struct spec_device_rule **out, size_t *n);
bool cg_dev_emu_equal(const struct cg_dev_emu *a, const struct cg_dev_emu *b);
/* "c 1:3 rwm", "a *:* rwm" */
void cg_dev_rule_string(const struct spec_device_rule *r, char *buf, size_t len);
unsigned cg_dev_perms(const char *access);

/* v2: compiles the target state to a BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it to
 * dir, replacing what berth attached before. */
int cg_v2_devices_apply(const char *dir, const struct spec_device_rule *rules, size_t n,
			struct err *e);

/* Stats (cgroup_stats.c, cgroup_stats_io.c): runc's JSON shape. */
json_t *cg_json_u64(uint64_t v);
void cg_json_put(json_t *o, const char *key, uint64_t v, bool omitempty);
/* Moves the listed keys, in order, to the end: Go encodes struct fields in order. */
void cg_json_order(json_t *o, const char *const *keys);
uint64_t cg_u64_or0(const char *dir, const char *file);
json_t *cg_json_flat_keyed(const char *dir, const char *file);
json_t *cg_json_mem_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt);
char **cg_hugepage_sizes(void);
json_t *cg_stats_skeleton(void);
void cg_stats_throttling(json_t *thr, const char *dir, bool usec);
void cg_stats_pids(json_t *o, const char *dir);
void cg_stats_blkio_v1(json_t *o, const char *dir);
json_t *cg_stats_v2(const char *dir);

#endif
