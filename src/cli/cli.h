/* cli: the berth CLI, an Engine API client (docker's commands and flags) that starts the
 * daemon itself when none listens on the default socket. */
#ifndef BERTH_CLI_CLI_H
#define BERTH_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/http.h"
#include "cli/opts.h"
#include "util/err.h"

#define BERTH_CLI_VERSION   "0.1.0"
#define CLI_DEFAULT_SOCKET  "/run/berth/berth.sock"
#define CLI_DEFAULT_ROOT    "/var/lib/berth"
#define CLI_DEFAULT_RUN_DIR "/run/berth"

struct cli {
	char *sock;	 /* daemon socket path */
	bool is_default; /* no -H/BERTH_HOST/DOCKER_HOST: the daemon may be started */
	bool ready;	 /* connection checked (and daemon started if needed) */
	struct cli_http http;
};

/* `berth <command> ...` (argv[0] is "berth"); returns the exit status. */
int cli_main(int argc, char **argv);

/* The API connection, starting the daemon first when allowed and needed. */
struct cli_http *cli_api(struct cli *c, struct err *e);
/* Shorthands over cli_api + cli_http_json / cli_http_do. */
int cli_get(struct cli *c, const char *path, json_t **out, struct err *e);
int cli_post(struct cli *c, const char *path, const json_t *body, json_t **out, struct err *e);
int cli_do(struct cli *c, const char *method, const char *path, struct err *e);

/* --since/--until values: seconds, a duration before now (10m, 1h30m) or an RFC 3339
 * date, as the decimal seconds the API takes (malloc'd). */
char *cli_time_arg(const char *v);
/* docker's prune prompt: true when the user answers y. */
bool cli_confirm(const char *warning);

/* Prints e (prefix "berth: " for run/create as docker does) and returns status. */
int cli_report(const struct err *e, int status);

/* Starts `berth daemon` in the background on the default socket and waits until it
 * answers /_ping (cli/daemon_start.c). */
int cli_daemon_start(const char *sock, struct err *e);
/* The path of the binary `name` in this one's directory (berthd, berth-runc). */
char *cli_sibling_path(const char *name);

/* Parses a command's flags: 0 go on, otherwise *status is the exit status to return. */
int cli_parse(const struct cli_cmd_spec *spec, int argc, char **argv, char ***pos, int *status);

/* Attach (hijacked), hold a wait (cond), start when asked, pump the streams; the
 * container's exit status (run.c). */
int cli_run_attached(struct cli *c, const char *id, bool tty, bool in, const char *cond, bool start,
		     struct err *e);

typedef int (*cli_cmd_fn)(struct cli *c, int argc, char **argv);

/* Commands (argv[0] is the command's own name). */
int cmd_version(struct cli *c, int argc, char **argv);
int cmd_info(struct cli *c, int argc, char **argv);
int cmd_events(struct cli *c, int argc, char **argv);
int cmd_system(struct cli *c, int argc, char **argv);
int cmd_stats(struct cli *c, int argc, char **argv);
int cmd_ps(struct cli *c, int argc, char **argv);
int cmd_images(struct cli *c, int argc, char **argv);
int cmd_image(struct cli *c, int argc, char **argv);
int cmd_container(struct cli *c, int argc, char **argv);
int cmd_rmi(struct cli *c, int argc, char **argv);
int cmd_tag(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_save(struct cli *c, int argc, char **argv);
int cmd_load(struct cli *c, int argc, char **argv);
int cmd_history(struct cli *c, int argc, char **argv);
int cmd_create(struct cli *c, int argc, char **argv);
int cmd_run(struct cli *c, int argc, char **argv);
int cmd_start(struct cli *c, int argc, char **argv);
int cmd_exec(struct cli *c, int argc, char **argv);
int cmd_stop(struct cli *c, int argc, char **argv);
int cmd_restart(struct cli *c, int argc, char **argv);
int cmd_kill(struct cli *c, int argc, char **argv);
int cmd_rm(struct cli *c, int argc, char **argv);
int cmd_pause(struct cli *c, int argc, char **argv);
int cmd_unpause(struct cli *c, int argc, char **argv);
int cmd_rename(struct cli *c, int argc, char **argv);
int cmd_wait(struct cli *c, int argc, char **argv);
int cmd_logs(struct cli *c, int argc, char **argv);
int cmd_inspect(struct cli *c, int argc, char **argv);
int cmd_top(struct cli *c, int argc, char **argv);
int cmd_port(struct cli *c, int argc, char **argv);
int cmd_attach(struct cli *c, int argc, char **argv);
int cmd_diff(struct cli *c, int argc, char **argv);
int cmd_update(struct cli *c, int argc, char **argv);
int cmd_cp(struct cli *c, int argc, char **argv);

#endif
