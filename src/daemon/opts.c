/* daemon/opts: command line and JSON config file (a subset of dockerd's daemon.json). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static const char usage_text[] =
    "Usage: berth daemon [OPTIONS]\n"
    "\n"
    "Serve the Docker Engine API.\n"
    "\n"
    "Options:\n"
    "  -H, --host unix://PATH   socket to listen on (repeatable; default\n"
    "                           unix://<run-dir>/berth.sock), or tcp://HOST:PORT\n"
    "                           (TLS with client certificates: needs --tlsverify)\n"
    "      --tlsverify          TLS on tcp:// hosts, clients need a certificate signed\n"
    "                           by --tlscacert (default $DOCKER_TLS_VERIFY)\n"
    "      --tls                TLS without client certificates (refused on TCP)\n"
    "      --tlscacert FILE     CA of the clients (default $DOCKER_CERT_PATH/ca.pem,\n"
    "                           DOCKER_CERT_PATH defaults to ~/.docker)\n"
    "      --tlscert FILE       the server's certificate (default .../cert.pem)\n"
    "      --tlskey FILE        its key (default .../key.pem)\n"
    "      --root DIR           persistent state (default " BERTH_DEFAULT_ROOT ")\n"
    "      --run-dir DIR        runtime state (default " BERTH_DEFAULT_RUN_DIR ")\n"
    "  -p, --pidfile FILE       pid file (default <run-dir>/berthd.pid)\n"
    "      --config-file FILE   JSON config: hosts, data-root, exec-root, pidfile,\n"
    "                           group, debug, log-level, tls, tlsverify, tlscacert,\n"
    "                           tlscert, tlskey, userns-remap\n"
    "  -G, --group GROUP        group of the sockets (default docker, else berth)\n"
    "  -D, --debug              debug logging and debug routes\n"
    "  -l, --log-level LEVEL    debug, info, warn or error (default info)\n"
    "  -b, --bridge NAME        host bridge of the default network (default berth0)\n"
    "      --bip CIDR           its gateway address and prefix (default: a free subnet)\n"
    "      --insecure-registry R  registry (host[:port] or CIDR) spoken to over plain\n"
    "                           HTTP or unverified TLS (repeatable)\n"
    "      --registry-mirror URL  pull docker.io images from this mirror first\n"
    "                           (http://host:port or https://...; repeatable)\n"
    "      --userns-remap SPEC  containers' root is an unprivileged host id: default\n"
    "                           (the dockremap user), USER[:GROUP] or UID[:GID] with\n"
    "                           ranges in /etc/subuid and /etc/subgid\n"
    "  -v, --version            print the version\n";

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = str_dup(v);
}

/* Keys of the config file; values only fill what no flag set. */
static int apply_config(struct daemon_opts *o, const json_t *cfg, struct err *e)
{
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)cfg, key, v) {
		char **dst = !strcmp(key, "data-root")	    ? &o->root
			     : !strcmp(key, "exec-root")    ? &o->run_dir
			     : !strcmp(key, "pidfile")	    ? &o->pidfile
			     : !strcmp(key, "group")	    ? &o->group
			     : !strcmp(key, "log-level")    ? &o->log_level
			     : !strcmp(key, "bridge")	    ? &o->bridge
			     : !strcmp(key, "bip")	    ? &o->bip
			     : !strcmp(key, "userns-remap") ? &o->userns_remap
							    : NULL;
		int tr = daemon_tls_config(o, key, v, e);
		if (tr < 0)
			return -1;
		if (tr > 0)
			continue;
		if (dst && json_is_string(v)) {
			if (!*dst)
				set_str(dst, json_string_value(v));
		} else if (!strcmp(key, "debug") && json_is_boolean(v)) {
			o->debug = o->debug || json_is_true(v);
		} else if ((!strcmp(key, "insecure-registries") ||
			    !strcmp(key, "registry-mirrors")) &&
			   json_is_array(v)) {
			size_t i;
			json_t *h;
			json_array_foreach (v, i, h) {
				if (!json_is_string(h))
					return err_invalid(e, "%s: %s[%zu]: expected a string",
							   o->config_file, key, i);
				strv_push(key[0] == 'i' ? &o->insecure_registries
							: &o->registry_mirrors,
					  json_string_value(h));
			}
		} else if (!strcmp(key, "hosts") && json_is_array(v)) {
			size_t i;
			json_t *h;
			bool flags_set = o->hosts[0] != NULL;
			json_array_foreach (v, i, h) {
				if (!json_is_string(h))
					return err_invalid(e, "%s: hosts[%zu]: expected a string",
							   o->config_file, i);
				if (!flags_set)
					strv_push(&o->hosts, json_string_value(h));
			}
		} else {
			return err_invalid(e, "%s: unknown or mistyped configuration key '%s'",
					   o->config_file, key);
		}
	}
	return 0;
}

