/* cli/cmd_system: version, info, events, system df/prune and `berth system ...`. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "cli/template.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* --format over one JSON value, docker's way: the result and a newline. */
static int print_format(const char *format, json_t *v)
{
	struct err e = ERR_INIT;
	struct tmpl *t = tmpl_parse(format, &e);
	if (!t)
		return fprintf(stderr, "template parsing error: %s\n", e.msg), 1;
	_cleanup_free_ char *s = tmpl_exec(t, v, &e);
	tmpl_free(t);
	if (!s)
		return fprintf(stderr, "template: %s\n", e.msg), 1;
	printf("%s\n", s);
	return 0;
}

int cmd_version(struct cli *c, int argc, char **argv)
{
	const char *format = NULL;
	const struct cli_opt opts[] = {
	    {'f', "format", OPT_STR, &format, "string\tFormat output using a custom template"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "version", "[OPTIONS]", "Show the berth version information", 0, 0, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *srv = NULL;
	int rc = cli_get(c, "/version", &srv, &e);
	_cleanup_json_ json_t *all =
	    json_pack("{s:{s:s,s:s,s:s,s:s,s:s},s:O}", "Client", "Version", BERTH_CLI_VERSION,
		      "ApiVersion", CLI_API_VERSION, "Os", "linux", "Arch", "amd64", "Platform",
		      "berth", "Server", srv ? srv : json_null());
	if (format) {
		if (rc < 0)
			return cli_report(&e, 1);
		return print_format(format, all);
	}
	printf("Client: berth\n Version:           %s\n API version:       %s\n OS/Arch:"
	       "           linux/amd64\n",
	       BERTH_CLI_VERSION, CLI_API_VERSION);
	if (rc < 0) {
		printf("\n");
		return cli_report(&e, 1);
	}
	printf("\nServer: %s\n Engine:\n  Version:          %s\n  API version:      %s (minimum "
	       "version %s)\n  Git commit:       %s\n  Built:            %s\n  OS/Arch:          "
	       "%s/%s\n  Kernel Version:   %s\n",
	       jstr(json_object_get(srv, "Platform"), "Name"), jstr(srv, "Version"),
	       jstr(srv, "ApiVersion"), jstr(srv, "MinAPIVersion"), jstr(srv, "GitCommit"),
	       jstr(srv, "BuildTime"), jstr(srv, "Os"), jstr(srv, "Arch"),
	       jstr(srv, "KernelVersion"));
	return 0;
}

static long long jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* "  Volume: local" lines of a {"Volume":[...],...} object, in docker's order. */
static void print_plugins(json_t *plugins)
{
	static const char *const kinds[] = {"Volume", "Network", "Authorization", "Log"};
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		json_t *v = json_object_get(plugins, kinds[k]);
		if (!json_array_size(v))
			continue;
		printf("  %s:", kinds[k]);
		size_t n;
		json_t *x;
		json_array_foreach (v, n, x)
			printf(" %s", json_string_value(x));
		printf("\n");
	}
}

/* "name=seccomp,profile=builtin" as docker shows it: "  seccomp" then "   Profile: builtin". */
static void print_security(json_t *opts)
{
	size_t n;
	json_t *x;
	if (!json_array_size(opts))
		return;
	printf(" Security Options:\n");
	json_array_foreach (opts, n, x) {
		_cleanup_strv_ char **kv = strv_split(json_string_value(x) ?: "", ",");
		for (char **p = kv; p && *p; p++) {
			char *eq = strchr(*p, '=');
			if (!eq)
				continue;
			*eq = 0;
			if (!strcmp(*p, "name"))
				printf("  %s\n", eq + 1);
			else
				printf("   %c%s: %s\n", toupper((unsigned char)**p), *p + 1,
				       eq + 1);
		}
	}
}

static void print_info(json_t *i)
{
	_cleanup_free_ char *mem = fmt_bytes((double)jint(i, "MemTotal"));
	printf("Client: berth\n Version:    %s\n\nServer:\n Containers: %lld\n  Running: %lld\n  "
	       "Paused: %lld\n  Stopped: %lld\n Images: %lld\n Server Version: %s\n Storage "
	       "Driver: %s\n",
	       BERTH_CLI_VERSION, jint(i, "Containers"), jint(i, "ContainersRunning"),
	       jint(i, "ContainersPaused"), jint(i, "ContainersStopped"), jint(i, "Images"),
	       jstr(i, "ServerVersion"), jstr(i, "Driver"));
	size_t n;
	json_t *x;
	json_array_foreach (json_object_get(i, "DriverStatus"), n, x)
		printf("  %s: %s\n", json_string_value(json_array_get(x, 0)) ?: "",
		       json_string_value(json_array_get(x, 1)) ?: "");
	printf(" Logging Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n Plugins:\n",
	       jstr(i, "LoggingDriver"), jstr(i, "CgroupDriver"), jstr(i, "CgroupVersion"));
	print_plugins(json_object_get(i, "Plugins"));
	printf(" Swarm: %s\n Runtimes:", jstr(json_object_get(i, "Swarm"), "LocalNodeState"));
	const char *k;
	json_object_foreach (json_object_get(i, "Runtimes"), k, x)
		printf(" %s", k);
	printf("\n Default Runtime: %s\n runc version: %s\n", jstr(i, "DefaultRuntime"),
	       jstr(json_object_get(i, "RuncCommit"), "ID"));
	print_security(json_object_get(i, "SecurityOptions"));
	printf(" Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n "
	       "CPUs: %lld\n Total Memory: %s\n Name: %s\n ID: %s\n Docker Root Dir: %s\n Debug "
	       "Mode: %s\n Experimental: %s\n",
	       jstr(i, "KernelVersion"), jstr(i, "OperatingSystem"), jstr(i, "OSType"),
	       jstr(i, "Architecture"), jint(i, "NCPU"), mem, jstr(i, "Name"), jstr(i, "ID"),
	       jstr(i, "DockerRootDir"),
	       json_is_true(json_object_get(i, "Debug")) ? "true" : "false",
	       json_is_true(json_object_get(i, "ExperimentalBuild")) ? "true" : "false");
	json_t *ins =
	    json_object_get(json_object_get(i, "RegistryConfig"), "InsecureRegistryCIDRs");
	if (json_array_size(ins))
		printf(" Insecure Registries:\n");
	json_array_foreach (ins, n, x)
		printf("  %s\n", json_string_value(x));
	printf(" Live Restore Enabled: %s\n\n",
	       json_is_true(json_object_get(i, "LiveRestoreEnabled")) ? "true" : "false");
}

int cmd_info(struct cli *c, int argc, char **argv)
{
	const char *format = NULL;
	const struct cli_opt opts[] = {
	    {'f', "format", OPT_STR, &format, "string\tFormat output using a custom template"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "info", "[OPTIONS]", "Display system-wide information", 0, 0, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *i = NULL;
	if (cli_get(c, "/info", &i, &e) < 0)
		return cli_report(&e, 1);
	if (format)
		return print_format(format, i);
	print_info(i);
	size_t k;
	json_t *w;
	json_array_foreach (json_object_get(i, "Warnings"), k, w)
		fprintf(stderr, "%s\n", json_string_value(w));
	return 0;
}

struct events_ctx {
	struct tmpl *t;
	char *buf;
	size_t len;
};

static void event_print(struct events_ctx *x, const char *line, size_t n)
{
	_cleanup_json_ json_t *j = json_loadb(line, n, 0, NULL);
	if (!j)
		return;
	if (x->t) {
		struct err e = ERR_INIT;
		_cleanup_free_ char *s = tmpl_exec(x->t, j, &e);
		printf("%s\n", s ? s : e.msg);
	} else {
		long long ns = (long long)json_integer_value(json_object_get(j, "timeNano"));
		time_t t = (time_t)(ns / 1000000000);
		struct tm tm;
		char ts[64];
		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		json_t *actor = json_object_get(j, "Actor");
		char tz[48] = "Z";
		if (tm.tm_gmtoff)
			snprintf(tz, sizeof(tz), "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
				 labs(tm.tm_gmtoff) / 3600, labs(tm.tm_gmtoff) % 3600 / 60);
		printf("%s.%09lld%s %s %s %s", ts, ns % 1000000000, tz, jstr(j, "Type"),
		       jstr(j, "Action"), jstr(actor, "ID"));
		const char *k;
		json_t *v;
		bool first = true;
		_cleanup_free_ char *sorted =
		    json_dumps(json_object_get(actor, "Attributes"), JSON_SORT_KEYS | JSON_COMPACT);
		_cleanup_json_ json_t *attrs = sorted ? json_loads(sorted, 0, NULL) : NULL;
		json_object_foreach (attrs, k, v) {
			printf("%s%s=%s", first ? " (" : ", ", k, json_string_value(v));
			first = false;
		}
		printf("%s\n", first ? "" : ")");
	}
	fflush(stdout);
}

static int events_sink(const char *buf, size_t n, void *ud)
{
	struct events_ctx *x = ud;
	if (!buf)
		return 0;
	x->buf = xrealloc(x->buf, x->len + n + 1);
	memcpy(x->buf + x->len, buf, n);
	x->len += n;
	char *nl;
	size_t off = 0;
	while ((nl = memchr(x->buf + off, '\n', x->len - off))) {
		event_print(x, x->buf + off, (size_t)(nl - x->buf - off));
		off = (size_t)(nl - x->buf) + 1;
	}
	memmove(x->buf, x->buf + off, x->len - off);
	x->len -= off;
	return 0;
}

int cmd_events(struct cli *c, int argc, char **argv)
{
	const char *since = NULL, *until = NULL, *format = NULL;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
	    {'f', "filter", OPT_LIST, &filters,
	     "filter\tFilter output based on conditions provided"},
	    {0, "format", OPT_STR, &format, "string\tFormat output using a custom template"},
	    {0, "since", OPT_STR, &since, "string\tShow all events created since timestamp"},
	    {0, "until", OPT_STR, &until, "string\tStream events until this timestamp"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "events", "[OPTIONS]", "Get real time events from the server", 0, 0, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	struct events_ctx x = {0};
	if (format && strcmp(format, "json") && !(x.t = tmpl_parse(format, &e)))
		return fprintf(stderr, "template parsing error: %s\n", e.msg), 1;
	if (format && !strcmp(format, "json"))
		x.t = tmpl_parse("{{json .}}", &e);
	_cleanup_json_ json_t *fo = cli_filters_json(filters);
	_cleanup_free_ char *fs = jx_dumps(fo), *ef = cli_http_escape(fs);
	_cleanup_free_ char *ts = since ? cli_time_arg(since) : NULL;
	_cleanup_free_ char *tu = until ? cli_time_arg(until) : NULL;
	_cleanup_free_ char *es = ts ? cli_http_escape(ts) : NULL;
	_cleanup_free_ char *eu = tu ? cli_http_escape(tu) : NULL;
	_cleanup_free_ char *path =
	    str_printf("/events?filters=%s%s%s%s%s", ef, es ? "&since=" : "", es ? es : "",
		       eu ? "&until=" : "", eu ? eu : "");
	struct cli_http *h = cli_api(c, &e);
	int rc =
	    h ? cli_http_stream(h, "GET", path, NULL, NULL, NULL, events_sink, &x, NULL, &e) : -1;
	free(x.buf);
	tmpl_free(x.t);
	return rc < 0 ? cli_report(&e, 1) : 0;
}
