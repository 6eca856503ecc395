/* spec: the OCI runtime config (config.json) parsed into plain C structures.
 * Parsing validates everything up front; errors name the offending field. */
#ifndef BERTH_RUNTIME_SPEC_H
#define BERTH_RUNTIME_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

enum ns_type { NS_PID, NS_NET, NS_IPC, NS_UTS, NS_MNT, NS_USER, NS_CGROUP, NS_TIME, NS_COUNT };

struct spec_namespace {
	bool enabled;
	char *path; /* join this one instead of creating a new one */
};

struct spec_id_map {
	uint32_t container_id, host_id, size;
};

struct spec_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct spec_caps {
	/* Each a bitmask over capability numbers (0..63). */
	uint64_t bounding, effective, inheritable, permitted, ambient;
	bool set; /* process.capabilities present */
};

struct spec_user {
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids;
	size_t n_additional_gids;
	bool has_umask;
	mode_t umask;
	char *username; /* for exec -u name lookups (optional) */
};

struct spec_process {
	char **args;
	char **env;
	char *cwd;
	struct spec_user user;
	bool terminal;
	unsigned console_height, console_width;
	struct spec_caps caps;
	struct spec_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
	json_t *seccomp; /* process-level override (exec), borrowed reference */
};

struct spec_mount {
	char *destination;
	char *type;
	char *source;
	char **options;		   /* raw options as given */
	unsigned long flags;	   /* MS_* to set */
	unsigned long clear;	   /* MS_* explicitly cleared (rw, suid, ...) */
	unsigned long propagation; /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE [|MS_REC] */
	bool bind, rbind;	   /* bind: "bind" or "rbind" given (MS_BIND); rbind: also MS_REC */
	char *data;		   /* filesystem-specific options joined with ',' */
	bool recursive_ro;	   /* rro */
	/* mount_setattr(2) attributes from the recursive options (rro, rnosuid, ...), for
	 * AT_RECURSIVE on the mount tree; recursive_ro mirrors MOUNT_ATTR_RDONLY in attr_set. */
	uint64_t attr_set, attr_clr;
	bool tmpcopyup; /* tmpfs: copy up the destination's contents first */
};

struct spec_device {
	char type; /* 'c', 'b', 'u', 'p' */
	char *path;
	int64_t major, minor;
	bool has_mode;
	mode_t mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
};

struct spec_device_rule {
	bool allow;
	char type;	      /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1 = wildcard */
	char access[4];	      /* "rwm" subset */
};

struct spec_weight_device {
	int64_t major, minor;
	uint16_t weight, leaf_weight;
	bool has_weight, has_leaf_weight;
};

struct spec_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct spec_hugepage_limit {
	char *page_size;
	uint64_t limit;
};

/* Every value has a has_ flag: absent means "leave the kernel default". */
struct spec_resources {
	bool has_mem_limit, has_mem_reservation, has_mem_swap, has_mem_kernel, has_mem_kernel_tcp,
	    has_mem_swappiness, has_disable_oom_killer, has_use_hierarchy;
	int64_t mem_limit, mem_reservation, mem_swap, mem_kernel, mem_kernel_tcp;
	uint64_t mem_swappiness;
	bool disable_oom_killer, use_hierarchy;

	bool has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_rt_runtime, has_cpu_rt_period,
	    has_cpu_idle, has_cpu_burst;
	uint64_t cpu_shares, cpu_period, cpu_rt_period, cpu_burst;
	int64_t cpu_quota, cpu_rt_runtime, cpu_idle;
	char *cpu_cpus, *cpu_mems;

	bool has_pids_limit;
	int64_t pids_limit;

	bool has_blkio_weight, has_blkio_leaf_weight;
	uint16_t blkio_weight, blkio_leaf_weight;
	struct spec_weight_device *blkio_weight_devices;
	size_t n_blkio_weight_devices;
	struct spec_throttle_device *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
	    *throttle_write_iops;
	size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
	    n_throttle_write_iops;

	struct spec_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;

	struct spec_device_rule *devices;
	size_t n_devices;

