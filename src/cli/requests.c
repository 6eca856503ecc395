/* cli/requests: requests several commands make alike: one per name given (rm, stop, start,
 * update, volume/network rm), and a GET of a container's sub-resource by name. */
#include <stdio.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/str.h"

int cli_each_name(struct cli *c, char **names, const struct cli_each *x)
{
	int rc = 0;
	for (char **n = names; *n; n++) {
		struct err e = ERR_INIT;
		_cleanup_free_ char *en = cli_http_escape(*n);
		_cleanup_free_ char *path = str_printf("%s%s%s", x->prefix, en, x->suffix);
		int r =
		    x->body ? cli_post(c, path, x->body, NULL, &e) : cli_do(c, x->method, path, &e);
		if (r < 0) {
			if (x->missing_quiet && e.kind == ERR_NOT_FOUND)
				continue;
			cli_report(&e, 1);
			if (!(x->missing_ok && e.kind == ERR_NOT_FOUND))
				rc = 1;
			/* no daemon: the other names would only repeat the error */
			if (e.kind == ERR_UNAVAILABLE && !x->keep_going)
				return 1;
			continue;
		}
		printf("%s\n", *n);
	}
	return rc;
}

int cli_get_container(struct cli *c, const char *name, const char *what, json_t **out,
		      struct err *e)
{
	_cleanup_free_ char *en = cli_http_escape(name);
	_cleanup_free_ char *path = str_printf("/containers/%s/%s", en, what);
	return cli_get(c, path, out, e);
}
