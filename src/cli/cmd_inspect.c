/* cli/cmd_inspect: inspect (containers, images, volumes, networks; -f templates) and logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/stream.h"
#include "cli/template.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* What inspect looks in, in docker's order when no --type is given. */
static const struct {
	const char *type, *prefix, *suffix;
} KINDS[] = {
    {"container", "/containers/", "/json"},
    {"image", "/images/", "/json"},
    {"volume", "/volumes/", ""},
    {"network", "/networks/", ""},
};

/* One object by name: each kind in turn unless typed; not found anywhere is 404. */
static int inspect_one(struct cli *c, const char *name, const char *type, bool size, json_t **out,
		       struct err *e)
{
	_cleanup_free_ char *id = cli_http_escape(name);
	*out = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(KINDS); i++) {
		if (type && strcmp(type, KINDS[i].type))
			continue;
		err_clear(e);
		_cleanup_free_ char *p =
		    str_printf("%s%s%s%s", KINDS[i].prefix, id, KINDS[i].suffix,
			       i == 0 && size ? "?size=1" : "");
		if (cli_get(c, p, out, e) == 0 || e->kind != ERR_NOT_FOUND)
			return *out ? 0 : -1;
		if (type) /* typed: the daemon's own words, as docker prints them */
			return -1;
	}
	if (type)
		return err_invalid(e, "\"%s\" is not a valid value for --type", type);
	return err_notfound(e, "Error: No such object: %s", name);
}

/* `inspect`, or `<group> inspect` when typed (only that kind, no --type flag). */
static int inspect_main(struct cli *c, int argc, char **argv, const char *group)
{
	const char *format = NULL, *type = group;
	bool size = false;
	const struct cli_opt all_opts[] = {
	    {'f', "format", OPT_STR, &format, "string\tFormat output using a Go template"},
	    {'s', "size", OPT_BOOL, &size, "Display total file sizes if the type is container"},
	    {0, "type", OPT_STR, &type, "string\tOnly inspect objects of the given type"},
	    {0}};
	/* typed: no --type; --size only for containers */
	const struct cli_opt typed_opts[] = {all_opts[0], {0}};
	const struct cli_opt ctr_opts[] = {all_opts[0], all_opts[1], {0}};
	_cleanup_free_ char *name = group ? str_printf("%s inspect", group) : str_dup("inspect");
	_cleanup_free_ char *usage = group ? str_printf("[OPTIONS] %s [%s...]", group, group)
					   : str_dup("[OPTIONS] NAME|ID [NAME|ID...]");
	for (char *u = usage; group && *u; u++)
		if (*u >= 'a' && *u <= 'z')
			*u = (char)(*u - 'a' + 'A');
	_cleanup_free_ char *about =
	    group ? str_printf("Display detailed information on one or more %ss", group)
		  : str_dup("Return low-level information on berth objects");
	const struct cli_cmd_spec spec = {name,
					  usage,
					  about,
					  1,
					  -1,
					  false,
					  !group			? all_opts
					  : !strcmp(group, "container") ? ctr_opts
									: typed_opts};
	_cleanup_free_ char **pos = NULL;
	int st, rc = 0;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	struct tmpl *t = NULL;
	if (format && strcmp(format, "json") && !(t = tmpl_parse(format, &e)))
		return fprintf(stderr, "template parsing error: %s\n", e.msg), 1;
	_cleanup_json_ json_t *all = json_array();
	for (char **n = pos; *n; n++) {
		json_t *obj = NULL;
		if (inspect_one(c, *n, type, size, &obj, &e) < 0) {
			rc = 1;
			if (e.kind != ERR_NOT_FOUND || !t)
				fprintf(stderr, "%s\n", e.msg);
			else
				fprintf(stderr, "%s\n", e.msg);
			if (e.kind == ERR_UNAVAILABLE)
				break;
			err_clear(&e);
			continue;
		}
		if (t) {
			_cleanup_free_ char *s = tmpl_exec(t, obj, &e);
			json_decref(obj);
			if (!s) {
				fprintf(stderr, "template: %s\n", e.msg);
				tmpl_free(t);
				return 1;
			}
			printf("%s\n", s);
		} else {
			json_array_append_new(all, obj);
		}
	}
	tmpl_free(t);
	if (!format || !strcmp(format, "json")) {
		_cleanup_free_ char *s = json_dumps(all, JSON_INDENT(4));
		printf("%s\n", s);
	}
	return rc;
}