	json_t *unified; /* cgroup v2 key/value map, borrowed */
	bool has_network_class_id;
	uint32_t network_class_id;
};

struct spec_hook {
	char *path;
	char **args;
	char **env;
	bool has_timeout;
	int timeout;
};

enum hook_kind {
	HOOK_PRESTART,
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	HOOK_KIND_COUNT
};

struct spec_hooks {
	struct spec_hook *list[HOOK_KIND_COUNT];
	size_t n[HOOK_KIND_COUNT];
};

struct spec_sysctl {
	char *key, *value;
};

struct spec {
	json_t *json; /* the whole document (owned): seccomp and annotations read from it */
	char *oci_version;
	bool has_process;
	struct spec_process process;
	char *root_path; /* absolute, resolved against the bundle */
	bool root_readonly;
	char *hostname;
	char *domainname;
	struct spec_mount *mounts;
	size_t n_mounts;
	struct spec_hooks hooks;
	json_t *annotations; /* borrowed from json */

	/* linux */
	struct spec_namespace ns[NS_COUNT];
	struct spec_id_map *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct spec_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct spec_resources resources;
	bool has_resources;
	struct spec_sysctl *sysctl;
	size_t n_sysctl;
	json_t *seccomp;		  /* borrowed from json; compiled by seccomp.c */
	unsigned long rootfs_propagation; /* MS_* or 0 */
	char **masked_paths;
	char **readonly_paths;
	char *mount_label;
	json_t *personality; /* borrowed */
	bool has_personality;
	unsigned long personality_domain; /* PER_LINUX or PER_LINUX32 */
};

/* Parses bundle/config.json. root.path is made absolute against bundle. */
struct spec *spec_load(const char *bundle, struct err *e);
/* Parses an already-loaded document; takes the reference to j. */
struct spec *spec_from_json(json_t *j, const char *bundle, struct err *e);
void spec_free(struct spec *s);
static inline void spec_freep(struct spec **s)
{
	if (*s)
		spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(spec_freep)))

/* process JSON (config.json's "process", or runc exec --process) into p. */
int spec_process_parse(const json_t *j, const char *ctx, struct spec_process *p, struct err *e);
void spec_process_release(struct spec_process *p);
/* "linux.resources"-shaped JSON into r (runc update -r). */
int spec_resources_parse(const json_t *j, const char *ctx, struct spec_resources *r, struct err *e);
void spec_resources_release(struct spec_resources *r);

/* The "hooks" object of a config (e.g. as stored at create) into h; release frees it. */
int spec_hooks_parse(const json_t *hooks, struct spec_hooks *h, struct err *e);
void spec_hooks_release(struct spec_hooks *h);

/* Capability name ("CAP_SYS_ADMIN") to number, -1 if unknown. */
int spec_cap_from_name(const char *name);
const char *spec_cap_name(int cap);
int spec_cap_last(void);
/* Mount option parsing shared with the CLI: fills flags/clear/propagation/data/bind
 * (and attr_set/attr_clr/recursive_ro/tmpcopyup); m->options is left alone. m must be
 * zeroed or previously filled (m->data is replaced). Unknown options go to data. */
int spec_mount_options(struct spec_mount *m, char **options, struct err *e);
const char *spec_ns_name(enum ns_type t);
/* Every mount option berth understands (runc features' mountOptions). */
json_t *spec_mount_option_names(void);
int spec_ns_clone_flag(enum ns_type t);
/* "network" -> NS_NET; -1 if unknown. */
int spec_ns_from_name(const char *name);
/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 if unknown. spec_rlimit_name: NULL if unknown. */
int spec_rlimit_from_name(const char *name);
const char *spec_rlimit_name(int resource);
/* "rslave" -> MS_SLAVE|MS_REC; -1 if unknown ("" is not a name here). */
int spec_propagation_from_name(const char *name, unsigned long *flags);
/* The default config.json that `spec` writes (rootless = user namespace variant). */
json_t *spec_default_json(bool rootless);
/* Serialises j exactly as runc writes config.json (Go's json.MarshalIndent with a tab,
 * no trailing newline); malloc'd. */
char *spec_json_dumps(const json_t *j);

#endif
