/* cli/run_extra: the rest of docker's create/run flags, as a table: each flag names where
 * its value goes in the create body (HostConfig.ShmSize, Healthcheck.Interval, ...) and how
 * the value is read (string, integer, bytes, duration, k=v map, or its own parser). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/run_opts.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

enum xkind { X_STR, X_INT, X_BYTES, X_BOOL, X_LIST, X_MAP, X_DURATION, X_SPECIAL };

struct xflag {
	char sh;
	const char *lng;
	enum xkind kind;
	const char *path; /* dotted path in the create body; NULL for X_SPECIAL */
	const char *help;
};

static const struct xflag XFLAGS[] = {
    {0, "annotation", X_MAP, "HostConfig.Annotations",
     "map\tAdd an annotation to the container (passed through to the OCI runtime)"},
    {0, "cgroup-parent", X_STR, "HostConfig.CgroupParent",
     "string\tOptional parent cgroup for the container"},
    {0, "cpu-period", X_INT, "HostConfig.CpuPeriod",
     "int\tLimit CPU CFS (Completely Fair Scheduler) period"},
    {0, "cpu-quota", X_INT, "HostConfig.CpuQuota",
     "int\tLimit CPU CFS (Completely Fair Scheduler) quota"},
    {0, "cpu-rt-period", X_INT, "HostConfig.CpuRealtimePeriod",
     "int\tLimit CPU real-time period in microseconds"},
    {0, "cpu-rt-runtime", X_INT, "HostConfig.CpuRealtimeRuntime",
     "int\tLimit CPU real-time runtime in microseconds"},
    {0, "cpuset-mems", X_STR, "HostConfig.CpusetMems",
     "string\tMEMs in which to allow execution (0-3, 0,1)"},
    {0, "device-cgroup-rule", X_LIST, "HostConfig.DeviceCgroupRules",
     "list\tAdd a rule to the cgroup allowed devices list"},
    {0, "ip6", X_SPECIAL, NULL, "string\tIPv6 address (e.g., 2001:db8::33)"},
    {0, "isolation", X_STR, "HostConfig.Isolation", "string\tContainer isolation technology"},
    {0, "kernel-memory", X_BYTES, "HostConfig.KernelMemory", "bytes\tKernel memory limit"},
    {0, "label-file", X_SPECIAL, NULL, "list\tRead in a line delimited file of labels"},
    {0, "memory-swappiness", X_INT, "HostConfig.MemorySwappiness",
     "int\tTune container memory swappiness (0 to 100) (default -1)"},
    {0, "storage-opt", X_MAP, "HostConfig.StorageOpt",
     "list\tStorage driver options for the container"},
    {0, "volume-driver", X_STR, "HostConfig.VolumeDriver",
     "string\tOptional volume driver for the container"},
    {0, "blkio-weight", X_INT, "HostConfig.BlkioWeight",
     "uint16\tBlock IO (relative weight), between 10 and 1000, or 0 to disable"},
    {0, "cgroupns", X_STR, "HostConfig.CgroupnsMode",
     "string\tCgroup namespace to use (host|private)"},
    {'c', "cpu-shares", X_INT, "HostConfig.CpuShares", "int\tCPU shares (relative weight)"},
    {0, "cpuset-cpus", X_STR, "HostConfig.CpusetCpus",
     "string\tCPUs in which to allow execution (0-3, 0,1)"},
    {0, "device", X_SPECIAL, NULL, "list\tAdd a host device to the container"},
    {0, "dns-option", X_LIST, "HostConfig.DnsOptions", "list\tSet DNS options"},
    {0, "dns-search", X_LIST, "HostConfig.DnsSearch", "list\tSet custom DNS search domains"},
    {0, "domainname", X_STR, "Domainname", "string\tContainer NIS domain name"},
    {0, "group-add", X_LIST, "HostConfig.GroupAdd", "list\tAdd additional groups to join"},
    {0, "health-cmd", X_SPECIAL, NULL, "string\tCommand to run to check health"},
    {0, "health-interval", X_DURATION, "Healthcheck.Interval",
     "duration\tTime between running the check (ms|s|m|h) (default 0s)"},
    {0, "health-retries", X_INT, "Healthcheck.Retries",
     "int\tConsecutive failures needed to report unhealthy"},
    {0, "health-start-period", X_DURATION, "Healthcheck.StartPeriod",
     "duration\tStart period for the container to initialize before starting health-retries "
     "countdown (ms|s|m|h) (default 0s)"},
    {0, "health-timeout", X_DURATION, "Healthcheck.Timeout",
     "duration\tMaximum time to allow one check to run (ms|s|m|h) (default 0s)"},
    {0, "ip", X_SPECIAL, NULL, "string\tIPv4 address (e.g., 172.30.100.104)"},
    {0, "ipc", X_STR, "HostConfig.IpcMode", "string\tIPC mode to use"},
    {0, "link", X_LIST, "HostConfig.Links", "list\tAdd link to another container"},
    {0, "log-driver", X_STR, "HostConfig.LogConfig.Type",
     "string\tLogging driver for the container"},
    {0, "log-opt", X_MAP, "HostConfig.LogConfig.Config", "list\tLog driver options"},
    {0, "mac-address", X_STR, "MacAddress", "string\tContainer MAC address"},
    {0, "memory-reservation", X_BYTES, "HostConfig.MemoryReservation", "bytes\tMemory soft limit"},
    {0, "memory-swap", X_BYTES, "HostConfig.MemorySwap",
     "bytes\tSwap limit equal to memory plus swap: '-1' to enable unlimited swap"},
    {0, "mount", X_SPECIAL, NULL, "mount\tAttach a filesystem mount to the container"},
    {0, "network-alias", X_SPECIAL, NULL, "list\tAdd network-scoped alias for the container"},
    {0, "no-healthcheck", X_SPECIAL, NULL, "Disable any container-specified HEALTHCHECK"},
    {0, "oom-kill-disable", X_BOOL, "HostConfig.OomKillDisable", "Disable OOM Killer"},
    {0, "oom-score-adj", X_INT, "HostConfig.OomScoreAdj",
     "int\tTune host's OOM preferences (-1000 to 1000)"},
    {0, "pid", X_STR, "HostConfig.PidMode", "string\tPID namespace to use"},
    {0, "pids-limit", X_INT, "HostConfig.PidsLimit",
     "int\tTune container pids limit (set -1 for unlimited)"},
    {'P', "publish-all", X_BOOL, "HostConfig.PublishAllPorts",
     "Publish all exposed ports to random ports"},
    {0, "runtime", X_STR, "HostConfig.Runtime", "string\tRuntime to use for this container"},
    {0, "security-opt", X_LIST, "HostConfig.SecurityOpt", "list\tSecurity Options"},
    {0, "shm-size", X_BYTES, "HostConfig.ShmSize", "bytes\tSize of /dev/shm"},
    {0, "sysctl", X_MAP, "HostConfig.Sysctls", "map\tSysctl options"},
    {0, "ulimit", X_SPECIAL, NULL, "ulimit\tUlimit options"},
    {0, "userns", X_STR, "HostConfig.UsernsMode", "string\tUser namespace to use"},
    {0, "uts", X_STR, "HostConfig.UTSMode", "string\tUTS namespace to use"},
    {0, "volumes-from", X_LIST, "HostConfig.VolumesFrom",
     "list\tMount volumes from the specified container(s)"},
};

