/* Unit tests for the berth CLI's flag parser, the create body made from run flags, and
 * docker's human units and table alignment (src/cli/opts.c, run_opts.c, format.c). */
#include <stdlib.h>
#include <string.h>

#include "cli/attach.h"
#include "cli/format.h"
#include "cli/opts.h"
#include "cli/run_opts.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static void test_opts(void)
{
	bool all = false, quiet = false;
	const char *fmt = NULL;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {{'a', "all", OPT_BOOL, &all, "x"},
				       {'q', "quiet", OPT_BOOL, &quiet, "x"},
				       {'f', "filter", OPT_LIST, &filters, "f\tx"},
				       {0, "format", OPT_STR, &fmt, "s\tx"},
				       {0}};
	const struct cli_cmd_spec spec = {"ps", "", "", 0, 1, false, opts};
	char *argv[] = {"ps", "-aq", "--filter", "a=1", "-fb=2", "--format={{.ID}}", "x", NULL};
	_cleanup_free_ char **pos = NULL;
	struct err e = ERR_INIT;
	is_int(cli_opts_parse(&spec, 7, argv, &pos, &e), 0, "flags parse");
	ok(all && quiet, "combined short flags");
	is_int(strv_len(filters), 2, "repeatable flag");
	is_str(filters[1], "b=2", "short flag with attached value");
	is_str(fmt, "{{.ID}}", "--flag=value");
	is_str(pos[0], "x", "positional");
	free(pos);
	pos = NULL;
	char *bad[] = {"ps", "--nope", NULL};
	is_int(cli_opts_parse(&spec, 2, bad, &pos, &e), -1, "unknown flag refused");
	is_str(e.msg, "unknown flag: --nope", "docker's message");
	free(pos);
	pos = NULL;
	char *many[] = {"ps", "a", "b", NULL};
	is_int(cli_opts_parse(&spec, 3, many, &pos, &e), -1, "too many arguments");
	is_str(e.msg, "'berth ps' requires at most 1 argument", "count message");
	free(pos);
	pos = NULL;
	char *miss[] = {"ps", "--format", NULL};
	is_int(cli_opts_parse(&spec, 2, miss, &pos, &e), -1, "missing value");
}

static void test_run_flags(void)
{
	struct run_opts r;
	struct cli_opt opts[RUN_OPTS_MAX];
	memset(&r, 0, sizeof(r));
	run_opts_table(&r, opts, true);
	const struct cli_cmd_spec spec = {"run", "", "", 1, -1, true, opts};
	char *argv[] = {
	    "run", "--rm",   "-it",	 "-e",	   "A=1",    "-p",	"127.0.0.1:8080:80",
	    "-p",  "53/udp", "-m",	 "512m",   "--cpus", "1.5",	"--restart",
	    "no",  "-v",     "/a:/b:ro", "--name", "web",    "busybox", "sh",
	    "-c",  "-x",     NULL};
	_cleanup_free_ char **pos = NULL;
	struct err e = ERR_INIT;
	int argc = (int)ARRAY_SIZE(argv) - 1;
	is_int(cli_opts_parse(&spec, argc, argv, &pos, &e), 0, "run flags parse");
	is_str(pos[0], "busybox", "image");
	is_str(pos[2], "-c", "flags after the image belong to the command");
	is_str(pos[3], "-x", "even ones that look like run flags");
	r.image = pos[0];
	r.cmd = pos + 1;
	_cleanup_json_ json_t *b = run_opts_body(&r, &e);
	ok(b != NULL, "body built (%s)", e.msg);
	json_t *hc = json_object_get(b, "HostConfig");
	is_int(json_integer_value(json_object_get(hc, "Memory")), 512LL << 20, "-m 512m");
	is_int(json_integer_value(json_object_get(hc, "NanoCpus")), 1500000000LL, "--cpus 1.5");
	ok(json_is_true(json_object_get(hc, "AutoRemove")), "--rm is AutoRemove");
	ok(json_is_true(json_object_get(b, "Tty")) && json_is_true(json_object_get(b, "OpenStdin")),
	   "-it");
	json_t *pb = json_object_get(json_object_get(hc, "PortBindings"), "80/tcp");
	is_str(json_string_value(json_object_get(json_array_get(pb, 0), "HostIp")), "127.0.0.1",
	       "-p ip");
	is_str(json_string_value(json_object_get(json_array_get(pb, 0), "HostPort")), "8080",
	       "-p host port");
	ok(json_object_get(json_object_get(b, "ExposedPorts"), "53/udp") != NULL,
	   "-p 53/udp exposed");
	is_str(json_string_value(json_array_get(json_object_get(hc, "Binds"), 0)), "/a:/b:ro",
	       "-v");
	is_str(json_string_value(json_array_get(json_object_get(b, "Cmd"), 2)), "-x", "Cmd");
	run_opts_release(&r);

	long long m = 0;
	ok(run_parse_memory("1g", &m, &e) == 0 && m == 1LL << 30, "1g");
	ok(run_parse_memory("100", &m, &e) == 0 && m == 100, "plain bytes");
	ok(run_parse_memory("12q", &m, &e) < 0, "bad unit refused");
	_cleanup_json_ json_t *bind = json_object(), *exp = json_object();
	ok(run_parse_publish("80:80/bogus", bind, exp, &e) < 0, "bad proto refused");
	ok(run_parse_publish("x", bind, exp, &e) < 0, "bad port refused");

	memset(&r, 0, sizeof(r));
	r.image = "busybox";
	r.restart = "sometimes";
	_cleanup_json_ json_t *bad = run_opts_body(&r, &e);
	ok(!bad && strstr(e.msg, "invalid restart policy"), "bad --restart refused");
	r.restart = "on-failure:3";
	_cleanup_json_ json_t *good = run_opts_body(&r, &e);
	is_int(json_integer_value(json_object_get(
		   json_object_get(json_object_get(good, "HostConfig"), "RestartPolicy"),
		   "MaximumRetryCount")),
	       3, "on-failure:3");
}

