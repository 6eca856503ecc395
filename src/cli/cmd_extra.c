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
	_cleanup_free_ char *en = cli_http_escape(pos[0]);
	_cleanup_free_ char *ip = str_printf("/containers/%s/json", en);
	_cleanup_json_ json_t *info = NULL;
	if (cli_get(c, ip, &info, &e) < 0)
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
	return cli_run_attached(c, id, tty, in, "not-running", false, &e);
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
	_cleanup_free_ char *en = cli_http_escape(pos[0]);
	_cleanup_free_ char *p = str_printf("/containers/%s/changes", en);
	_cleanup_json_ json_t *list = NULL;
	if (cli_get(c, p, &list, &e) < 0)
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

int cmd_update(struct cli *c, int argc, char **argv)
{
	const char *mem = NULL, *cpus = NULL, *restart = NULL, *shares = NULL, *pids = NULL;
	const struct cli_opt opts[] = {
	    {0, "cpu-shares", OPT_STR, &shares, "int\tCPU shares (relative weight)"},
	    {0, "cpus", OPT_STR, &cpus, "decimal\tNumber of CPUs"},
	    {'m', "memory", OPT_STR, &mem, "bytes\tMemory limit"},
	    {0, "pids-limit", OPT_STR, &pids, "int\tTune container pids limit"},
	    {0, "restart", OPT_STR, &restart,
	     "string\tRestart policy to apply when a container exits"},
	    {0}};
	const struct cli_cmd_spec spec = {"update",
					  "[OPTIONS] CONTAINER [CONTAINER...]",
					  "Update configuration of one or more containers",
					  1,
					  -1,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st, rc = 0;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = json_object();
	long long m = 0;
	if (mem && run_parse_memory(mem, &m, &e) < 0)
		return cli_report(&e, 1);
	if (mem)
		json_object_set_new(body, "Memory", json_integer(m));
	if (cpus)
		json_object_set_new(body, "NanoCpus", json_integer((json_int_t)(atof(cpus) * 1e9)));
	if (shares)
		json_object_set_new(body, "CpuShares", json_integer(atoll(shares)));
	if (pids)
		json_object_set_new(body, "PidsLimit", json_integer(atoll(pids)));
	if (restart) {
		_cleanup_free_ char *name = str_dup(restart);
		char *colon = strchr(name, ':');
		if (colon)
			*colon = 0;
		json_object_set_new(body, "RestartPolicy",
				    json_pack("{s:s,s:I}", "Name", name, "MaximumRetryCount",
					      (json_int_t)(colon ? atoll(colon + 1) : 0)));
	}
	for (char **n = pos; *n; n++) {
		_cleanup_free_ char *en = cli_http_escape(*n);
		_cleanup_free_ char *p = str_printf("/containers/%s/update", en);
		if (cli_post(c, p, body, NULL, &e) < 0) {
			rc = cli_report(&e, 1);
			err_clear(&e);
			continue;
		}
		printf("%s\n", *n);
	}
	return rc;
}