_Static_assert(ARRAY_SIZE(XFLAGS) <= RUN_XMAX, "RUN_XMAX too small");

size_t run_extra_table(struct run_opts *r, struct cli_opt *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(XFLAGS); i++) {
		const struct xflag *x = &XFLAGS[i];
		bool is_bool = x->kind == X_BOOL || !strcmp(x->lng, "no-healthcheck");
		bool is_list = x->kind == X_LIST || x->kind == X_MAP || !strcmp(x->lng, "device") ||
			       !strcmp(x->lng, "mount") || !strcmp(x->lng, "network-alias") ||
			       !strcmp(x->lng, "ulimit") || !strcmp(x->lng, "label-file");
		o[i] = (struct cli_opt){x->sh, x->lng,
					is_bool	  ? OPT_BOOL
					: is_list ? OPT_LIST
						  : OPT_STR,
					is_bool	  ? (void *)&r->xbool[i]
					: is_list ? (void *)&r->xlist[i]
						  : (void *)&r->xstr[i],
					x->help};
	}
	return ARRAY_SIZE(XFLAGS);
}

void run_extra_release(struct run_opts *r)
{
	for (size_t i = 0; i < RUN_XMAX; i++) {
		strv_free(r->xlist[i]);
		r->xlist[i] = NULL;
	}
}

