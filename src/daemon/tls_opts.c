/* daemon/tls_opts: --tls, --tlsverify, --tlscacert, --tlscert, --tlskey and their config keys,
 * with dockerd's defaults, and berth's rule that a TCP host needs verified client certificates. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

int daemon_tls_flag(struct daemon_opts *o, int c, const char *arg, struct err *e)
{
	char **dst = c == 'A' ? &o->tlscacert : c == 'C' ? &o->tlscert : &o->tlskey;
	if (c == 'A' || c == 'C' || c == 'K') {
		free(*dst);
		*dst = str_dup(arg);
		return 0;
	}
	/* Go's boolean flags: --tls, --tls=true, --tls=false (also 1/0) */
	bool v = !arg || !strcmp(arg, "true") || !strcmp(arg, "1");
	if (arg && !v && strcmp(arg, "false") && strcmp(arg, "0"))
		return err_invalid(e, "invalid boolean value '%s' for --%s", arg,
				   c == 'T' ? "tls" : "tlsverify");
	if (c == 'T') {
		o->tls = v;
		o->tls_set = true;
	} else {
		o->tlsverify = v;
		o->tlsverify_set = true;
	}
	return 0;
}

int daemon_tls_config(struct daemon_opts *o, const char *key, const json_t *v, struct err *e)
{
	int c = !strcmp(key, "tls")	    ? 'T'
		: !strcmp(key, "tlsverify") ? 'V'
		: !strcmp(key, "tlscacert") ? 'A'
		: !strcmp(key, "tlscert")   ? 'C'
		: !strcmp(key, "tlskey")    ? 'K'
					    : 0;
	if (!c)
		return 0;
	bool is_bool = c == 'T' || c == 'V';
	if (is_bool ? !json_is_boolean(v) : !json_is_string(v))
		return err_invalid(e, "%s: %s: expected a %s", o->config_file, key,
				   is_bool ? "boolean" : "string");
	/* flags win */
	if ((c == 'T' && o->tls_set) || (c == 'V' && o->tlsverify_set) ||
	    (c == 'A' && o->tlscacert) || (c == 'C' && o->tlscert) || (c == 'K' && o->tlskey))
		return 1;
	if (daemon_tls_flag(
		o, c, is_bool ? (json_is_true(v) ? "true" : "false") : json_string_value(v), e) < 0)
		return -1;
	return 1;
}

/* dockerd: $DOCKER_CERT_PATH, else the client's config directory ($DOCKER_CONFIG, ~/.docker) */
static char *cert_dir(void)
{
	const char *d = getenv("DOCKER_CERT_PATH");
	if (d && *d)
		return str_dup(d);
	d = getenv("DOCKER_CONFIG");
	if (d && *d)
		return str_dup(d);
	const char *home = getenv("HOME");
	return str_printf("%s/.docker", home && *home ? home : "/root");
}

static int check_tcp_hosts(struct daemon_opts *o, struct err *e)
{
	for (char **h = o->hosts; *h; h++) {
		if (!strstr(*h, "://")) { /* dockerd: HOST:PORT is a TCP address */
			char *t = str_printf("tcp://%s", *h);
			free(*h);
			*h = t;
		}
		if (str_has_prefix(*h, "unix://"))
			continue;
		if (!str_has_prefix(*h, "tcp://")) /* before anything is made */
			return err_invalid(e, "invalid host %s: unix:///path or tcp://host:port",
					   *h);
		o->tcp = true;
		if (!o->tlsverify)
			return err_invalid(
			    e,
			    "-H %s: %s; TCP needs TLS with client certificates: add --tlsverify "
			    "--tlscacert=CA.pem --tlscert=SERVER-CERT.pem --tlskey=SERVER-KEY.pem "
			    "(config file: tlsverify, tlscacert, tlscert, tlskey)",
			    *h,
			    o->tls ? "--tls without --tlsverify would accept any client"
				   : "plain TCP would give anyone who connects root on this host");
	}
	return 0;
}

int daemon_tls_finish(struct daemon_opts *o, struct err *e)
{
	if (!o->tlsverify_set) {
		const char *v = getenv("DOCKER_TLS_VERIFY");
		o->tlsverify = v && *v;
	}
	o->tls = o->tls || o->tlsverify;
	_cleanup_free_ char *dir = cert_dir();
	if (!o->tlscacert)
		o->tlscacert = str_printf("%s/ca.pem", dir);
	if (!o->tlscert)
		o->tlscert = str_printf("%s/cert.pem", dir);
	if (!o->tlskey)
		o->tlskey = str_printf("%s/key.pem", dir);
	if (check_tcp_hosts(o, e) < 0)
		return -1;
	const char *files[][2] = {
	    {"--tlscacert", o->tlscacert}, {"--tlscert", o->tlscert}, {"--tlskey", o->tlskey}};
	for (size_t i = 0; o->tcp && i < 3; i++)
		if (access(files[i][1], R_OK) < 0)
			return err_invalid(e, "%s %s: %s", files[i][0], files[i][1],
					   strerror(errno));
	return 0;
}
