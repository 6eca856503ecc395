/* cli: global flags, the daemon address, dispatch and help of the berth CLI. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/str.h"

struct command {
	const char *name;
	cli_cmd_fn fn;
	const char *about;
};

static const struct command COMMANDS[] = {
    {"run", cmd_run, "Create and run a new container from an image"},
    {"exec", cmd_exec, "Execute a command in a running container"},
    {"ps", cmd_ps, "List containers"},
    {"images", cmd_images, "List images"},
    {"import", cmd_import, "Import the contents from a tarball to create a filesystem image"},
    {"info", cmd_info, "Display system-wide information"},
    {"version", cmd_version, "Show the berth version information"},
    {"create", cmd_create, "Create a new container"},
    {"start", cmd_start, "Start one or more stopped containers"},
    {"stop", cmd_stop, "Stop one or more running containers"},
    {"restart", cmd_restart, "Restart one or more containers"},
    {"kill", cmd_kill, "Kill one or more running containers"},
    {"rm", cmd_rm, "Remove one or more containers"},
    {"pause", cmd_pause, "Pause all processes within one or more containers"},
    {"unpause", cmd_unpause, "Unpause all processes within one or more containers"},
    {"rename", cmd_rename, "Rename a container"},
    {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
    {"logs", cmd_logs, "Fetch the logs of a container"},
    {"inspect", cmd_inspect, "Return low-level information on berth objects"},
    {"top", cmd_top, "Display the running processes of a container"},
    {"port", cmd_port, "List port mappings or a specific mapping for the container"},
    {"stats", cmd_stats, "Display a live stream of container(s) resource usage statistics"},
    {"events", cmd_events, "Get real time events from the server"},
    {"container", cmd_container, "Manage containers"},
    {"image", cmd_image, "Manage images"},
    {"system", cmd_system, "Manage berth"},
    {"attach", cmd_attach,
     "Attach local standard input, output, and error streams to a running "
     "container"},
    {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
    {"update", cmd_update, "Update configuration of one or more containers"},
    {"cp", cmd_cp, "Copy files between a container and a tar stream"},
    {"rmi", cmd_rmi, "Remove one or more images"},
    {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
    {"history", cmd_history, "Show the history of an image"},
    {"save", cmd_save, "Save one or more images to a tar archive (streamed to STDOUT by default)"},
    {"load", cmd_load, "Load an image from a tar archive or STDIN"},
};

static void usage(FILE *f)
{
	fprintf(f, "\nUsage:  berth [OPTIONS] COMMAND\n\n"
		   "A container engine: Docker-compatible daemon, CLI and OCI runtime\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(COMMANDS); i++)
		fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].about);
	fprintf(f, "  %-10s %s\n  %-10s %s\n", "daemon",
		"Run the daemon (berthd) in the foreground", "runtime",
		"The OCI runtime (berth-runc, runc's command line)");
	fprintf(f,
		"\nGlobal Options:\n"
		"  -H, --host string   Daemon socket to connect to (unix://PATH; also\n"
		"                      BERTH_HOST, DOCKER_HOST; default unix://" CLI_DEFAULT_SOCKET
		")\n"
		"  -h, --help          Print usage\n"
		"  -v, --version       Print version information and quit\n"
		"\nRun 'berth COMMAND --help' for more information on a command.\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(COMMANDS); i++)
		if (!strcmp(COMMANDS[i].name, name))
			return &COMMANDS[i];
	return NULL;
}

int cli_report(const struct err *e, int status)
{
	fprintf(stderr, "%s%s\n", status >= 125 ? "berth: " : "", e->msg);
	return status;
}

int cli_parse(const struct cli_cmd_spec *spec, int argc, char **argv, char ***pos, int *status)
{
	struct err e = ERR_INIT;
	int r = cli_opts_parse(spec, argc, argv, pos, &e);
	if (r == 0)
		return 0;
	*status = 0;
	if (r < 0) {
		bool count = e.msg[0] == '"';
		fprintf(stderr, "%s%s\nSee 'berth %s --help'.\n", count ? "" : "berth: ", e.msg,
			spec->name);
		if (count)
			cli_opts_usage(spec, stderr);
		*status = count ? 1 : 125;
	}
	return -1;
}

/* -H / BERTH_HOST / DOCKER_HOST, else the default socket (BERTH_DEFAULT_SOCKET for tests). */
static int set_host(struct cli *c, const char *h, struct err *e)
{
	if (!h || !*h) {
		const char *d = getenv("BERTH_DEFAULT_SOCKET");
		c->sock = str_dup(d && *d ? d : CLI_DEFAULT_SOCKET);
		c->is_default = true;
		return 0;
	}
	if (!str_has_prefix(h, "unix://"))
		return err_invalid(e, "unsupported daemon address %s: only unix:// sockets", h);
	c->sock = str_dup(h + 7);
	return 0;
}