/* Sets body.a.b.c = v (taking v), making the objects on the way. */
static void set_path(json_t *body, const char *path, json_t *v)
{
	_cleanup_strv_ char **parts = strv_split(path, ".");
	json_t *o = body;
	for (size_t i = 0; parts[i + 1]; i++) {
		json_t *next = json_object_get(o, parts[i]);
		if (!json_is_object(next))
			json_object_set_new(o, parts[i], next = json_object());
		o = next;
	}
	json_object_set_new(o, parts[strv_len(parts) - 1], v);
}

/* Go's time.ParseDuration for the forms used here: 1h30m, 10s, 500ms, 1.5s; nanoseconds. */
int run_parse_duration(const char *s, long long *out, struct err *e)
{
	static const struct {
		const char *unit;
		double ns;
	} U[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	double total = 0;
	const char *p = s;
	if (!strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		if (end == p || v < 0)
			return err_invalid(e, "time: invalid duration \"%s\"", s);
		size_t best = ARRAY_SIZE(U);
		for (size_t i = 0; i < ARRAY_SIZE(U); i++)
			if (str_has_prefix(end, U[i].unit) &&
			    (best == ARRAY_SIZE(U) || strlen(U[i].unit) > strlen(U[best].unit)))
				best = i;
		if (best == ARRAY_SIZE(U))
			return err_invalid(e, "time: missing unit in duration \"%s\"", s);
		total += v * U[best].ns;
		p = end + strlen(U[best].unit);
	}
	if (p == s)
		return err_invalid(e, "time: invalid duration \"%s\"", s);
	*out = (long long)total;
	return 0;
}

/* One plain flag's value into the body. */
static int apply_plain(const struct xflag *x, const char *s, char **list, bool b, json_t *body,
		       struct err *e)
{
	long long n = 0;
	char *end = NULL;
	switch (x->kind) {
	case X_STR:
		set_path(body, x->path, json_string(s));
		return 0;
	case X_INT:
		n = strtoll(s, &end, 10);
		if (end == s || *end)
			return err_invalid(e, "invalid argument \"%s\" for \"--%s\" flag", s,
					   x->lng);
		set_path(body, x->path, json_integer(n));
		return 0;
	case X_BYTES:
		if (strcmp(s, "-1") && run_parse_memory(s, &n, e) < 0)
			return err_wrap(e, "invalid argument \"%s\" for \"--%s\" flag", s, x->lng);
		set_path(body, x->path, json_integer(strcmp(s, "-1") ? n : -1));
		return 0;
	case X_DURATION:
		if (run_parse_duration(s, &n, e) < 0)
			return err_wrap(e, "invalid argument \"%s\" for \"--%s\" flag", s, x->lng);
		set_path(body, x->path, json_integer(n));
		return 0;
	case X_BOOL:
		set_path(body, x->path, json_boolean(b));
		return 0;
	case X_LIST:
		set_path(body, x->path, cli_json_strv(list));
		return 0;
	case X_MAP:
		set_path(body, x->path, cli_json_kv(list, '='));
		return 0;
	case X_SPECIAL:
		break;
	}
	return 0;
}

int run_extra_apply(const struct run_opts *r, json_t *body, const char *net, struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(XFLAGS); i++) {
		const struct xflag *x = &XFLAGS[i];
		const char *s = r->xstr[i];
		char **list = r->xlist[i];
		bool b = r->xbool[i];
		if (!s && !list && !b)
			continue;
		if (x->kind != X_SPECIAL) {
			if (apply_plain(x, s, list, b, body, e) < 0)
				return -1;
		} else if (run_extra_special(x->lng, s, list, b, body, net, e) < 0) {
			return -1;
		}
	}
	return run_security_opts(body, e);
}
