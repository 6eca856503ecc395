/* cli_info: commands that report on containers: list, ps, events; and spec, features. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cli_cmd.h"
#include "runtime/container.h"
#include "runtime/table.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

enum { I_FORMAT, I_QUIET, I_INTERVAL, I_STATS, I_BUNDLE, I_ROOTLESS };

const struct cli_opt cli_list_opts[] = {
    {"format", 'f', true, I_FORMAT, "select one of: table or json (default: \"table\")"},
    {"quiet", 'q', false, I_QUIET, "display only container IDs"},
    {0},
};
const struct cli_opt cli_ps_opts[] = {
    {"format", 'f', true, I_FORMAT, "select one of: table or json (default: \"table\")"},
    {0},
};
const struct cli_opt cli_events_opts[] = {
    {"interval", 0, true, I_INTERVAL, "set the stats collection interval (default: 5s)"},
    {"stats", 0, false, I_STATS, "display the container's stats then exit"},
    {0},
};
const struct cli_opt cli_spec_opts[] = {
    {"bundle", 'b', true, I_BUNDLE, "path to the root of the bundle directory"},
    {"rootless", 0, false, I_ROOTLESS, "generate a configuration for a rootless container"},
    {0},
};

struct info_ctx {
	const char *format, *bundle;
	bool quiet, stats, rootless;
	long interval_ms;
};

static int parse_duration_ms(const char *s, long *ms, struct err *e)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return err_invalid(e, "invalid duration \"%s\"", s);
	double mult = !strcmp(end, "ms")	   ? 1
		      : !strcmp(end, "s") || !*end ? 1000
		      : !strcmp(end, "m")	   ? 60000
		      : !strcmp(end, "h")	   ? 3600000
		      : !strcmp(end, "us")	   ? 0.001
		      : !strcmp(end, "ns")	   ? 0.000001
						   : -1;
	if (mult < 0)
		return err_invalid(e, "invalid duration \"%s\"", s);
	*ms = (long)(v * mult);
	if (*ms <= 0)
		return err_invalid(e, "duration must be greater than 0");
	return 0;
}

static int on_info(void *ctx, int id, const char *val, struct err *e)
{
	struct info_ctx *c = ctx;
	switch (id) {
	case I_FORMAT:
		if (strcmp(val, "table") && strcmp(val, "json"))
			return err_invalid(e, "invalid format option");
		c->format = val;
		break;
	case I_QUIET:
		c->quiet = cli_opt_bool(val);
		break;
	case I_INTERVAL:
		return parse_duration_ms(val, &c->interval_ms, e);
	case I_STATS:
		c->stats = cli_opt_bool(val);
		break;
	case I_BUNDLE:
		c->bundle = val;
		break;
	case I_ROOTLESS:
		c->rootless = cli_opt_bool(val);
		break;
	default:
		break;
	}
	return 0;
}

static char *owner_of(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return str_dup("");
	if (st.st_uid == 0)
		return str_dup("root");
	return str_printf("#%u", (unsigned)st.st_uid);
}

int cli_list(struct cli *g, int argc, char **argv, struct err *e)
{
	struct info_ctx c = {.format = "table"};
	_cleanup_free_ char **args = NULL;
	if (cli_cmd_args(cli_cmd_find("list"), argc, argv, on_info, &c, &args, e) < 0)
		return -1;
	_cleanup_strv_ char **ids = state_list_ids(g->root, e);
	if (!ids)
		return -1;
	_cleanup_json_ json_t *arr = json_array();
	struct table *t = table_new("ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER");
	for (size_t i = 0; ids[i]; i++) {
		enum container_status st;
		struct err ignore = ERR_INIT;
		_cleanup_state_ struct container_state *s =
		    container_load(g->root, ids[i], &st, &ignore);
		if (!s)
			continue;
		free(s->owner);
		s->owner = owner_of(s->dir);
		if (c.quiet)
			printf("%s\n", s->id);
		json_array_append_new(arr, state_to_oci(s, st));
		table_row(t, "%s\t%d\t%s\t%s\t%s\t%s", s->id,
			  st == STATUS_STOPPED ? 0 : (int)s->pid, state_status_name(st), s->bundle,
			  s->created, s->owner);
	}
	if (!c.quiet && !strcmp(c.format, "json")) {
		_cleanup_free_ char *out = jx_dumps(arr);
		printf("%s\n", json_array_size(arr) ? out : "null");
	} else if (!c.quiet) {
		table_print(t, stdout);
	}
	table_free(t);
	return 0;
}

/* Runs `ps ARGS` and prints the header and the lines of the given pids. */
static int ps_table(char **ps_args, const pid_t *pids, size_t n, struct err *e)
{
	_cleanup_strv_ char **argv = NULL;
	strv_push(&argv, "ps");
	if (!ps_args || !ps_args[0])
		strv_push(&argv, "-ef");
	for (size_t i = 0; ps_args && ps_args[i]; i++)
		strv_push(&argv, ps_args[i]);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_sys(e, "pipe");
	pid_t child = fork();
	if (child == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execvp("ps", argv);
		_exit(127);
	}
	close(fds[1]);
	_cleanup_fclose_ FILE *f = fdopen(fds[0], "r");
	char line[4096];
	int col = -1;
	while (f && fgets(line, sizeof(line), f)) {
		_cleanup_strv_ char **fields = strv_split(line, " \t\n");
		if (col < 0) {
			for (size_t i = 0; fields[i]; i++)
				if (!strcmp(fields[i], "PID"))
					col = (int)i;
			fputs(line, stdout);
			continue;
		}
		if ((size_t)col >= strv_len(fields))
			continue;
		int p = atoi(fields[col]);
		for (size_t i = 0; i < n; i++)
			if (pids[i] == p)
				fputs(line, stdout);
	}
	int st;
	waitpid(child, &st, 0);
	if (col < 0)
		return err_set(e, ERR_INTERNAL, 0, "couldn't find PID field in ps output");
	return 0;
}

