/* cli_cmd: the runc-compatible commands, one handler each, sharing the global flags. */
#ifndef BERTH_RUNTIME_CLI_CMD_H
#define BERTH_RUNTIME_CLI_CMD_H

#include <stdbool.h>

#include "runtime/cli_opt.h"
#include "util/err.h"

struct cli {
	const char *prog; /* the name we were called by, for help and messages */
	const char *root;
	const char *log, *log_format;
	bool debug, systemd_cgroup, rootless_set;
	int exit_status;  /* set by run/exec: the container's exit status */
	int error_status; /* exit status on error: 1, or 255 for exec as runc */
};

struct cli_cmd {
	const char *name;
	const char *summary;
	const char *usage; /* arguments after [command options] */
	const struct cli_opt *opts;
	int (*fn)(struct cli *g, int argc, char **argv, struct err *e);
	bool no_reorder; /* options only before arguments (ps, exec pass the rest on) */
};

const struct cli_cmd *cli_cmd_find(const char *name);
const struct cli_cmd *cli_cmd_list(void);
void cli_cmd_help(const struct cli *g, const struct cli_cmd *c);

/* Parses the command's options into fn's context; returns the arguments count. */
int cli_cmd_args(const struct cli_cmd *c, int argc, char **argv, cli_opt_fn fn, void *ctx,
		 char ***args, struct err *e);
/* Exactly n arguments ("<container-id>") or an error naming the command. */
int cli_need_args(const char *cmd, int have, int min, int max, struct err *e);
int cli_parse_signal(const char *s, int *sig, struct err *e);
/* "10M", "1g", "512" -> bytes (base 1024, as docker/go-units RAMInBytes). */
int cli_parse_bytes(const char *s, int64_t *out, struct err *e);

int cli_create(struct cli *g, int argc, char **argv, struct err *e);
int cli_run(struct cli *g, int argc, char **argv, struct err *e);
int cli_start(struct cli *g, int argc, char **argv, struct err *e);
int cli_state(struct cli *g, int argc, char **argv, struct err *e);
int cli_kill(struct cli *g, int argc, char **argv, struct err *e);
int cli_delete(struct cli *g, int argc, char **argv, struct err *e);
int cli_pause(struct cli *g, int argc, char **argv, struct err *e);
int cli_resume(struct cli *g, int argc, char **argv, struct err *e);
int cli_exec(struct cli *g, int argc, char **argv, struct err *e);
int cli_list(struct cli *g, int argc, char **argv, struct err *e);
int cli_ps(struct cli *g, int argc, char **argv, struct err *e);
int cli_events(struct cli *g, int argc, char **argv, struct err *e);
int cli_update(struct cli *g, int argc, char **argv, struct err *e);
int cli_spec(struct cli *g, int argc, char **argv, struct err *e);
int cli_features(struct cli *g, int argc, char **argv, struct err *e);
int cli_checkpoint(struct cli *g, int argc, char **argv, struct err *e);

#endif
