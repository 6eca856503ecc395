/* cli/run_opts: `berth create`/`run` flags (docker's names) and the create body they make:
 * -e -v -p -w -u -m --cpus --restart --entrypoint --name -l -h --network --rm -i -t -d. */
#ifndef BERTH_CLI_RUN_OPTS_H
#define BERTH_CLI_RUN_OPTS_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/opts.h"
#include "util/err.h"

struct run_opts {
	bool detach, interactive, tty, rm, privileged, read_only, init, sig_proxy;
	const char *name, *workdir, *user, *entrypoint, *memory, *cpus, *restart, *hostname;
	const char *network, *platform, *pull, *detach_keys, *stop_signal, *stop_timeout;
	char **env, **volumes, **publish, **labels, **cap_add, **cap_drop, **tmpfs, **attach;
	char **expose, **dns, **add_host, **env_file;
	const char *image;
	char **cmd; /* pointers into argv (not owned) */
};

#define RUN_OPTS_MAX 48
/* Fills opts (RUN_OPTS_MAX entries) with the flags that write into r. */
void run_opts_table(struct run_opts *r, struct cli_opt *opts, bool run);
void run_opts_release(struct run_opts *r);

/* The create body (Config + HostConfig + NetworkingConfig) for r. */
json_t *run_opts_body(const struct run_opts *r, struct err *e);
/* docker's RAMInBytes: "512m", "1g", "1024" (binary units). */
int run_parse_memory(const char *s, long long *out, struct err *e);
/* One -p value into PortBindings/ExposedPorts entries. */
int run_parse_publish(const char *s, json_t *bindings, json_t *exposed, struct err *e);

#endif
