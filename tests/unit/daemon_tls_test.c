/* daemon_tls_test: -H tcp:// addresses as dockerd reads them, and the daemon's TLS options:
 * a TCP host without verified client certificates refused, defaults, config keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/server_priv.h"
#include "daemon/daemon.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/str.h"

static void test_parse_tcp(void)
{
	struct {
		const char *spec, *host, *port;
	} good[] = {{"127.0.0.1:2376", "127.0.0.1", "2376"},
		    {"0.0.0.0:12345", "0.0.0.0", "12345"},
		    {":2377", "127.0.0.1", "2377"},
		    {"localhost", "localhost", "2376"},
		    {"[::1]:2376", "::1", "2376"},
		    {"[::]", "::", "2376"},
		    {"", "127.0.0.1", "2376"}};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		_cleanup_free_ char *h = NULL, *p = NULL;
		struct err e = ERR_INIT;
		ok(server_parse_tcp(good[i].spec, &h, &p, &e) == 0, "tcp://%s parses",
		   good[i].spec);
		is_str(h, good[i].host, "tcp://%s host", good[i].spec);
		is_str(p, good[i].port, "tcp://%s port", good[i].spec);
	}
	const char *bad[] = {"1.2.3.4:0", "1.2.3.4:65536",   "1.2.3.4:x",
			     "1.2.3.4:",  "1.2.3.4:80/path", "::1:2376",
			     "[::1",	  "[::1]x",	     "h:+80"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *h = NULL, *p = NULL;
		struct err e = ERR_INIT;
		ok(server_parse_tcp(bad[i], &h, &p, &e) < 0 && !h && !p && strstr(e.msg, bad[i]),
		   "tcp://%s refused: %s", bad[i], e.msg);
	}
}

/* daemon_parse_opts on argv (NULL-terminated list after "daemon"); its error in e. */
static int parse(struct daemon_opts *o, struct err *e, const char **args)
{
	char *argv[16] = {"daemon"};
	int argc = 1;
	while (args[argc - 1])
		argv[argc] = (char *)args[argc - 1], argc++;
	return daemon_parse_opts(argc, argv, o, e);
}

static void test_policy(const char *dir)
{
	struct daemon_opts o;
	struct err e = ERR_INIT;
	unsetenv("DOCKER_TLS_VERIFY");
	setenv("DOCKER_CERT_PATH", dir, 1);
	ok(parse(&o, &e, (const char *[]){"-H", "tcp://0.0.0.0:2376", NULL}) < 0 &&
	       strstr(e.msg, "--tlsverify") && strstr(e.msg, "--tlscacert") &&
	       strstr(e.msg, "plain TCP"),
	   "plain tcp:// refused, naming the flags: %s", e.msg);
	daemon_opts_release(&o);
	err_clear(&e);
	ok(parse(&o, &e, (const char *[]){"-H", "127.0.0.1:2376", "--tls", NULL}) < 0 &&
	       strstr(e.msg, "--tls without --tlsverify") && strstr(e.msg, "tcp://127.0.0.1:2376"),
	   "--tls alone refused on TCP; HOST:PORT is tcp://: %s", e.msg);
	daemon_opts_release(&o);
	err_clear(&e);
	ok(parse(&o, &e, (const char *[]){"-H", "tcp://:2376", "--tlsverify", NULL}) == 0 && o.tls,
	   "--tlsverify with the default files in $DOCKER_CERT_PATH: %s", e.msg);
	_cleanup_free_ char *ca = str_printf("%s/ca.pem", dir);
	is_str(o.tlscacert, ca, "CA defaults to $DOCKER_CERT_PATH/ca.pem");
	daemon_opts_release(&o);
	ok(parse(&o, &e, (const char *[]){"-H", "tcp://:2376", "--tlsverify=false", NULL}) < 0,
	   "--tlsverify=false: refused");
	daemon_opts_release(&o);
	err_clear(&e);
	setenv("DOCKER_TLS_VERIFY", "1", 1);
	ok(parse(&o, &e, (const char *[]){"-H", "tcp://:2376", NULL}) == 0 && o.tlsverify,
	   "DOCKER_TLS_VERIFY turns verification on, as dockerd");
	daemon_opts_release(&o);
	unsetenv("DOCKER_TLS_VERIFY");
	ok(parse(&o, &e,
		 (const char *[]){"-H", "tcp://:2376", "--tlsverify", "--tlskey", "/nonexistent/k",
				  NULL}) < 0 &&
	       strstr(e.msg, "--tlskey /nonexistent/k"),
	   "a missing key file named: %s", e.msg);
	daemon_opts_release(&o);
	err_clear(&e);
	ok(parse(&o, &e, (const char *[]){"-H", "ssh://h", NULL}) < 0 &&
	       strstr(e.msg, "invalid host ssh://h"),
	   "an unknown scheme refused: %s", e.msg);
	daemon_opts_release(&o);
	err_clear(&e);
	ok(parse(&o, &e, (const char *[]){"-H", "unix:///x.sock", NULL}) == 0 && !o.tls,
	   "no TCP host: TLS off, nothing checked");
	daemon_opts_release(&o);
}

static void test_config(const char *dir)
{
	_cleanup_free_ char *cfg = str_printf("%s/daemon.json", dir);
	FILE *f = fopen(cfg, "w");
	fprintf(
	    f,
	    "{\"hosts\":[\"tcp://127.0.0.1:2376\"],\"tlsverify\":true,\"tlscacert\":\"%s/ca.pem\"}",
	    dir);
	fclose(f);
	struct daemon_opts o;
	struct err e = ERR_INIT;
	ok(parse(&o, &e, (const char *[]){"--config-file", cfg, NULL}) == 0 && o.tlsverify,
	   "config keys hosts, tlsverify, tlscacert: %s", e.msg);
	daemon_opts_release(&o);
	ok(parse(&o, &e, (const char *[]){"--config-file", cfg, "--tlsverify=false", NULL}) < 0,
	   "the flag wins over the config");
	daemon_opts_release(&o);
	f = fopen(cfg, "w");
	fputs("{\"tlsverify\":\"yes\"}", f);
	fclose(f);
	err_clear(&e);
	ok(parse(&o, &e, (const char *[]){"--config-file", cfg, NULL}) < 0 &&
	       strstr(e.msg, "tlsverify: expected a boolean"),
	   "a mistyped key: %s", e.msg);
	daemon_opts_release(&o);
}

int main(void)
{
	char dir[] = "/tmp/berth-tls-test-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	const char *names[] = {"ca.pem", "cert.pem", "key.pem"};
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *p = str_printf("%s/%s", dir, names[i]);
		FILE *f = fopen(p, "w");
		fputs("x\n", f);
		fclose(f);
	}
	test_parse_tcp();
	test_policy(dir);
	test_config(dir);
	_cleanup_free_ char *rm = str_printf("rm -rf %s", dir);
	if (system(rm) != 0)
		return 1;
	return tap_done();
}
