/* cli: runc's global flags, help and version, and dispatch to a command. */
#include "runtime/cli.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cli_cmd.h"
#include "util/log.h"

#define BERTH_VERSION "0.1.0"
#ifndef BERTH_COMMIT
#define BERTH_COMMIT "unknown"
#endif

enum { G_ROOT, G_LOG, G_LOG_FORMAT, G_DEBUG, G_SYSTEMD, G_ROOTLESS, G_CRIU, G_HELP, G_VERSION };

static const struct cli_opt global_opts[] = {
    {"debug", 0, false, G_DEBUG, "enable debug logging"},
    {"log", 0, true, G_LOG, "set the log file to write runc logs to (default is '/dev/stderr')"},
    {"log-format", 0, true, G_LOG_FORMAT, "set the log format ('text' (default), or 'json')"},
    {"root", 0, true, G_ROOT,
     "root directory for storage of container state (default \"/run/berth-runc\")"},
    {"criu", 0, true, G_CRIU, "accepted for compatibility; checkpoint/restore is not supported"},
    {"systemd-cgroup", 0, false, G_SYSTEMD, "enable systemd cgroup support"},
    {"rootless", 0, true, G_ROOTLESS,
     "ignore cgroup permission errors ('true', 'false', or 'auto')"},
    {"help", 'h', false, G_HELP, "show help"},
    {"version", 'v', false, G_VERSION, "print the version"},
    {0},
};

struct gctx {
	struct cli *g;
	bool help, version;
};

static int on_global(void *ctx, int id, const char *val, struct err *e)
{
	struct gctx *c = ctx;
	switch (id) {
	case G_ROOT:
		c->g->root = val;
		break;
	case G_LOG:
		c->g->log = val;
		break;
	case G_LOG_FORMAT:
		c->g->log_format = val;
		break;
	case G_DEBUG:
		c->g->debug = cli_opt_bool(val);
		break;
	case G_SYSTEMD:
		c->g->systemd_cgroup = cli_opt_bool(val);
		break;
	case G_HELP:
		c->help = true;
		break;
	case G_VERSION:
		c->version = true;
		break;
	default:
		break;
	}
	return 0;
}

static void print_opts(const struct cli_opt *opts)
{
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		char names[64];
		if (o->short_name)
			snprintf(names, sizeof(names), "--%s%s, -%c%s", o->name,
				 o->has_arg ? " value" : "", o->short_name,
				 o->has_arg ? " value" : "");
		else
			snprintf(names, sizeof(names), "--%s%s", o->name,
				 o->has_arg ? " value" : "");
		printf("   %-28s %s\n", names, o->help ? o->help : "");
	}
}

static void main_help(const struct cli *g)
{
	printf("NAME:\n   %s - Open Container Initiative runtime\n\n", g->prog);
	printf("%s is a command line client for running applications packaged according to\n"
	       "the Open Container Initiative (OCI) format; it is berth's runtime and a drop-in\n"
	       "for runc.\n\n",
	       g->prog);
	printf("USAGE:\n   %s [global options] command [command options] [arguments...]\n\n",
	       g->prog);
	printf("VERSION:\n   %s\ncommit: %s\nspec: 1.0.2-dev\n\nCOMMANDS:\n", BERTH_VERSION,
	       BERTH_COMMIT);
	for (const struct cli_cmd *c = cli_cmd_list(); c->name; c++)
		printf("   %-11s %s\n", c->name, c->summary);
	printf("\nGLOBAL OPTIONS:\n");
	print_opts(global_opts);
}

void cli_cmd_help(const struct cli *g, const struct cli_cmd *c)
{
	printf("NAME:\n   %s %s - %s\n\nUSAGE:\n   %s %s [command options] %s\n", g->prog, c->name,
	       c->summary, g->prog, c->name, c->usage);
	if (c->opts && c->opts[0].name) {
		printf("\nOPTIONS:\n");
		print_opts(c->opts);
	}
}

static int report(const struct cli *g, const struct err *e)
{
	if (g->log)
		log_error("%s", e->msg);
	fprintf(stderr, "%s: %s\n", g->prog, e->msg);
	return g->error_status ? g->error_status : 1;
}

static int dispatch(struct cli *g, int argc, char **argv, struct err *e)
{
	const struct cli_cmd *c = cli_cmd_find(argv[0]);
	if (!c) {
		fprintf(stderr, "No help topic for '%s'\n", argv[0]);
		return 3;
	}
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cli_cmd_help(g, c);
			return 0;
		}
		if (!strcmp(argv[i], "--"))
			break;
	}
	if (c->fn(g, argc - 1, argv + 1, e) < 0)
		return report(g, e);
	return g->exit_status;
}

int runtime_cli_main(int argc, char **argv)
{
	struct cli g = {.prog = "berth-runc", .root = "/run/berth-runc"};
	struct gctx ctx = {.g = &g};
	struct err e = ERR_INIT;
	char **args = NULL;
	int n = cli_opt_parse(argc - 1, argv + 1, global_opts, on_global, &ctx, false, &args, &e);
	if (n < 0)
		return report(&g, &e);
	enum log_format fmt = LOG_TEXT;
	if (g.log_format && log_parse_format(g.log_format, &fmt) < 0) {
		err_invalid(&e, "invalid log-format: %s", g.log_format);
		free(args);
		return report(&g, &e);
	}
	if (log_init(g.log, fmt, g.debug ? LOG_DEBUG : LOG_WARN, &e) < 0) {
		free(args);
		return report(&g, &e);
	}
	int r = 0;
	if (ctx.version) {
		printf("%s version %s\ncommit: %s\nspec: 1.0.2-dev\n", g.prog, BERTH_VERSION,
		       BERTH_COMMIT);
	} else if (n == 0 || ctx.help) {
		main_help(&g);
	} else if (!strcmp(args[0], "help")) {
		const struct cli_cmd *c = n > 1 ? cli_cmd_find(args[1]) : NULL;
		if (n > 1 && !c) {
			fprintf(stderr, "No help topic for '%s'\n", args[1]);
			r = 3;
		} else if (c) {
			cli_cmd_help(&g, c);
		} else {
			main_help(&g);
		}
	} else {
		r = dispatch(&g, n, args, &e);
	}
	free(args);
	return r;
}
