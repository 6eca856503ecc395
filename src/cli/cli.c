/* cli: global flags, the daemon address, dispatch and help of the berth CLI. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/docgen.h"
#include "cli/progress.h"
#include "util/cleanup.h"
#include "util/str.h"

void (*cli_spec_hook)(const struct cli_cmd_spec *spec);

void cli_usage(FILE *f)
{
	fprintf(f, "\nUsage:  berth [OPTIONS] COMMAND\n\n"
		   "A container engine: Docker-compatible daemon, CLI and OCI runtime\n\n"
		   "Management Commands:\n");
	for (const struct cli_command *c = CLI_COMMANDS; c->name; c++)
		if (c->subs)
			fprintf(f, "  %-11s %s\n", c->name, c->about);
	fprintf(f, "\nCommands:\n");
	for (const struct cli_command *c = CLI_COMMANDS; c->name; c++)
		if (!c->subs && !c->alias)
			fprintf(f, "  %-11s %s\n", c->name, c->about);
	fprintf(f, "  %-11s %s\n  %-11s %s\n", "daemon",
		"Run the daemon (berthd) in the foreground", "runtime",
		"The OCI runtime (berth-runc, runc's command line)");
	fprintf(f,
		"\nGlobal Options:\n"
		"  -H, --host string   Daemon socket to connect to (unix://PATH; also\n"
		"                      BERTH_HOST, DOCKER_HOST; default unix://" CLI_DEFAULT_SOCKET
		")\n"
		"  -h, --help          Print usage\n"
		"  -v, --version       Print version information and quit\n"
		"\nRun 'berth COMMAND --help' (or 'berth help COMMAND') for more information on a "
		"command.\n");
}

int cli_report(const struct err *e, int status)
{
	bool color = progress_color(stderr);
	fprintf(stderr, "%s%s%s%s\n", color ? "\033[31m" : "", status >= 125 ? "berth: " : "",
		e->msg, color ? "\033[0m" : "");
	return status;
}

int cli_parse(const struct cli_cmd_spec *spec, int argc, char **argv, char ***pos, int *status)
{
	struct err e = ERR_INIT;
	if (cli_spec_hook) {
		cli_spec_hook(spec);
		*pos = NULL;
		*status = 0;
		return -1;
	}
	int r = cli_opts_parse(spec, argc, argv, pos, &e);
	if (r == 0)
		return 0;
	*status = 0;
	if (r < 0) {
		/* docker's: the error, the usage line, where to read more; a wrong count is 1,
		 * a bad flag 125 */
		bool count = e.msg[0] == '\'';
		fprintf(stderr,
			"%s%s\n\nUsage:  berth %s %s\n\nRun 'berth %s --help' for more "
			"information\n",
			count ? "berth: " : "", e.msg, spec->name, spec->usage, spec->name);
		*status = count ? 1 : 125;
	}
	return -1;
}

/* The CLI stays a small static binary without a TLS library: remote daemons are the docker
 * CLI's (the API is the same). */
#define CLI_TLS_HINT                                                                             \
	"the berth CLI speaks to unix:// sockets only; for a tcp:// daemon with TLS use the "    \
	"docker CLI: docker --tlsverify --tlscacert ca.pem --tlscert cert.pem --tlskey key.pem " \
	"-H tcp://HOST:PORT ..."

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
		return err_invalid(e, "%s: %s", h, CLI_TLS_HINT);
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
	/* BERTH_NO_AUTOSTART: completion scripts ask for names, they must not start a daemon */
	if (c->is_default && !getenv("BERTH_NO_AUTOSTART") && !socket_listens(c->sock) &&
	    cli_daemon_start(c->sock, e) < 0)
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

/* `berth help [GROUP] [COMMAND]`: the command's --help text (the man page's source too). */
int cmd_help(struct cli *c, int argc, char **argv)
{
	bool man = false;
	const struct cli_opt opts[] = {
	    {0, "man", OPT_BOOL, &man, "Print the manual page berth(1) (roff) made from this help"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "help", "[COMMAND [SUBCOMMAND]]", "Help about any command", 0, 2, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (man)
		return cli_doc_man(stdout);
	char *topic = pos[0], *subtopic = topic ? pos[1] : NULL;
	const struct cli_command *cmd = topic ? cli_command_find(CLI_COMMANDS, topic) : NULL;
	if (topic && !cmd) {
		fprintf(stderr, "berth: unknown help topic: %s\nSee 'berth --help'.\n", topic);
		return 1;
	}
	if (!cmd) {
		cli_usage(stdout);
		return 0;
	}
	if (cmd->subs && subtopic) {
		const struct cli_command *sub = cli_command_find(cmd->subs, subtopic);
		if (!sub) {
			fprintf(stderr, "berth: unknown help topic: %s %s\n", topic, subtopic);
			return 1;
		}
		char *args[] = {subtopic, "--help", NULL};
		return sub->fn(c, 2, args);
	}
	if (cmd->subs) {
		cli_group_usage(cmd, stdout);
		return 0;
	}
	char *args[] = {topic, "--help", NULL};
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
			cli_usage(stdout);
			return 0;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--version")) {
			printf("berth version " BERTH_CLI_VERSION "\n");
			return 0;
		} else if (!strcmp(a, "-D") || !strcmp(a, "--debug"))
			;
		else if (str_has_prefix(a, "--tls")) {
			fprintf(stderr, "berth: %s: %s\n", a, CLI_TLS_HINT);
			return 125;
		} else {
			fprintf(stderr, "unknown flag: %s\nSee 'berth --help'.\n", a);
			return 125;
		}
	}
	if (i >= argc) {
		cli_usage(stdout);
		return 0;
	}
	if (!host)
		host = getenv("BERTH_HOST");
	if (!host || !*host)
		host = getenv("DOCKER_HOST");
	if (set_host(&c, host, &e) < 0)
		return cli_report(&e, 1);
	int rc;
	const struct cli_command *cmd = cli_command_find(CLI_COMMANDS, argv[i]);
	if (cmd && cmd->subs)
		rc = cli_group_main(cmd, &c, argc - i, argv + i);
	else if (cmd)
		rc = cmd->fn(&c, argc - i, argv + i);
	else {
		fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth --help'\n",
			argv[i]);
		rc = 1;
	}
	if (c.ready)
		cli_http_release(&c.http);
	free(c.sock);
	return rc;
}