static int parse_flags(int argc, char **argv, struct daemon_opts *o, struct err *e)
{
	static const struct option longopts[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"root", required_argument, NULL, 'r'},
	    {"data-root", required_argument, NULL, 'r'},
	    {"run-dir", required_argument, NULL, 'R'},
	    {"exec-root", required_argument, NULL, 'R'},
	    {"pidfile", required_argument, NULL, 'p'},
	    {"config-file", required_argument, NULL, 'c'},
	    {"group", required_argument, NULL, 'G'},
	    {"debug", no_argument, NULL, 'D'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"bridge", required_argument, NULL, 'b'},
	    {"bip", required_argument, NULL, 'B'},
	    {"userns-remap", required_argument, NULL, 'U'},
	    {"insecure-registry", required_argument, NULL, 'I'},
	    {"registry-mirror", required_argument, NULL, 'M'},
	    {"tls", optional_argument, NULL, 'T'},
	    {"tlsverify", optional_argument, NULL, 'V'},
	    {"tlscacert", required_argument, NULL, 'A'},
	    {"tlscert", required_argument, NULL, 'C'},
	    {"tlskey", required_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0}};
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+H:p:G:Dl:b:hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			strv_push(&o->hosts, optarg);
			break;
		case 'r':
			set_str(&o->root, optarg);
			break;
		case 'R':
			set_str(&o->run_dir, optarg);
			break;
		case 'p':
			set_str(&o->pidfile, optarg);
			break;
		case 'c':
			set_str(&o->config_file, optarg);
			break;
		case 'G':
			set_str(&o->group, optarg);
			break;
		case 'D':
			o->debug = true;
			break;
		case 'l':
			set_str(&o->log_level, optarg);
			break;
		case 'b':
			set_str(&o->bridge, optarg);
			break;
		case 'B':
			set_str(&o->bip, optarg);
			break;
		case 'U':
			set_str(&o->userns_remap, optarg);
			break;
		case 'I':
			strv_push(&o->insecure_registries, optarg);
			break;
		case 'M':
			strv_push(&o->registry_mirrors, optarg);
			break;
		case 'T':
		case 'V':
		case 'A':
		case 'C':
		case 'K':
			if (daemon_tls_flag(o, c, optarg, e) < 0)
				return -1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case 'v':
			printf("berth version %s\n", BERTH_VERSION);
			return 1;
		default:
			return err_invalid(e, "unknown or incomplete option '%s'\n\n%s",
					   argv[optind - 1], usage_text);
		}
	}
	if (optind < argc)
		return err_invalid(e, "unexpected argument '%s'\n\n%s", argv[optind], usage_text);
	return 0;
}

int daemon_parse_opts(int argc, char **argv, struct daemon_opts *o, struct err *e)
{
	memset(o, 0, sizeof(*o));
	o->hosts = xcalloc(1, sizeof(char *));
	int r = parse_flags(argc, argv, o, e);
	if (r != 0)
		return r;
	if (o->config_file) {
		_cleanup_json_ json_t *cfg = jx_load_file(o->config_file, e);
		if (!cfg)
			return err_wrap(e, "config file");
		if (!json_is_object(cfg))
			return err_invalid(e, "%s: expected a JSON object", o->config_file);
		if (apply_config(o, cfg, e) < 0)
			return -1;
	}
	if (!o->root)
		o->root = str_dup(BERTH_DEFAULT_ROOT);
	if (!o->run_dir)
		o->run_dir = str_dup(BERTH_DEFAULT_RUN_DIR);
	if (!o->bridge)
		o->bridge = str_dup("berth0");
	if (!*o->bridge || strlen(o->bridge) > 15 || strpbrk(o->bridge, "/: \t\n") ||
	    !strcmp(o->bridge, ".") || !strcmp(o->bridge, ".."))
		return err_invalid(e, "--bridge %s: not a valid interface name (1-15 characters)",
				   o->bridge);
	if (!o->pidfile)
		o->pidfile = str_printf("%s/berthd.pid", o->run_dir);
	if (!o->hosts[0])
		strv_push_take(&o->hosts, str_printf("unix://%s/berth.sock", o->run_dir));
	if (daemon_tls_finish(o, e) < 0)
		return -1;
	return 0;
}

void daemon_opts_release(struct daemon_opts *o)
{
	strv_free(o->hosts);
	free(o->root);
	free(o->run_dir);
	free(o->pidfile);
	free(o->group);
	free(o->config_file);
	free(o->log_level);
	free(o->bridge);
	free(o->bip);
	free(o->userns_remap);
	strv_free(o->insecure_registries);
	strv_free(o->registry_mirrors);
	free(o->tlscacert);
	free(o->tlscert);
	free(o->tlskey);
	memset(o, 0, sizeof(*o));
}
