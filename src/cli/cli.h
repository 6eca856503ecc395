/* cli: the berth CLI, an Engine API client (docker's commands and flags) that starts the
 * daemon itself when none listens on the default socket. */
#ifndef BERTH_CLI_CLI_H
#define BERTH_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

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
/* --filter k=v ... as the API's {"k":{"v":true}} ({} when none); cli_filters_query: that
 * percent-encoded, NULL when none. */
json_t *cli_filters_json(char **filters);
char *cli_filters_query(char **filters);
/* base with "?filters=..." when there are filters (malloc'd). */
char *cli_filters_path(const char *base, char **filters);
/* Makes one row of a list (fields the templates read) from one item of an API list. */
typedef json_t *(*cli_row_fn)(json_t *item, bool trunc);
json_t *cli_identity_row(json_t *item, bool trunc);
/* Rows through --format (NULL: def; "table ..." gets headers, a JSON object of titles);
 * the exit status (1 on a template error). */
int cli_print_rows(json_t *list, cli_row_fn row, bool trunc, const char *format, const char *def,
		   const char *headers);
/* "Total reclaimed space: 1.2MB" from a prune reply's SpaceReclaimed; returns 0. */
int cli_print_reclaimed(const json_t *reply);
/* A prune reply's names under key, after title when there are any (prune.c). */
void cli_print_deleted(const json_t *reply, const char *key, const char *title);
/* POST base with the filters, then its deleted names (and with space a blank line and the
 * space reclaimed), as docker's container/volume/network prune print; exit status. */
int cli_prune_post(struct cli *c, const char *base, char **filters, const char *key,
		   const char *title, bool space);
/* container prune and network prune: --filter and --force, the prompt (warning), then
 * cli_prune_post(base, key, title, space); exit status. */
struct cli_prune_kind {
	const char *name, *about, *warning;
	const char *base, *key, *title;
	bool space;
};
int cli_prune_main(struct cli *c, int argc, char **argv, const struct cli_prune_kind *k);

/* export's and save's archive (output.c): -o path, or stdout (NULL; refused on a terminal);
 * path is written as path.tmp-berth until cli_output_close renames it (ok) or removes it.
 * Errors are printed ("<prefix>open path: ..."); -1 then. */
struct cli_output {
	int fd;
	char *tmp;
	const char *path, *prefix;
};
int cli_output_open(struct cli_output *o, const char *path, const char *prefix);
int cli_output_close(struct cli_output *o, bool ok);

/* One request per name (requests.c): method on prefix + the name escaped + suffix, with body
 * POSTed when set; the name is printed on success, each error reported; exit status 1 when
 * any failed. */
struct cli_each {
	const char *method;
	const char *prefix, *suffix;
	const json_t *body;
	bool missing_ok;    /* a name not found is reported but leaves the status 0 (rm -f) */
	bool missing_quiet; /* a name not found is skipped without a word (network rm -f) */
	bool keep_going;    /* go on to the next name when no daemon answers too */
};
int cli_each_name(struct cli *c, char **names, const struct cli_each *x);
/* GET /containers/NAME/what (json, changes ...). */
int cli_get_container(struct cli *c, const char *name, const char *what, json_t **out,
		      struct err *e);
/* A new array of list's objects ordered by .Name as docker's CLI orders volumes and
 * networks (natural order: digit runs as numbers). */
json_t *cli_sort_by_name(json_t *list);
/* Flag values as JSON (args_json.c): a list as an array of strings, "k=v" items (sep '=';
 * ':' for --tmpfs) as an object ("k" alone: ""); and a Labels object as "k=v,k=v"
 * (malloc'd, "" when none). */
json_t *cli_json_strv(char **v);
json_t *cli_json_kv(char **items, char sep);
char *cli_labels_join(json_t *labels);
/* GET base with the filters, the array under key (NULL: the reply itself) ordered by name
 * and printed as cli_print_rows does (volume ls, network ls); exit status. */
int cli_list_by_name(struct cli *c, const char *base, char **filters, const char *key,
		     cli_row_fn row, bool trunc, const char *format, const char *def,
		     const char *headers);
/* docker's prune prompt: true when the user answers y. */
bool cli_confirm(const char *warning);

struct cli_pull_opts {
	bool quiet;	      /* errors only */
	bool all_tags;	      /* every tag of an untagged ref */
	const char *platform; /* os[/arch[/variant]] or NULL */
};
/* Pulls ref with its progress on out (the daemon's /images/create?fromImage=...). */
int cli_pull_image(struct cli *c, const char *ref, const struct cli_pull_opts *po, FILE *out,
		   struct err *e);

/* Prints e (prefix "berth: " for run/create as docker does) and returns status. */
int cli_report(const struct err *e, int status);

/* Starts `berth daemon` in the background on the default socket and waits until it
 * answers /_ping (cli/daemon_start.c). */
int cli_daemon_start(const char *sock, struct err *e);
/* The path of the binary `name` in this one's directory (berthd, berth-runc). */
char *cli_sibling_path(const char *name);

/* Parses a command's flags: 0 go on, otherwise *status is the exit status to return. */
int cli_parse(const struct cli_cmd_spec *spec, int argc, char **argv, char ***pos, int *status);