static bool socket_listens(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		return false;
	strcpy(a.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
}

struct cli_http *cli_api(struct cli *c, struct err *e)
{
	if (c->ready)
		return &c->http;
	if (c->is_default && !socket_listens(c->sock) && cli_daemon_start(c->sock, e) < 0)
		return NULL;
	if (cli_http_init(&c->http, c->sock, e) < 0)
		return NULL;
	c->ready = true;
	return &c->http;
}

int cli_get(struct cli *c, const char *path, json_t **out, struct err *e)
{
	struct cli_http *h = cli_api(c, e);
	return h ? cli_http_json(h, "GET", path, NULL, out, e) : -1;
}

int cli_post(struct cli *c, const char *path, const json_t *body, json_t **out, struct err *e)
{
	struct cli_http *h = cli_api(c, e);
	return h ? cli_http_json(h, "POST", path, body, out, e) : -1;
}

int cli_do(struct cli *c, const char *method, const char *path, struct err *e)
{
	struct cli_http *h = cli_api(c, e);
	return h ? cli_http_do(h, method, path, NULL, NULL, e) : -1;
}

static int help(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = argc > 1 ? find(argv[1]) : NULL;
	if (argc > 1 && !cmd) {
		fprintf(stderr, "berth: unknown help topic: %s\n", argv[1]);
		return 1;
	}
	if (!cmd) {
		usage(stdout);
		return 0;
	}
	char *args[] = {argv[1], "--help", NULL};
	return cmd->fn(c, 2, args);
}

int cli_main(int argc, char **argv)
{
	struct cli c = {0};
	struct err e = ERR_INIT;
	const char *host = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "-H") || !strcmp(a, "--host")) && i + 1 < argc)
			host = argv[++i];
		else if (str_has_prefix(a, "--host="))
			host = a + 7;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--version")) {
			printf("berth version " BERTH_CLI_VERSION "\n");
			return 0;
		} else if (!strcmp(a, "-D") || !strcmp(a, "--debug"))
			;
		else {
			fprintf(stderr, "unknown flag: %s\nSee 'berth --help'.\n", a);
			return 125;
		}
	}
	if (i >= argc) {
		usage(stdout);
		return 0;
	}
	if (!host)
		host = getenv("BERTH_HOST");
	if (!host || !*host)
		host = getenv("DOCKER_HOST");
	if (set_host(&c, host, &e) < 0)
		return cli_report(&e, 1);
	int rc;
	const struct command *cmd = find(argv[i]);
	if (!strcmp(argv[i], "help"))
		rc = help(&c, argc - i, argv + i);
	else if (cmd)
		rc = cmd->fn(&c, argc - i, argv + i);
	else {
		fprintf(stderr, "berth: '%s' is not a berth command.\n", argv[i]);
		usage(stderr);
		rc = 1;
	}
	if (c.ready)
		cli_http_release(&c.http);
	free(c.sock);
	return rc;
}
