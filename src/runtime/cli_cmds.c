/* cli_cmds: the command table and the lifecycle commands (create, run, start, state, kill,
 * delete, pause, resume). */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cli_cmd.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

enum {
	O_BUNDLE,
	O_CONSOLE_SOCKET,
	O_PID_FILE,
	O_NO_PIVOT,
	O_NO_NEW_KEYRING,
	O_PRESERVE_FDS,
	O_DETACH,
	O_FORCE,
	O_ALL,
	O_KEEP,
	O_IGNORED,
	O_IGNORED_ARG,
};

static const struct cli_opt create_opts[] = {
    {"bundle", 'b', true, O_BUNDLE, "path to the root of the bundle directory"},
    {"console-socket", 0, true, O_CONSOLE_SOCKET,
     "path to an AF_UNIX socket which will receive the pty master"},
    {"pid-file", 0, true, O_PID_FILE, "specify the file to write the process id to"},
    {"no-pivot", 0, false, O_NO_PIVOT, "do not use pivot root to jail process inside rootfs"},
    {"no-new-keyring", 0, false, O_NO_NEW_KEYRING, "do not create a new session keyring"},
    {"preserve-fds", 0, true, O_PRESERVE_FDS,
     "pass N additional file descriptors to the container"},
    {"detach", 'd', false, O_DETACH, "detach from the container's process"},
    {"keep", 0, false, O_KEEP, "do not delete the container after it exits"},
    {"no-subreaper", 0, false, O_IGNORED, "disable the use of the subreaper"},
    {0},
};

struct lifecycle_ctx {
	struct container_opts o;
	bool force, all;
};

static int on_lifecycle(void *ctx, int id, const char *val, struct err *e)
{
	struct lifecycle_ctx *c = ctx;
	switch (id) {
	case O_BUNDLE:
		c->o.bundle = val;
		break;
	case O_CONSOLE_SOCKET:
		c->o.console_socket = val;
		break;
	case O_PID_FILE:
		c->o.pid_file = val;
		break;
	case O_NO_PIVOT:
		c->o.no_pivot = cli_opt_bool(val);
		break;
	case O_NO_NEW_KEYRING:
		c->o.no_new_keyring = cli_opt_bool(val);
		break;
	case O_PRESERVE_FDS:
		return str_to_int(val, &c->o.preserve_fds, "preserve-fds", e);
	case O_DETACH:
		c->o.detach = cli_opt_bool(val);
		break;
	case O_KEEP:
		c->o.keep = cli_opt_bool(val);
		break;
	case O_FORCE:
		c->force = cli_opt_bool(val);
		break;
	case O_ALL:
		c->all = cli_opt_bool(val);
		break;
	default:
		break;
	}
	return 0;
}

int cli_need_args(const char *cmd, int have, int min, int max, struct err *e)
{
	if (have < min)
		return err_invalid(e, "\"%s\" requires a minimum of %d argument%s", cmd, min,
				   min == 1 ? "" : "s");
	if (max >= 0 && have > max)
		return err_invalid(e, "\"%s\" requires a maximum of %d argument%s", cmd, max,
				   max == 1 ? "" : "s");
	return 0;
}

/* Parses the flags of a lifecycle command and checks for exactly one id. */
static int lifecycle_args(struct cli *g, const char *cmd, int argc, char **argv,
			  struct lifecycle_ctx *c, int max, char ***args, struct err *e)
{
	c->o.root = g->root;
	c->o.bundle = ".";
	c->o.systemd_cgroup = g->systemd_cgroup;
	int n = cli_cmd_args(cli_cmd_find(cmd), argc, argv, on_lifecycle, c, args, e);
	if (n < 0)
		return -1;
	if (cli_need_args(cmd, n, 1, max, e) < 0) {
		free(*args);
		return -1;
	}
	c->o.id = (*args)[0];
	return n;
}

int cli_create(struct cli *g, int argc, char **argv, struct err *e)
{
	struct lifecycle_ctx c = {0};
	_cleanup_free_ char **args = NULL;
	if (lifecycle_args(g, "create", argc, argv, &c, 1, &args, e) < 0)
		return -1;
	return container_create(&c.o, e);
}

