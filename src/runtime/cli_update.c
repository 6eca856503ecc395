/* cli_update: `update` (resource limits of a live container, from flags or a
 * linux.resources JSON) and `features`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cli_cmd.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

enum {
	U_RESOURCES,
	U_BLKIO_WEIGHT,
	U_CPU_PERIOD,
	U_CPU_QUOTA,
	U_CPU_SHARE,
	U_CPU_RT_PERIOD,
	U_CPU_RT_RUNTIME,
	U_CPUSET_CPUS,
	U_CPUSET_MEMS,
	U_KERNEL_MEMORY,
	U_KERNEL_MEMORY_TCP,
	U_MEMORY,
	U_MEMORY_RESERVATION,
	U_MEMORY_SWAP,
	U_PIDS_LIMIT,
	U_CPU_IDLE,
	U_IGNORED,
};

const struct cli_opt cli_update_opts[] = {
    {"resources", 'r', true, U_RESOURCES,
     "path to a file containing the resources to update or '-' to read from the standard input"},
    {"blkio-weight", 0, true, U_BLKIO_WEIGHT,
     "Specifies per cgroup weight, range is from 10 to 1000"},
    {"cpu-period", 0, true, U_CPU_PERIOD,
     "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default"},
    {"cpu-quota", 0, true, U_CPU_QUOTA,
     "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"},
    {"cpu-share", 0, true, U_CPU_SHARE, "CPU shares (relative weight vs. other containers)"},
    {"cpu-rt-period", 0, true, U_CPU_RT_PERIOD,
     "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default"},
    {"cpu-rt-runtime", 0, true, U_CPU_RT_RUNTIME,
     "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period"},
    {"cpuset-cpus", 0, true, U_CPUSET_CPUS, "CPU(s) to use"},
    {"cpuset-mems", 0, true, U_CPUSET_MEMS, "Memory node(s) to use"},
    {"kernel-memory", 0, true, U_KERNEL_MEMORY, "(obsoleted; do not use)"},
    {"kernel-memory-tcp", 0, true, U_KERNEL_MEMORY_TCP, "(obsoleted; do not use)"},
    {"memory", 0, true, U_MEMORY, "Memory limit (in bytes)"},
    {"cpu-idle", 0, true, U_CPU_IDLE,
     "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE"},
    {"memory-reservation", 0, true, U_MEMORY_RESERVATION,
     "Memory reservation or soft_limit (in bytes)"},
    {"memory-swap", 0, true, U_MEMORY_SWAP,
     "Total memory usage (memory + swap); set '-1' to enable unlimited swap"},
    {"pids-limit", 0, true, U_PIDS_LIMIT, "Maximum number of pids allowed in the container"},
    {"l3-cache-schema", 0, true, U_IGNORED, "The string of Intel RDT/CAT L3 cache schema"},
    {"mem-bw-schema", 0, true, U_IGNORED, "The string of Intel RDT/MBA memory bandwidth schema"},
    {0},
};

struct update_ctx {
	json_t *res; /* linux.resources shape built from flags */
	const char *file;
};

static json_t *section(json_t *res, const char *name)
{
	json_t *s = json_object_get(res, name);
	if (!s) {
		s = json_object();
		json_object_set_new(res, name, s);
	}
	return s;
}

static int set_num(json_t *res, const char *sec, const char *key, const char *val, bool bytes,
		   struct err *e)
{
	int64_t v;
	if (bytes && strcmp(val, "-1") != 0) {
		if (cli_parse_bytes(val, &v, e) < 0)
			return -1;
	} else if (str_to_i64(val, &v, key, e) < 0) {
		return -1;
	}
	json_object_set_new(section(res, sec), key, json_integer(v));
	return 0;
}

static int on_update(void *ctx, int id, const char *val, struct err *e)
{
	struct update_ctx *c = ctx;
	json_t *r = c->res;
	switch (id) {
	case U_RESOURCES:
		c->file = val;
		return 0;
	case U_BLKIO_WEIGHT:
		return set_num(r, "blockIO", "weight", val, false, e);
	case U_CPU_PERIOD:
		return set_num(r, "cpu", "period", val, false, e);
	case U_CPU_QUOTA:
		return set_num(r, "cpu", "quota", val, false, e);
	case U_CPU_SHARE:
		return set_num(r, "cpu", "shares", val, false, e);
	case U_CPU_RT_PERIOD:
		return set_num(r, "cpu", "realtimePeriod", val, false, e);
	case U_CPU_RT_RUNTIME:
		return set_num(r, "cpu", "realtimeRuntime", val, false, e);
	case U_CPU_IDLE:
		return set_num(r, "cpu", "idle", val, false, e);
	case U_CPUSET_CPUS:
		json_object_set_new(section(r, "cpu"), "cpus", json_string(val));
		return 0;
	case U_CPUSET_MEMS:
		json_object_set_new(section(r, "cpu"), "mems", json_string(val));
		return 0;
	case U_KERNEL_MEMORY:
		return set_num(r, "memory", "kernel", val, true, e);
	case U_KERNEL_MEMORY_TCP:
		return set_num(r, "memory", "kernelTCP", val, true, e);
	case U_MEMORY:
		return set_num(r, "memory", "limit", val, true, e);
	case U_MEMORY_RESERVATION:
		return set_num(r, "memory", "reservation", val, true, e);
	case U_MEMORY_SWAP:
		return set_num(r, "memory", "swap", val, true, e);
	case U_PIDS_LIMIT:
		return set_num(r, "pids", "limit", val, false, e);
	default:
		return 0;
	}
}

