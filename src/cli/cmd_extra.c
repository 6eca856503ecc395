/* cli/cmd_extra: attach, diff and update. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "cli/run_opts.h"
#include "cli/stream.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

int cmd_attach(struct cli *c, int argc, char **argv)
{
	bool nostdin = false, sigproxy = true;
	const char *keys = NULL;
	const struct cli_opt opts[] = {
	    {0, "detach-keys", OPT_STR, &keys, "string\tOverride the key sequence for detaching"},
	    {0, "no-stdin", OPT_BOOL, &nostdin, "Do not attach STDIN"},
	    {0, "sig-proxy", OPT_BOOL, &sigproxy, "Proxy all received signals to the process"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "attach",
	    "[OPTIONS] CONTAINER",
	    "Attach local standard input, output, and error streams to a running container",
	    1,
	    1,
	    false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *info = NULL;
	if (cli_get_container(c, pos[0], "json", &info, &e) < 0)
		return cli_report(&e, 1);
	json_t *state = json_object_get(info, "State");
	if (!json_is_true(json_object_get(state, "Running"))) {
		fprintf(stderr, "You cannot attach to a stopped container, start it first\n");
		return 1;
	}
	if (json_is_true(json_object_get(state, "Paused"))) {
		fprintf(stderr, "You cannot attach to a paused container, unpause it first\n");
		return 1;
	}
	json_t *cfg = json_object_get(info, "Config");
	const char *id = json_string_value(json_object_get(info, "Id")) ?: pos[0];
	bool tty = json_is_true(json_object_get(cfg, "Tty"));
	bool in = !nostdin && json_is_true(json_object_get(cfg, "OpenStdin"));
	struct cli_attach_opts ao = {.tty = tty,
				     .in = in,
				     .start = false,
				     .sig_proxy = sigproxy,
				     .cond = "not-running",
				     .detach_keys = keys};
	return cli_run_attached(c, id, &ao, &e);
}

int cmd_diff(struct cli *c, int argc, char **argv)
{
	const struct cli_opt opts[] = {{0}};
	const struct cli_cmd_spec spec = {
	    "diff",
	    "CONTAINER",
	    "Inspect changes to files or directories on a container's filesystem",
	    1,
	    1,
	    false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *list = NULL;
	if (cli_get_container(c, pos[0], "changes", &list, &e) < 0)
		return cli_report(&e, 1);
	size_t i;
	json_t *it;
	json_array_foreach (list, i, it) {
		json_int_t k = json_integer_value(json_object_get(it, "Kind"));
		printf("%c %s\n",
		       k == 1	? 'A'
		       : k == 2 ? 'D'
				: 'C',
		       json_string_value(json_object_get(it, "Path")) ?: "");
	}
	return 0;
}

/* update's resource flags: where each goes in the body and how it is read. */
static const struct {
	char sh;
	const char *lng, *key;
	char kind; /* i integer, s string, b bytes (-1 allowed) */
	const char *help;
} UPDATE_FLAGS[] = {
    {0, "blkio-weight", "BlkioWeight", 'i',
     "uint16\tBlock IO (relative weight), between 10 and 1000, or 0 to disable"},
    {0, "cpu-period", "CpuPeriod", 'i', "int\tLimit CPU CFS (Completely Fair Scheduler) period"},
    {0, "cpu-quota", "CpuQuota", 'i', "int\tLimit CPU CFS (Completely Fair Scheduler) quota"},
    {0, "cpu-rt-period", "CpuRealtimePeriod", 'i',
     "int\tLimit the CPU real-time period in microseconds"},
    {0, "cpu-rt-runtime", "CpuRealtimeRuntime", 'i',
     "int\tLimit the CPU real-time runtime in microseconds"},
    {'c', "cpu-shares", "CpuShares", 'i', "int\tCPU shares (relative weight)"},
    {0, "cpuset-cpus", "CpusetCpus", 's', "string\tCPUs in which to allow execution (0-3, 0,1)"},
    {0, "cpuset-mems", "CpusetMems", 's', "string\tMEMs in which to allow execution (0-3, 0,1)"},
    {'m', "memory", "Memory", 'b', "bytes\tMemory limit"},
    {0, "memory-reservation", "MemoryReservation", 'b', "bytes\tMemory soft limit"},
    {0, "memory-swap", "MemorySwap", 'b',
     "bytes\tSwap limit equal to memory plus swap: -1 to enable unlimited swap"},
    {0, "pids-limit", "PidsLimit", 'i', "int\tTune container pids limit (set -1 for unlimited)"},
};

static int update_body(const char **vals, const char *cpus, const char *restart, json_t *body,
		       struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(UPDATE_FLAGS); i++) {
		const char *v = vals[i];
		long long n = 0;
		char *end = NULL;
		if (!v)
			continue;
		if (UPDATE_FLAGS[i].kind == 's') {
			json_object_set_new(body, UPDATE_FLAGS[i].key, json_string(v));
			continue;
		}
		if (UPDATE_FLAGS[i].kind == 'b' && strcmp(v, "-1")) {
			if (run_parse_memory(v, &n, e) < 0)
				return -1;
		} else {
			n = strtoll(v, &end, 10);
			if (end == v || *end)
				return err_invalid(e, "invalid argument \"%s\" for \"--%s\" flag",
						   v, UPDATE_FLAGS[i].lng);
		}
		json_object_set_new(body, UPDATE_FLAGS[i].key, json_integer(n));
	}
	if (cpus)
		json_object_set_new(body, "NanoCpus", json_integer((json_int_t)(atof(cpus) * 1e9)));
	if (restart) {
		_cleanup_free_ char *name = str_dup(restart);
		char *colon = strchr(name, ':');
		if (colon)
			*colon = 0;
		json_object_set_new(body, "RestartPolicy",
				    json_pack("{s:s,s:I}", "Name", name, "MaximumRetryCount",
					      (json_int_t)(colon ? atoll(colon + 1) : 0)));
	}
	return 0;
}

static int opt_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cli_opt *)a)->lng, ((const struct cli_opt *)b)->lng);
}

int cmd_update(struct cli *c, int argc, char **argv)
{
	const char *cpus = NULL, *restart = NULL, *vals[ARRAY_SIZE(UPDATE_FLAGS)] = {0};
	struct cli_opt opts[ARRAY_SIZE(UPDATE_FLAGS) + 3] = {
	    {0, "cpus", OPT_STR, &cpus, "decimal\tNumber of CPUs"},
	    {0, "restart", OPT_STR, &restart,
	     "string\tRestart policy to apply when a container exits"}};
	for (size_t i = 0; i < ARRAY_SIZE(UPDATE_FLAGS); i++)
		opts[i + 2] = (struct cli_opt){UPDATE_FLAGS[i].sh, UPDATE_FLAGS[i].lng, OPT_STR,
					       &vals[i], UPDATE_FLAGS[i].help};
	qsort(opts, ARRAY_SIZE(UPDATE_FLAGS) + 2, sizeof(*opts), opt_cmp);
	const struct cli_cmd_spec spec = {"update",
					  "[OPTIONS] CONTAINER [CONTAINER...]",
					  "Update configuration of one or more containers",
					  1,
					  -1,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = json_object();
	if (update_body(vals, cpus, restart, body, &e) < 0)
		return cli_report(&e, 1);
	const struct cli_each x = {.method = "POST",
				   .prefix = "/containers/",
				   .suffix = "/update",
				   .body = body,
				   .keep_going = true};
	return cli_each_name(c, pos, &x);
}
