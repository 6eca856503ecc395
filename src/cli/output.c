/* cli/output: where export and save write an archive: -o FILE or stdout (refused on a
 * terminal); FILE is written beside itself and renamed at the end, so no half archive ever
 * has its name. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/str.h"

int cli_output_open(struct cli_output *o, const char *path, const char *prefix)
{
	*o = (struct cli_output){.fd = -1, .path = path, .prefix = prefix};
	if (!path && isatty(1)) {
		fprintf(stderr,
			"berth: cowardly refusing to save to a terminal. Use the -o flag or "
			"redirect\n");
		return -1;
	}
	o->tmp = path ? str_printf("%s.tmp-berth", path) : NULL;
	o->fd = path ? open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : dup(1);
	if (o->fd < 0) {
		fprintf(stderr, "%sopen %s: %m\n", prefix, path);
		free(o->tmp);
		return -1;
	}
	return 0;
}

int cli_output_close(struct cli_output *o, bool ok)
{
	int r = 0;
	close(o->fd);
	if (o->tmp && ok && rename(o->tmp, o->path) < 0) {
		fprintf(stderr, "%srename %s: %m\n", o->prefix, o->path);
		ok = false;
		r = -1;
	}
	if (o->tmp && !ok)
		unlink(o->tmp);
	free(o->tmp);
	return r;
}
