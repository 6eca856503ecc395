/* cli_opt: option parsing. */
#include "runtime/cli_opt.h"

#include <stdlib.h>
#include <string.h>

#include "util/str.h"

bool cli_opt_bool(const char *val)
{
	return !val || !(strcmp(val, "false") == 0 || strcmp(val, "0") == 0);
}

static const struct cli_opt *find(const struct cli_opt *opts, const char *name, size_t len)
{
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		if (len == 1 && o->short_name == name[0])
			return o;
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	}
	return NULL;
}

/* One option at argv[*i]; advances *i past its value. */
static int parse_one(int argc, char **argv, int *i, const struct cli_opt *opts, cli_opt_fn fn,
		     void *ctx, struct err *e)
{
	const char *a = argv[*i];
	const char *name = a + (a[1] == '-' ? 2 : 1);
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct cli_opt *o = find(opts, name, len);
	if (!o)
		return err_invalid(e, "flag provided but not defined: -%.*s", (int)len, name);
	const char *val = eq ? eq + 1 : NULL;
	if (o->has_arg && !val) {
		if (*i + 1 >= argc)
			return err_invalid(e, "flag needs an argument: -%s", o->name);
		val = argv[++*i];
	}
	return fn(ctx, o->id, val, e);
}

int cli_opt_parse(int argc, char **argv, const struct cli_opt *opts, cli_opt_fn fn, void *ctx,
		  bool interleaved, char ***args, struct err *e)
{
	char **out = xcalloc((size_t)argc + 1, sizeof(char *));
	int n = 0, i = 0;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (!interleaved)
				break;
			out[n++] = argv[i];
			continue;
		}
		if (parse_one(argc, argv, &i, opts, fn, ctx, e) < 0) {
			free(out);
			return -1;
		}
	}
	for (; i < argc; i++)
		out[n++] = argv[i];
	*args = out;
	return n;
}