static void check_str(char *got, const char *want, const char *what)
{
	is_str(got, want, "%s", what);
	free(got);
}

static void test_format(void)
{
	check_str(fmt_duration(0), "Less than a second", "0s");
	check_str(fmt_duration(1), "1 second", "1s");
	check_str(fmt_duration(59), "59 seconds", "59s");
	check_str(fmt_duration(60), "About a minute", "1m");
	check_str(fmt_duration(45 * 60), "45 minutes", "45m");
	check_str(fmt_duration(3600), "About an hour", "1h");
	check_str(fmt_duration(5 * 3600), "5 hours", "5h");
	check_str(fmt_duration(3 * 86400), "3 days", "3d");
	check_str(fmt_duration(20 * 86400), "2 weeks", "20d");
	check_str(fmt_duration(100 * 86400), "3 months", "100d");
	check_str(fmt_duration(800LL * 86400), "2 years", "800d");
	check_str(fmt_size(0), "0B", "0B");
	check_str(fmt_size(1990000), "1.99MB", "MB");
	check_str(fmt_size(4261000), "4.26MB", "3 digits");
	check_str(fmt_size(999), "999B", "B");
	check_str(fmt_bytes(1536 * 1024), "1.5MiB", "MiB");
	check_str(fmt_ellipsis("sh -c echo started; while", 20), "sh -c echo started;…",
		  "ellipsis");
	check_str(fmt_ellipsis("short", 20), "short", "no ellipsis");
	check_str(fmt_quote("a \"b\"\n"), "\"a \\\"b\\\"\\n\"", "quote");

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fmt_tabwrite(f, "CONTAINER ID\tNAMES\nabc\tx\n");
	fclose(f);
	is_str(buf, "CONTAINER ID   NAMES\nabc            x\n",
	       "tabwriter: padding 3, last cell free");
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	fmt_tabwrite(f, "A\tB\tC\n");
	fclose(f);
	is_str(buf, "A         B         C\n", "tabwriter: minimum width 10");
	free(buf);

	struct fmt_out o;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *h = json_pack("{s:s,s:s}", "ID", "CONTAINER ID", "Status", "STATUS");
	_cleanup_json_ json_t *row = json_pack("{s:s,s:s}", "ID", "abc", "Status", "Up 1 second");
	ok(fmt_out_init(&o, "table {{.ID}}\\t{{.Status}}", "x", h, &e) == 0, "table format");
	fmt_out_row(&o, row, &e);
	buf = NULL;
	f = open_memstream(&buf, &len);
	fmt_out_finish(&o, f);
	fclose(f);
	is_str(buf, "CONTAINER ID   STATUS\nabc            Up 1 second\n", "table with headers");
	free(buf);
}

static void test_detach_keys(void)
{
	unsigned char k[CLI_DETACH_KEYS_MAX];
	size_t n = 0;
	struct err e = ERR_INIT;
	is_int(cli_detach_keys_parse("ctrl-p,ctrl-q", k, &n, &e), 0, "default keys parse");
	ok(n == 2 && k[0] == 0x10 && k[1] == 0x11, "ctrl-p ctrl-q are 0x10 0x11");
	is_int(cli_detach_keys_parse("a,ctrl-@,ctrl-[,ctrl-_,CTRL-Z", k, &n, &e), 0, "specials");
	ok(n == 5 && k[0] == 'a' && k[1] == 0 && k[2] == 27 && k[3] == 31 && k[4] == 26,
	   "letters, @ [ _ and upper case");
	is_int(cli_detach_keys_parse("ctrl-nope", k, &n, &e), -1, "a bad key is refused");
	is_str(e.msg, "Invalid detach keys (ctrl-nope) provided", "docker's message");
	is_int(cli_detach_keys_parse("", k, &n, &e), -1, "no keys is refused");
}

int main(void)
{
	test_detach_keys();
	test_opts();
	test_run_flags();
	test_format();
	return tap_done();
}
