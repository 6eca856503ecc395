/* cli/run_opts: `berth create`/`run` flags (docker's names) and the create body they make:
 * docker's flags, the common ones here, the rest table-driven in run_extra.c. */
#ifndef BERTH_CLI_RUN_OPTS_H
#define BERTH_CLI_RUN_OPTS_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/opts.h"
#include "util/err.h"

#define RUN_XMAX 64

struct run_opts {
	bool detach, interactive, tty, rm, privileged, read_only, init, sig_proxy;
	const char *name, *workdir, *user, *entrypoint, *memory, *cpus, *restart, *hostname;
	const char *network, *platform, *pull, *detach_keys, *stop_signal, *stop_timeout, *cidfile;
	bool quiet;
	char **env, **volumes, **publish, **labels, **cap_add, **cap_drop, **tmpfs, **attach;
	char **expose, **dns, **add_host, **env_file;
	const char *image;
	char **cmd; /* pointers into argv (not owned) */
	/* the table-driven flags of run_extra.c, by their index there */
	const char *xstr[RUN_XMAX];
	char **xlist[RUN_XMAX];
	bool xbool[RUN_XMAX];
};

#define RUN_OPTS_MAX 128
/* Fills opts (RUN_OPTS_MAX entries) with the flags that write into r. */
void run_opts_table(struct run_opts *r, struct cli_opt *opts, bool run);
void run_opts_release(struct run_opts *r);

/* The create body (Config + HostConfig + NetworkingConfig) for r. */
json_t *run_opts_body(const struct run_opts *r, struct err *e);
/* docker's RAMInBytes: "512m", "1g", "1024" (binary units). */
int run_parse_memory(const char *s, long long *out, struct err *e);
/* One -p value into PortBindings/ExposedPorts entries. */
int run_parse_publish(const char *s, json_t *bindings, json_t *exposed, struct err *e);

/* -e values as the Env array (KEY alone: from our environment, dropped when unset). */
json_t *env_json(char **env);
/* --env-file files (KEY=VALUE or KEY lines, blank and # lines skipped) appended to out. */
int run_env_files(char **files, json_t *out, struct err *e);
/* run_extra.c: the table-driven flags into o (returns how many), their values into the
 * body (net: the container's network, for --ip/--network-alias), and their lists freed. */
size_t run_extra_table(struct run_opts *r, struct cli_opt *o);
int run_extra_apply(const struct run_opts *r, json_t *body, const char *net, struct err *e);
/* security_opt.c: seccomp=FILE replaced by the profile's JSON, as the docker CLI does. */
int run_security_opts(json_t *body, struct err *e);
void run_extra_release(struct run_opts *r);
/* Go's time.ParseDuration ("1m30s", "500ms") in nanoseconds. */
int run_parse_duration(const char *s, long long *out, struct err *e);
/* run_special.c: a flag with its own syntax (--mount, --device, --ulimit, --health-cmd,
 * --no-healthcheck, --ip, --network-alias). */
int run_extra_special(const char *flag, const char *s, char **list, bool b, json_t *body,
		      const char *net, struct err *e);

#endif
