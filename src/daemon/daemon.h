/* daemon: `berth daemon` / `berthd`: options and config file, then the engine and the API
 * server, until SIGTERM or SIGINT. */
#ifndef BERTH_DAEMON_DAEMON_H
#define BERTH_DAEMON_DAEMON_H

#include <stdbool.h>

#include "util/err.h"

struct daemon_opts {
	char **hosts; /* "unix:///path", NULL-terminated */
	char *root, *run_dir, *pidfile, *group, *config_file, *log_level;
	char *bridge, *bip; /* default network's host bridge and its gateway/prefix */
	char *userns_remap; /* --userns-remap: default, USER[:GROUP], UID[:GID] */
	char **insecure_registries;
	char **registry_mirrors;
	bool debug;
	/* TLS of tcp:// hosts (tls_opts.c); the files default to
	 * $DOCKER_CERT_PATH/{ca,cert,key}.pem */
	char *tlscacert, *tlscert, *tlskey;
	bool tls, tlsverify, tls_set, tlsverify_set;
	bool tcp; /* a tcp:// host is there */
};

/* Flags first, then the config file fills what the flags left unset. 1 when --help or
 * --version was handled (exit 0), -1 on bad usage. */
int daemon_parse_opts(int argc, char **argv, struct daemon_opts *o, struct err *e);
void daemon_opts_release(struct daemon_opts *o);

int daemon_main(int argc, char **argv);

struct json_t;
/* --tls[=BOOL] 'T', --tlsverify[=BOOL] 'V', --tlscacert 'A', --tlscert 'C', --tlskey 'K'. */
int daemon_tls_flag(struct daemon_opts *o, int c, const char *arg, struct err *e);
/* A config key of TLS: 1 when taken (flags win), 0 when not one, -1 on a bad value. */
int daemon_tls_config(struct daemon_opts *o, const char *key, const struct json_t *v,
		      struct err *e);
/* After flags and config: DOCKER_TLS_VERIFY, the default files, HOST:PORT as tcp://, and
 * a TCP host refused unless client certificates are verified. */
int daemon_tls_finish(struct daemon_opts *o, struct err *e);

struct engine_userns;
/* --userns-remap: resolves the mappings and makes <root>/<uid>.<gid> (*root, malloc'd).
 * 1 when remapping is on, 0 when off, -1 on error. (remap.c) */
int daemon_remap_setup(const struct daemon_opts *o, struct engine_userns *u, char **root,
		       struct err *e);

#endif