int cli_run(struct cli *g, int argc, char **argv, struct err *e)
{
	struct lifecycle_ctx c = {0};
	_cleanup_free_ char **args = NULL;
	if (lifecycle_args(g, "run", argc, argv, &c, 1, &args, e) < 0)
		return -1;
	return container_run(&c.o, &g->exit_status, e);
}

int cli_start(struct cli *g, int argc, char **argv, struct err *e)
{
	struct lifecycle_ctx c = {0};
	_cleanup_free_ char **args = NULL;
	if (lifecycle_args(g, "start", argc, argv, &c, 1, &args, e) < 0)
		return -1;
	return container_start(g->root, c.o.id, e);
}

int cli_state(struct cli *g, int argc, char **argv, struct err *e)
{
	struct lifecycle_ctx c = {0};
	_cleanup_free_ char **args = NULL;
	if (lifecycle_args(g, "state", argc, argv, &c, 1, &args, e) < 0)
		return -1;
	enum container_status st;
	_cleanup_state_ struct container_state *s = container_load(g->root, c.o.id, &st, e);
	if (!s)
		return -1;
	_cleanup_json_ json_t *j = state_to_oci(s, st);
	char *out = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", out);
	free(out);
	return 0;
}

int cli_kill(struct cli *g, int argc, char **argv, struct err *e)
{
	struct lifecycle_ctx c = {0};
	_cleanup_free_ char **args = NULL;
	int n = lifecycle_args(g, "kill", argc, argv, &c, 2, &args, e);
	if (n < 0)
		return -1;
	int sig = SIGTERM;
	if (n == 2 && cli_parse_signal(args[1], &sig, e) < 0)
		return -1;
	return container_kill(g->root, c.o.id, sig, c.all, e);
}

int cli_delete(struct cli *g, int argc, char **argv, struct err *e)
{
	struct lifecycle_ctx c = {0};
	_cleanup_free_ char **args = NULL;
	int n = lifecycle_args(g, "delete", argc, argv, &c, -1, &args, e);
	if (n < 0)
		return -1;
	int r = 0;
	for (int i = 0; i < n; i++) {
		struct err one = ERR_INIT;
		if (container_delete(g->root, args[i], c.force, &one) < 0 &&
		    !(c.force && one.kind == ERR_NOT_FOUND)) {
			*e = one;
			r = -1;
		}
	}
	return r;
}

int cli_pause(struct cli *g, int argc, char **argv, struct err *e)
{
	struct lifecycle_ctx c = {0};
	_cleanup_free_ char **args = NULL;
	if (lifecycle_args(g, "pause", argc, argv, &c, 1, &args, e) < 0)
		return -1;
	return container_pause(g->root, c.o.id, true, e);
}

int cli_resume(struct cli *g, int argc, char **argv, struct err *e)
{
	struct lifecycle_ctx c = {0};
	_cleanup_free_ char **args = NULL;
	if (lifecycle_args(g, "resume", argc, argv, &c, 1, &args, e) < 0)
		return -1;
	return container_pause(g->root, c.o.id, false, e);
}

static const struct cli_opt kill_opts[] = {
    {"all", 'a', false, O_ALL, "send the specified signal to all processes inside the container"},
    {0},
};
static const struct cli_opt delete_opts[] = {
    {"force", 'f', false, O_FORCE,
     "Forcibly deletes the container if it is still running (uses SIGKILL)"},
    {0},
};
static const struct cli_opt no_opts[] = {{0}};
extern const struct cli_opt cli_exec_opts[], cli_list_opts[], cli_ps_opts[], cli_events_opts[],
    cli_update_opts[], cli_spec_opts[];