int cli_ps(struct cli *g, int argc, char **argv, struct err *e)
{
	struct info_ctx c = {.format = "table"};
	_cleanup_free_ char **args = NULL;
	int n = cli_cmd_args(cli_cmd_find("ps"), argc, argv, on_info, &c, &args, e);
	if (n < 0 || cli_need_args("ps", n, 1, -1, e) < 0)
		return -1;
	enum container_status st;
	_cleanup_state_ struct container_state *s = container_load(g->root, args[0], &st, e);
	if (!s)
		return -1;
	struct cgroup *cg = state_cgroup(s, e);
	if (!cg)
		return -1;
	_cleanup_free_ pid_t *pids = NULL;
	size_t np = 0;
	int r = cgroup_pids(cg, &pids, &np, e);
	cgroup_free(cg);
	if (r < 0)
		return -1;
	if (!strcmp(c.format, "json")) {
		printf("[");
		for (size_t i = 0; i < np; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		return 0;
	}
	return ps_table(args + 1, pids, np, e);
}

static void print_event(const char *type, const char *id, json_t *data)
{
	_cleanup_json_ json_t *ev = json_pack("{s:s, s:s}", "type", type, "id", id);
	if (data)
		json_object_set(ev, "data", data);
	_cleanup_free_ char *out = jx_dumps(ev);
	printf("%s\n", out);
	fflush(stdout);
}

static int events_loop(const char *root, const char *id, struct cgroup *cg, long interval_ms,
		       struct err *e)
{
	_cleanup_close_ int oom = cgroup_oom_fd(cg, e);
	uint64_t ooms = 0;
	cgroup_oom_count(cg, &ooms, e);
	struct timespec last = {0};
	for (;;) {
		enum container_status st;
		struct err tmp = ERR_INIT;
		_cleanup_state_ struct container_state *s = container_load(root, id, &st, &tmp);
		if (!s || st == STATUS_STOPPED)
			return 0;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long since =
		    (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000;
		if (since >= interval_ms) {
			_cleanup_json_ json_t *stats = cgroup_stats(cg, &tmp);
			if (stats)
				print_event("stats", id, stats);
			last = now;
		}
		struct pollfd p = {.fd = oom, .events = POLLIN};
		if (poll(&p, oom >= 0 ? 1 : 0, 100) > 0) {
			uint64_t buf[64];
			if (read(oom, buf, sizeof(buf)) < 0 && errno != EAGAIN)
				oom = -1;
		}
		uint64_t now_ooms = ooms;
		if (cgroup_oom_count(cg, &now_ooms, &tmp) == 0 && now_ooms > ooms) {
			print_event("oom", id, NULL);
			ooms = now_ooms;
		}
	}
}

int cli_events(struct cli *g, int argc, char **argv, struct err *e)
{
	struct info_ctx c = {.interval_ms = 5000};
	_cleanup_free_ char **args = NULL;
	int n = cli_cmd_args(cli_cmd_find("events"), argc, argv, on_info, &c, &args, e);
	if (n < 0 || cli_need_args("events", n, 1, 1, e) < 0)
		return -1;
	enum container_status st;
	_cleanup_state_ struct container_state *s = container_load(g->root, args[0], &st, e);
	if (!s)
		return -1;
	if (st == STATUS_STOPPED)
		return err_conflict(e, "container with id %s is not running", args[0]);
	struct cgroup *cg = state_cgroup(s, e);
	if (!cg)
		return -1;
	int r = 0;
	if (c.stats) {
		_cleanup_json_ json_t *stats = cgroup_stats(cg, e);
		if (stats)
			print_event("stats", args[0], stats);
		else
			r = -1;
	} else {
		r = events_loop(g->root, args[0], cg, c.interval_ms, e);
	}
	cgroup_free(cg);
	return r;
}

int cli_spec(struct cli *g, int argc, char **argv, struct err *e)
{
	struct info_ctx c = {.bundle = "."};
	_cleanup_free_ char **args = NULL;
	if (cli_cmd_args(cli_cmd_find("spec"), argc, argv, on_info, &c, &args, e) < 0)
		return -1;
	_cleanup_free_ char *path = str_printf("%s/config.json", c.bundle);
	if (fs_exists(path))
		return err_conflict(e, "File %s exists. Remove it first", path);
	_cleanup_json_ json_t *j = spec_default_json(c.rootless);
	_cleanup_free_ char *text = spec_json_dumps(j);
	return fs_write_atomic(path, text, strlen(text), 0666 & ~0022, e);
}

int cli_checkpoint(struct cli *g, int argc, char **argv, struct err *e)
{
	return err_invalid(e, "checkpoint/restore is not supported: berth-runc has no CRIU "
			      "integration");
}
