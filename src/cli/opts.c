/* cli/opts: flag parsing for the berth CLI commands. */
#include "cli/opts.h"

#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/str.h"

static const struct cli_opt *find_long(const struct cli_opt *o, const char *name, size_t n)
{
	for (; o && (o->sh || o->lng); o++)
		if (o->lng && strlen(o->lng) == n && !strncmp(o->lng, name, n))
			return o;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *o, char c)
{
	for (; o && (o->sh || o->lng); o++)
		if (o->sh == c)
			return o;
	return NULL;
}

static int set_value(const struct cli_opt *o, const char *v, const char *shown, struct err *e)
{
	switch (o->kind) {
	case OPT_BOOL:
		if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
			*(bool *)o->dst = true;
		else if (!strcmp(v, "false") || !strcmp(v, "0"))
			*(bool *)o->dst = false;
		else
			return err_invalid(e,
					   "invalid argument \"%s\" for \"%s\" flag: "
					   "strconv.ParseBool: parsing \"%s\": invalid syntax",
					   v, shown, v);
		return 0;
	case OPT_STR:
		*(const char **)o->dst = v;
		return 0;
	case OPT_LIST:
		strv_push((char ***)o->dst, v);
		return 0;
	}
	return 0;
}

/* One "-abc" / "-e X" group; *i advances past a consumed value. */
static int parse_short(const struct cli_cmd_spec *s, int argc, char **argv, int *i, struct err *e)
{
	const char *a = argv[*i] + 1;
	for (; *a; a++) {
		if (*a == 'h' && !find_short(s->opts, 'h'))
			return 1;
		const struct cli_opt *o = find_short(s->opts, *a);
		if (!o)
			return err_invalid(e, "unknown shorthand flag: '%c' in -%s", *a,
					   argv[*i] + 1);
		char shown[3] = {'-', *a, 0};
		if (o->kind == OPT_BOOL) {
			if (a[1] == '=')
				return set_value(o, a + 2, shown, e);
			if (set_value(o, NULL, shown, e) < 0)
				return -1;
			continue;
		}
		if (a[1])
			return set_value(o, a[1] == '=' ? a + 2 : a + 1, shown, e);
		if (*i + 1 >= argc)
			return err_invalid(e, "flag needs an argument: '%c' in -%c", *a, *a);
		return set_value(o, argv[++*i], shown, e);
	}
	return 0;
}

static int parse_long(const struct cli_cmd_spec *s, int argc, char **argv, int *i, struct err *e)
{
	const char *a = argv[*i] + 2;
	const char *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	if (n == 4 && !strncmp(a, "help", 4))
		return 1;
	const struct cli_opt *o = find_long(s->opts, a, n);
	if (!o)
		return err_invalid(e, "unknown flag: --%.*s", (int)n, a);
	_cleanup_free_ char *shown = str_printf("--%s", o->lng);
	if (o->kind == OPT_BOOL)
		return set_value(o, eq ? eq + 1 : NULL, shown, e);
	if (eq)
		return set_value(o, eq + 1, shown, e);
	if (*i + 1 >= argc)
		return err_invalid(e, "flag needs an argument: --%s", o->lng);
	return set_value(o, argv[++*i], shown, e);
}

static int check_count(const struct cli_cmd_spec *s, size_t n, struct err *e)
{
	if ((int)n >= s->min_args && (s->max_args < 0 || (int)n <= s->max_args))
		return 0;
	/* docker's (cobra's) wording: 'berth rename' requires 2 arguments */
	if (s->min_args == s->max_args && s->min_args == 0)
		return err_invalid(e, "'berth %s' accepts no arguments", s->name);
	if (s->min_args == s->max_args)
		return err_invalid(e, "'berth %s' requires %d argument%s", s->name, s->min_args,
				   s->min_args == 1 ? "" : "s");
	if ((int)n < s->min_args)
		return err_invalid(e, "'berth %s' requires at least %d argument%s", s->name,
				   s->min_args, s->min_args == 1 ? "" : "s");
	return err_invalid(e, "'berth %s' requires at most %d argument%s", s->name, s->max_args,
			   s->max_args == 1 ? "" : "s");
}

int cli_opts_parse(const struct cli_cmd_spec *s, int argc, char **argv, char ***pos, struct err *e)
{
	size_t n = 0;
	char **out = xcalloc((size_t)argc + 1, sizeof(*out));
	bool flags_done = false;
	*pos = out;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc = 0;
		if (flags_done || a[0] != '-' || !a[1]) {
			out[n++] = argv[i];
			if (s->stop_at_arg)
				flags_done = true;
			continue;
		}
		if (!strcmp(a, "--")) {
			flags_done = true;
			continue;
		}
		rc = a[1] == '-' ? parse_long(s, argc, argv, &i, e)
				 : parse_short(s, argc, argv, &i, e);
		if (rc == 1) {
			cli_opts_usage(s, stdout);
			return 1;
		}
		if (rc < 0)
			return -1;
	}
	return check_count(s, n, e);
}

/* "-a, --all list" as the left column of a flag's usage line (malloc'd). */
static char *opt_left(const struct cli_opt *o)
{
	const char *help = o->help ? o->help : "";
	const char *tab = strchr(help, '\t');
	char sh[8] = "    ";
	if (o->sh)
		snprintf(sh, sizeof(sh), "-%c%s", o->sh, o->lng ? ", " : "");
	return str_printf("%s%s%s%s%.*s", sh, o->lng ? "--" : "", o->lng ? o->lng : "",
			  tab ? " " : "", tab ? (int)(tab - help) : 0, help);
}

void cli_opts_usage(const struct cli_cmd_spec *s, FILE *f)
{
	fprintf(f, "\nUsage:  berth %s %s\n\n%s\n", s->name, s->usage, s->about);
	if (!s->opts || !(s->opts->sh || s->opts->lng))
		return;
	fprintf(f, "\nOptions:\n");
	/* the descriptions line up after the widest flag, as cobra aligns them */
	int width = 0;
	for (const struct cli_opt *o = s->opts; o->sh || o->lng; o++) {
		_cleanup_free_ char *left = opt_left(o);
		if ((int)strlen(left) > width)
			width = (int)strlen(left);
	}
	for (const struct cli_opt *o = s->opts; o->sh || o->lng; o++) {
		const char *help = o->help ? o->help : "";
		const char *tab = strchr(help, '\t');
		_cleanup_free_ char *left = opt_left(o);
		fprintf(f, "  %-*s   %s\n", width, left, tab ? tab + 1 : help);
	}
}
