/* cli/cmd_container: container commands that act on names one by one (stop, restart, kill,
 * rm, pause, unpause, wait), rename, top, port. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* POST/DELETE each container: /containers/NAME[/action][?query]. */
static int each(struct cli *c, char **names, const char *method, const char *action,
		const char *query, bool missing_ok)
{
	_cleanup_free_ char *suffix = str_printf("%s%s%s%s", *action ? "/" : "", action,
						 query && *query ? "?" : "", query ? query : "");
	const struct cli_each x = {
	    .method = method, .prefix = "/containers/", .suffix = suffix, .missing_ok = missing_ok};
	return cli_each_name(c, names, &x);
}

static const char *time_query(const char *t, const char *sig, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s", t ? "t=" : "", t ? t : "", t && sig ? "&" : "",
		 sig ? "signal=" : "", sig ? sig : "");
	return buf;
}

static int stop_like(struct cli *c, int argc, char **argv, const char *action)
{
	const char *t = NULL, *sig = NULL;
	const struct cli_opt opts[] = {
	    {'t', "time", OPT_STR, &t, "int\tSeconds to wait before killing the container"},
	    {0, "timeout", OPT_STR, &t, "int\tSeconds to wait before killing the container"},
	    {'s', "signal", OPT_STR, &sig, "string\tSignal to send to the container"},
	    {0}};
	const struct cli_cmd_spec spec = {action,
					  "[OPTIONS] CONTAINER [CONTAINER...]",
					  !strcmp(action, "stop")
					      ? "Stop one or more running containers"
					      : "Restart one or more containers",
					  1,
					  -1,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	char q[256];
	return each(c, pos, "POST", action, time_query(t, sig, q, sizeof(q)), false);
}

int cmd_stop(struct cli *c, int argc, char **argv)
{
	return stop_like(c, argc, argv, "stop");
}

int cmd_restart(struct cli *c, int argc, char **argv)
{
	return stop_like(c, argc, argv, "restart");
}

int cmd_kill(struct cli *c, int argc, char **argv)
{
	const char *sig = NULL;
	const struct cli_opt opts[] = {
	    {'s', "signal", OPT_STR, &sig, "string\tSignal to send to the container"}, {0}};
	const struct cli_cmd_spec spec = {"kill",
					  "[OPTIONS] CONTAINER [CONTAINER...]",
					  "Kill one or more running containers",
					  1,
					  -1,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	_cleanup_free_ char *esig = sig ? cli_http_escape(sig) : NULL;
	_cleanup_free_ char *q = sig ? str_printf("signal=%s", esig) : NULL;
	return each(c, pos, "POST", "kill", q, false);
}

int cmd_rm(struct cli *c, int argc, char **argv)
{
	bool force = false, vols = false, link = false;
	const struct cli_opt opts[] = {{'f', "force", OPT_BOOL, &force,
					"Force the removal of a running container (uses SIGKILL)"},
				       {'v', "volumes", OPT_BOOL, &vols,
					"Remove anonymous volumes associated with the container"},
				       {'l', "link", OPT_BOOL, &link, "Remove the specified link"},
				       {0}};
	const struct cli_cmd_spec spec = {"rm",
					  "[OPTIONS] CONTAINER [CONTAINER...]",
					  "Remove one or more containers",
					  1,
					  -1,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	char q[64];
	snprintf(q, sizeof(q), "%s%s%s%s%s", force ? "force=1" : "", force && vols ? "&" : "",
		 vols ? "v=1" : "", (force || vols) && link ? "&" : "", link ? "link=1" : "");
	return each(c, pos, "DELETE", "", q, force);
}

static int simple(struct cli *c, int argc, char **argv, const char *about)
{
	const struct cli_opt opts[] = {{0}};
	const struct cli_cmd_spec spec = {argv[0], "CONTAINER [CONTAINER...]", about, 1, -1, false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	return each(c, pos, "POST", argv[0], NULL, false);
}

int cmd_pause(struct cli *c, int argc, char **argv)
{
	return simple(c, argc, argv, "Pause all processes within one or more containers");
}

int cmd_unpause(struct cli *c, int argc, char **argv)
{
	return simple(c, argc, argv, "Unpause all processes within one or more containers");
}

int cmd_wait(struct cli *c, int argc, char **argv)
{
	const struct cli_opt opts[] = {{0}};
	const struct cli_cmd_spec spec = {
	    "wait",
	    "CONTAINER [CONTAINER...]",
	    "Block until one or more containers stop, then print their exit codes",
	    1,
	    -1,
	    false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st, rc = 0;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	for (char **n = pos; *n; n++) {
		struct err e = ERR_INIT;
		_cleanup_free_ char *id = cli_http_escape(*n);
		_cleanup_free_ char *path = str_printf("/containers/%s/wait", id);
		_cleanup_json_ json_t *r = NULL;
		if (cli_post(c, path, NULL, &r, &e) < 0) {
			rc = cli_report(&e, 1);
			continue;
		}
		printf("%lld\n", (long long)json_integer_value(json_object_get(r, "StatusCode")));
	}
	return rc;
}

int cmd_rename(struct cli *c, int argc, char **argv)
{
	const struct cli_opt opts[] = {{0}};
	const struct cli_cmd_spec spec = {
	    "rename", "CONTAINER NEW_NAME", "Rename a container", 2, 2, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_free_ char *id = cli_http_escape(pos[0]), *nn = cli_http_escape(pos[1]);
	_cleanup_free_ char *path = str_printf("/containers/%s/rename?name=%s", id, nn);
	return cli_do(c, "POST", path, &e) < 0 ? cli_report(&e, 1) : 0;
}

int cmd_top(struct cli *c, int argc, char **argv)
{
	const struct cli_opt opts[] = {{0}};
	const struct cli_cmd_spec spec = {"top",
					  "CONTAINER [ps OPTIONS]",
					  "Display the running processes of a container",
					  1,
					  -1,
					  true,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_free_ char *id = cli_http_escape(pos[0]);
	_cleanup_free_ char *args = pos[1] ? strv_join(pos + 1, " ") : NULL;
	_cleanup_free_ char *eargs = args ? cli_http_escape(args) : NULL;
	_cleanup_free_ char *path =
	    str_printf("/containers/%s/top%s%s", id, eargs ? "?ps_args=" : "", eargs ? eargs : "");
	_cleanup_json_ json_t *r = NULL;
	if (cli_get(c, path, &r, &e) < 0)
		return cli_report(&e, 1);
	char *buf = NULL;
	size_t len = 0, i, j;
	json_t *v, *row;
	FILE *f = open_memstream(&buf, &len);
	json_array_foreach (json_object_get(r, "Titles"), i, v)
		fprintf(f, "%s%s", i ? "\t" : "", json_string_value(v));
	fputc('\n', f);
	json_array_foreach (json_object_get(r, "Processes"), i, row) {
		json_array_foreach (row, j, v)
			fprintf(f, "%s%s", j ? "\t" : "", json_string_value(v));
		fputc('\n', f);
	}
	fclose(f);
	fmt_tabwrite(stdout, buf);
	free(buf);
	return 0;
}

static void print_bindings(const char *port, json_t *binds)
{
	size_t i;
	json_t *b;
	json_array_foreach (binds, i, b) {
		const char *ip = json_string_value(json_object_get(b, "HostIp")) ?: "";
		const char *hp = json_string_value(json_object_get(b, "HostPort")) ?: "";
		bool v6 = strchr(ip, ':') != NULL;
		printf("%s -> %s%s%s:%s\n", port, v6 ? "[" : "", ip, v6 ? "]" : "", hp);
	}
}

int cmd_port(struct cli *c, int argc, char **argv)
{
	const struct cli_opt opts[] = {{0}};
	const struct cli_cmd_spec spec = {
	    "port",
	    "CONTAINER [PRIVATE_PORT[/PROTO]]",
	    "List port mappings or a specific mapping for the container",
	    1,
	    2,
	    false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *r = NULL;
	if (cli_get_container(c, pos[0], "json", &r, &e) < 0)
		return cli_report(&e, 1);
	json_t *ports = json_object_get(json_object_get(r, "NetworkSettings"), "Ports");
	if (pos[1]) {
		_cleanup_free_ char *key =
		    strchr(pos[1], '/') ? str_dup(pos[1]) : str_printf("%s/tcp", pos[1]);
		json_t *b = json_object_get(ports, key);
		if (!json_array_size(b)) {
			fprintf(stderr, "Error: No public port '%s' published for %s\n", key,
				pos[0]);
			return 1;
		}
		print_bindings(key, b);
		return 0;
	}
	const char *k;
	json_t *b;
	json_object_foreach (ports, k, b)
		print_bindings(k, b);
	return 0;
}