char *cli_time_arg(const char *v)
{
	char *end = NULL;
	double d = strtod(v, &end);
	if (end != v && !*end)
		return str_dup(v);
	double total = 0;
	const char *p = v;
	while (*p) {
		double n = strtod(p, &end);
		if (end == p)
			break;
		double mul = *end == 'h'		    ? 3600
			     : *end == 'm' && end[1] != 's' ? 60
			     : *end == 's'		    ? 1
							    : 0;
		if (*end == 'm' && end[1] == 's')
			mul = 0.001, end++;
		if (!mul)
			break;
		total += n * mul;
		p = end + 1;
	}
	if (!*p && p != v)
		return str_printf("%lld", (long long)(time(NULL) - (time_t)total));
	struct tm tm = {0};
	const char *rest = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		rest = strptime(v, "%Y-%m-%d", &tm);
	(void)d;
	return rest ? str_printf("%lld", (long long)timegm(&tm)) : str_dup(v);
}

static int logs_sink(const char *buf, size_t n, void *ud)
{
	return buf ? demux_feed(ud, buf, n) : 0;
}

int cmd_logs(struct cli *c, int argc, char **argv)
{
	bool follow = false, ts = false, details = false;
	const char *tail = NULL, *since = NULL, *until = NULL;
	const struct cli_opt opts[] = {
	    {'f', "follow", OPT_BOOL, &follow, "Follow log output"},
	    {0, "details", OPT_BOOL, &details, "Show extra details provided to logs"},
	    {0, "since", OPT_STR, &since, "string\tShow logs since timestamp or relative (42m)"},
	    {'n', "tail", OPT_STR, &tail, "string\tNumber of lines to show from the end (all)"},
	    {'t', "timestamps", OPT_BOOL, &ts, "Show timestamps"},
	    {0, "until", OPT_STR, &until, "string\tShow logs before a timestamp or relative"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", 1, 1, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *info = NULL;
	if (cli_get_container(c, pos[0], "json", &info, &e) < 0)
		return cli_report(&e, 1);
	_cleanup_free_ char *id = cli_http_escape(pos[0]);
	bool tty = json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
	_cleanup_free_ char *s = since ? cli_time_arg(since) : NULL,
			    *u = until ? cli_time_arg(until) : NULL;
	_cleanup_free_ char *et = tail ? cli_http_escape(tail) : NULL;
	_cleanup_free_ char *path =
	    str_printf("/containers/%s/logs?stdout=1&stderr=1%s%s%s%s%s%s%s%s%s", id,
		       follow ? "&follow=1" : "", ts ? "&timestamps=1" : "",
		       details ? "&details=1" : "", et ? "&tail=" : "", et ? et : "",
		       s ? "&since=" : "", s ? s : "", u ? "&until=" : "", u ? u : "");
	struct demux d;
	demux_init(&d, tty);
	if (cli_http_stream(&c->http, "GET", path, NULL, NULL, NULL, logs_sink, &d, NULL, &e) < 0)
		return cli_report(&e, 1);
	return 0;
}

int cmd_inspect(struct cli *c, int argc, char **argv)
{
	return inspect_main(c, argc, argv, NULL);
}

int cmd_container_inspect(struct cli *c, int argc, char **argv)
{
	return inspect_main(c, argc, argv, "container");
}

int cmd_image_inspect(struct cli *c, int argc, char **argv)
{
	return inspect_main(c, argc, argv, "image");
}

int cmd_volume_inspect(struct cli *c, int argc, char **argv)
{
	return inspect_main(c, argc, argv, "volume");
}

int cmd_network_inspect(struct cli *c, int argc, char **argv)
{
	return inspect_main(c, argc, argv, "network");
}