static json_t *read_resources_file(const char *file, struct err *e)
{
	if (strcmp(file, "-") != 0)
		return jx_load_file(file, e);
	json_error_t je;
	json_t *j = json_loadf(stdin, 0, &je);
	if (!j)
		err_invalid(e, "parse resources from stdin: %s", je.text);
	return j;
}

/* Merges src into dst recursively (objects merge, other values replace). */
static void merge(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;
	json_object_foreach (src, k, v) {
		json_t *d = json_object_get(dst, k);
		if (json_is_object(d) && json_is_object(v))
			merge(d, v);
		else
			json_object_set(dst, k, v);
	}
}

static int apply_update(struct container_state *s, json_t *res, struct err *e)
{
	struct spec_resources r = {0};
	/* update never changes device rules (as runc): drop any given. */
	json_object_del(res, "devices");
	if (spec_resources_parse(res, "resources", &r, e) < 0)
		return -1;
	struct cgroup *cg = state_cgroup(s, e);
	int ret = cg ? cgroup_apply(cg, &r, e) : -1;
	if (cg)
		cgroup_free(cg);
	spec_resources_release(&r);
	if (ret < 0)
		return -1;
	json_t *lin = json_object_get(s->config, "linux");
	if (!json_is_object(lin)) {
		lin = json_object();
		json_object_set_new(s->config, "linux", lin);
	}
	json_t *cur = json_object_get(lin, "resources");
	if (!json_is_object(cur)) {
		cur = json_object();
		json_object_set_new(lin, "resources", cur);
	}
	merge(cur, res);
	return state_save(s, e);
}

int cli_update(struct cli *g, int argc, char **argv, struct err *e)
{
	_cleanup_json_ json_t *flags = json_object();
	struct update_ctx c = {.res = flags};
	_cleanup_free_ char **args = NULL;
	int n = cli_cmd_args(cli_cmd_find("update"), argc, argv, on_update, &c, &args, e);
	if (n < 0 || cli_need_args("update", n, 1, 1, e) < 0)
		return -1;
	enum container_status st;
	_cleanup_state_ struct container_state *s = container_load(g->root, args[0], &st, e);
	if (!s)
		return -1;
	if (st == STATUS_STOPPED)
		return err_conflict(e, "container not running");
	_cleanup_json_ json_t *res = c.file ? read_resources_file(c.file, e) : json_incref(c.res);
	if (!res)
		return -1;
	if (!json_is_object(res))
		return err_invalid(e, "resources: expected object, got %s", jx_type_name(res));
	return apply_update(s, res, e);
}

int cli_features(struct cli *g, int argc, char **argv, struct err *e)
{
	_cleanup_json_ json_t *caps = json_array();
	for (int i = 0; i <= spec_cap_last(); i++)
		json_array_append_new(caps, json_string(spec_cap_name(i)));
	_cleanup_json_ json_t *f = json_pack(
	    "{s:s, s:s, s:[ssssss], s:o,"
	    " s:{s:[ssssssss], s:O, s:{s:b, s:b, s:b, s:b},"
	    " s:{s:b, s:[ssssssss], s:[sssssss], s:[sss]}, s:{s:b}, s:{s:b}}}",
	    "ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0", "hooks", "prestart",
	    "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
	    "mountOptions", spec_mount_option_names(), "linux", "namespaces", "cgroup", "ipc",
	    "mount", "network", "pid", "user", "uts", "time", "capabilities", caps, "cgroup", "v1",
	    1, "v2", 1, "systemd", 0, "systemdUser", 0, "seccomp", "enabled", 1, "actions",
	    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
	    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", "operators",
	    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
	    "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", "archs", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64",
	    "SCMP_ARCH_X32", "apparmor", "enabled", 0, "selinux", "enabled", 0);
	if (!f)
		return err_set(e, ERR_INTERNAL, 0, "encode features");
	char *out = json_dumps(f, JSON_INDENT(4));
	printf("%s\n", out);
	free(out);
	return 0;
}