struct cli_attach_opts {
	bool tty, in;		 /* the container's Tty; relay our stdin */
	bool start;		 /* start it once attached (run, start -a) */
	bool sig_proxy;		 /* forward our signals (non-TTY only, as docker) */
	const char *cond;	 /* the held wait's condition: next-exit, removed, not-running */
	const char *detach_keys; /* --detach-keys, NULL for ctrl-p,ctrl-q */
};

/* Attach (hijacked), hold a wait (cond), start when asked, pump the streams; the
 * container's exit status (run.c). */
int cli_run_attached(struct cli *c, const char *id, const struct cli_attach_opts *o, struct err *e);

typedef int (*cli_cmd_fn)(struct cli *c, int argc, char **argv);

/* A command, or a management group (fn NULL, subs its commands). Aliases (docker's
 * "list", "remove") dispatch and complete but are not listed in help. */
struct cli_command {
	const char *name;
	cli_cmd_fn fn;
	const char *about;
	const struct cli_command *subs;
	bool alias;
};

/* The top-level table (cli/commands.c), ended by a NULL name. */
extern const struct cli_command CLI_COMMANDS[];
const struct cli_command *cli_command_find(const struct cli_command *table, const char *name);
void cli_group_usage(const struct cli_command *group, FILE *f);
/* `berth <group> <command> ...` (argv[0] is the group's name). */
int cli_group_main(const struct cli_command *group, struct cli *c, int argc, char **argv);
/* `berth --help`: the top-level usage. */
void cli_usage(FILE *f);

/* Set while the docs are generated (cli/docgen.c): cli_parse hands each command's spec
 * here and returns without running the command. */
extern void (*cli_spec_hook)(const struct cli_cmd_spec *spec);

/* Commands (argv[0] is the command's own name). */
int cmd_version(struct cli *c, int argc, char **argv);
int cmd_info(struct cli *c, int argc, char **argv);
int cmd_events(struct cli *c, int argc, char **argv);
int cmd_system_df(struct cli *c, int argc, char **argv);
int cmd_system_prune(struct cli *c, int argc, char **argv);
int cmd_system_check(struct cli *c, int argc, char **argv);
int cmd_stats(struct cli *c, int argc, char **argv);
int cmd_ps(struct cli *c, int argc, char **argv);
int cmd_images(struct cli *c, int argc, char **argv);
int cmd_image_prune(struct cli *c, int argc, char **argv);
int cmd_rmi(struct cli *c, int argc, char **argv);
int cmd_tag(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_save(struct cli *c, int argc, char **argv);
int cmd_load(struct cli *c, int argc, char **argv);
int cmd_history(struct cli *c, int argc, char **argv);
int cmd_build(struct cli *c, int argc, char **argv);
int cmd_pull(struct cli *c, int argc, char **argv);
int cmd_push(struct cli *c, int argc, char **argv);
int cmd_login(struct cli *c, int argc, char **argv);
int cmd_logout(struct cli *c, int argc, char **argv);
int cmd_create(struct cli *c, int argc, char **argv);
int cmd_run(struct cli *c, int argc, char **argv);
int cmd_start(struct cli *c, int argc, char **argv);
int cmd_exec(struct cli *c, int argc, char **argv);
int cmd_stop(struct cli *c, int argc, char **argv);
int cmd_restart(struct cli *c, int argc, char **argv);
int cmd_kill(struct cli *c, int argc, char **argv);
int cmd_rm(struct cli *c, int argc, char **argv);
int cmd_container_prune(struct cli *c, int argc, char **argv);
int cmd_pause(struct cli *c, int argc, char **argv);
int cmd_unpause(struct cli *c, int argc, char **argv);
int cmd_rename(struct cli *c, int argc, char **argv);
int cmd_wait(struct cli *c, int argc, char **argv);
int cmd_logs(struct cli *c, int argc, char **argv);
int cmd_inspect(struct cli *c, int argc, char **argv);
int cmd_container_inspect(struct cli *c, int argc, char **argv);
int cmd_image_inspect(struct cli *c, int argc, char **argv);
int cmd_volume_inspect(struct cli *c, int argc, char **argv);
int cmd_network_inspect(struct cli *c, int argc, char **argv);
int cmd_top(struct cli *c, int argc, char **argv);
int cmd_port(struct cli *c, int argc, char **argv);
int cmd_attach(struct cli *c, int argc, char **argv);
int cmd_diff(struct cli *c, int argc, char **argv);
int cmd_update(struct cli *c, int argc, char **argv);
int cmd_cp(struct cli *c, int argc, char **argv);
int cmd_commit(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_volume_create(struct cli *c, int argc, char **argv);
int cmd_volume_ls(struct cli *c, int argc, char **argv);
int cmd_volume_rm(struct cli *c, int argc, char **argv);
int cmd_volume_prune(struct cli *c, int argc, char **argv);
int cmd_network_create(struct cli *c, int argc, char **argv);
int cmd_network_ls(struct cli *c, int argc, char **argv);
int cmd_network_rm(struct cli *c, int argc, char **argv);
int cmd_network_connect(struct cli *c, int argc, char **argv);
int cmd_network_disconnect(struct cli *c, int argc, char **argv);
int cmd_network_prune(struct cli *c, int argc, char **argv);
int cmd_help(struct cli *c, int argc, char **argv);
int cmd_completion(struct cli *c, int argc, char **argv);

#endif