static const struct cli_cmd commands[] = {
    {"checkpoint", "checkpoint a running container", "<container-id>", no_opts, cli_checkpoint},
    {"create", "create a container", "<container-id>", create_opts, cli_create},
    {"delete", "delete any resources held by the container often used with detached container",
     "<container-id>", delete_opts, cli_delete},
    {"events",
     "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
     "<container-id>", cli_events_opts, cli_events},
    {"exec", "execute new process inside the container",
     "<container-id> <command> [command options]  || -p process.json <container-id>", cli_exec_opts,
     cli_exec, true},
    {"kill", "kill sends the specified signal (default: SIGTERM) to the container's init process",
     "<container-id> [signal]", kill_opts, cli_kill},
    {"list", "lists containers started by runc with the given root", "", cli_list_opts, cli_list},
    {"pause", "pause suspends all processes inside the container", "<container-id>", no_opts,
     cli_pause},
    {"ps", "ps displays the processes running inside a container", "<container-id> [ps options]",
     cli_ps_opts, cli_ps, true},
    {"restore", "restore a container from a previous checkpoint", "<container-id>", no_opts,
     cli_checkpoint},
    {"resume", "resumes all processes that have been previously paused", "<container-id>", no_opts,
     cli_resume},
    {"run", "create and run a container", "<container-id>", create_opts, cli_run},
    {"spec", "create a new specification file", "", cli_spec_opts, cli_spec},
    {"start", "executes the user defined process in a created container", "<container-id>", no_opts,
     cli_start},
    {"state", "output the state of a container", "<container-id>", no_opts, cli_state},
    {"update", "update container resource constraints", "<container-id>", cli_update_opts,
     cli_update},
    {"features", "show the enabled features", "", no_opts, cli_features},
    {0},
};

const struct cli_cmd *cli_cmd_list(void)
{
	return commands;
}

const struct cli_cmd *cli_cmd_find(const char *name)
{
	for (const struct cli_cmd *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int cli_cmd_args(const struct cli_cmd *c, int argc, char **argv, cli_opt_fn fn, void *ctx,
		 char ***args, struct err *e)
{
	return cli_opt_parse(argc, argv, c->opts, fn, ctx, !c->no_reorder, args, e);
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM},     {"BUS", SIGBUS},	     {"CHLD", SIGCHLD},
    {"CONT", SIGCONT}, {"FPE", SIGFPE},	      {"HUP", SIGHUP},	     {"ILL", SIGILL},
    {"INT", SIGINT},   {"IO", SIGIO},	      {"IOT", SIGIOT},	     {"KILL", SIGKILL},
    {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},     {"PROF", SIGPROF},     {"PWR", SIGPWR},
    {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT}, {"STOP", SIGSTOP},
    {"SYS", SIGSYS},   {"TERM", SIGTERM},     {"TRAP", SIGTRAP},     {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},	     {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},
};

int cli_parse_signal(const char *s, int *sig, struct err *e)
{
	if (isdigit((unsigned char)s[0])) {
		/* 0 is allowed: it checks that the processes exist. */
		if (str_to_int(s, sig, "signal", e) < 0 || *sig < 0 || *sig >= NSIG)
			return err_invalid(e, "unknown signal \"%s\"", s);
		return 0;
	}
	char up[32];
	size_t i = 0;
	for (; s[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)s[i]);
	up[i] = '\0';
	const char *name = str_has_prefix(up, "SIG") ? up + 3 : up;
	for (size_t k = 0; k < sizeof(signals) / sizeof(signals[0]); k++)
		if (!strcmp(signals[k].name, name)) {
			*sig = signals[k].sig;
			return 0;
		}
	if (!strncmp(name, "RTMIN", 5) || !strncmp(name, "RTMAX", 5)) {
		int off = 0;
		if (name[5] && str_to_int(name + 5, &off, "signal", e) < 0)
			return err_invalid(e, "unknown signal \"%s\"", s);
		*sig = (name[3] == 'I' ? SIGRTMIN : SIGRTMAX) + off;
		return 0;
	}
	return err_invalid(e, "unknown signal \"%s\"", s);
}

int cli_parse_bytes(const char *s, int64_t *out, struct err *e)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return err_invalid(e, "invalid size: '%s'", s);
	int64_t mult = 1;
	switch (tolower((unsigned char)*end)) {
	case 'k':
		mult = 1LL << 10;
		break;
	case 'm':
		mult = 1LL << 20;
		break;
	case 'g':
		mult = 1LL << 30;
		break;
	case 't':
		mult = 1LL << 40;
		break;
	case 'p':
		mult = 1LL << 50;
		break;
	case 'b':
	case '\0':
		break;
	default:
		return err_invalid(e, "invalid size: '%s'", s);
	}
	if (*end && tolower((unsigned char)*end) != 'b') {
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
	} else if (*end) {
		end++;
	}
	if (*end)
		return err_invalid(e, "invalid size: '%s'", s);
	*out = (int64_t)(v * (double)mult);
	return 0;
}
