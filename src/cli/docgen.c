/* cli/docgen: the man page and the bash/zsh completion scripts, made from the command table
 * and each command's own flag spec (the text its --help prints), so they never drift. */
#include <stdio.h>
#include <string.h>

#include "cli/docgen.h"
#include "util/cleanup.h"
#include "util/str.h"

static struct doc *capturing;

static void capture(const struct cli_cmd_spec *s)
{
	struct doc_cmd *d = &capturing->v[capturing->n - 1];
	size_t n = 0;
	while (s->opts && (s->opts[n].sh || s->opts[n].lng))
		n++;
	d->opts = xcalloc(n + 1, sizeof(*d->opts));
	if (n)
		memcpy(d->opts, s->opts, n * sizeof(*d->opts));
	d->spec = *s;
	/* name/usage/about may be built on the command's stack (typed inspect) */
	d->spec.name = str_dup(s->name);
	d->spec.usage = str_dup(s->usage);
	d->spec.about = str_dup(s->about);
	d->spec.opts = d->opts;
}

static void doc_add(struct doc *doc, const char *path, const struct cli_command *cmd)
{
	doc->v = xrealloc(doc->v, (doc->n + 1) * sizeof(*doc->v));
	doc->v[doc->n++] = (struct doc_cmd){.path = str_dup(path), .cmd = cmd};
	if (!cmd->fn)
		return;
	struct cli c = {0};
	char *argv[] = {(char *)cmd->name, NULL};
	capturing = doc;
	cli_spec_hook = capture;
	cmd->fn(&c, 1, argv);
	cli_spec_hook = NULL;
	capturing = NULL;
}

/* Every command and group, groups followed by their commands (aliases included). */
void doc_collect(struct doc *doc)
{
	*doc = (struct doc){0};
	for (const struct cli_command *c = CLI_COMMANDS; c->name; c++) {
		doc_add(doc, c->name, c);
		for (const struct cli_command *s = c->subs; s && s->name; s++) {
			_cleanup_free_ char *p = str_printf("%s %s", c->name, s->name);
			doc_add(doc, p, s);
		}
	}
}

void doc_free(struct doc *doc)
{
	for (size_t i = 0; i < doc->n; i++) {
		free(doc->v[i].path);
		free(doc->v[i].opts);
		free((char *)doc->v[i].spec.name);
		free((char *)doc->v[i].spec.usage);
		free((char *)doc->v[i].spec.about);
	}
	free(doc->v);
}

/* What a command's positional arguments name, read from its usage text. */
const char *doc_arg_kind(const struct doc_cmd *d)
{
	/* the first argument after [OPTIONS] decides: "IMAGE [COMMAND]", "file|URL|-" */
	_cleanup_strv_ char **words = strv_split(d->spec.usage ? d->spec.usage : "", " \t\n");
	const char *u = "";
	for (char **w = words; w && *w; w++)
		if (strcmp(*w, "[OPTIONS]")) {
			u = *w + strspn(*w, "[");
			break;
		}
	if (strstr(u, "CONTAINER") || strstr(u, "NAME|ID"))
		return "container";
	if (strstr(u, "IMAGE") || strstr(u, "REPOSITORY") || str_has_prefix(u, "NAME"))
		return "image";
	if (strstr(u, "VOLUME"))
		return "volume";
	if (strstr(u, "NETWORK"))
		return "network";
	return "file";
}

/* roff text: backslashes doubled, '-' as \-, no line starting with '.' or '\''. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\n')
			fputc(' ', f); /* filled text; a header stays on one line */
		else if (*s == '\t')
			continue;
		else
			fputc(*s, f);
	}
}

static void man_opts(FILE *f, const struct cli_opt *o)
{
	for (; o->sh || o->lng; o++) {
		const char *help = o->help ? o->help : "";
		const char *tab = strchr(help, '\t');
		fputs(".TP\n.B ", f);
		if (o->sh)
			fprintf(f, "\\-%c%s", o->sh, o->lng ? ", " : "");
		if (o->lng) {
			fputs("\\-\\-", f);
			roff(f, o->lng);
		}
		if (tab) {
			_cleanup_free_ char *v = str_ndup(help, (size_t)(tab - help));
			fputs(" \\fI", f);
			roff(f, v);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff(f, tab ? tab + 1 : help);
		fputc('\n', f);
	}
}

static const char MAN_HEAD[] =
    ".TH BERTH 1 \"\" \"berth " BERTH_CLI_VERSION "\" \"User Commands\"\n"
    ".SH NAME\nberth \\- a Docker\\-compatible container engine (CLI)\n"
    ".SH SYNOPSIS\n.B berth\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARG\\fR...]\n"
    ".SH DESCRIPTION\nberth talks to the berth daemon (berthd) over the Engine API on a Unix "
    "socket, with docker's commands, flags and output. When no daemon listens on the default "
    "socket, the first command starts one in the background (log in /var/log/berth.log).\n"
    ".SH GLOBAL OPTIONS\n.TP\n.B \\-H, \\-\\-host \\fIunix://PATH\\fR\nDaemon socket to "
    "connect to (default unix:///run/berth/berth.sock).\n.TP\n.B \\-h, \\-\\-help\nPrint "
    "usage.\n.TP\n.B \\-v, \\-\\-version\nPrint version information and quit.\n"
    ".SH COMMANDS\n.SS \"berth daemon [OPTIONS]\"\nRun the daemon (berthd) in the foreground; "
    "\\fBberthd \\-\\-help\\fR lists its options.\n"
    ".SS \"berth runtime COMMAND\"\nThe OCI runtime (berth\\-runc), runc's command line.\n";

static const char MAN_TAIL[] =
    ".SH ENVIRONMENT\n.TP\n.B BERTH_HOST, DOCKER_HOST\nThe daemon socket when \\-H is not "
    "given (unix://PATH).\n.TP\n.B NO_COLOR\nNo colours even on a terminal.\n"
    ".SH FILES\n.TP\n/run/berth/berth.sock\nThe default daemon socket.\n.TP\n/var/lib/berth\n"
    "The daemon's state: images, containers, volumes.\n.TP\n/var/log/berth.log\nThe log of a "
    "daemon started by the CLI.\n"
    ".SH EXIT STATUS\n0 on success; 125 when the daemon or the CLI fails (bad flags, daemon "
    "errors); 126 when the container's command cannot be invoked; 127 when it is not found; "
    "otherwise the container's own exit status (run, start \\-a, wait prints it).\n"
    ".SH SEE ALSO\n\\fBdocker\\fR(1), \\fBberthd\\fR \\-\\-help, \\fBberth\\-runc\\fR \\-\\-help\n";

int cli_doc_man(FILE *f)
{
	struct doc doc;
	doc_collect(&doc);
	fputs(MAN_HEAD, f);
	for (size_t i = 0; i < doc.n; i++) {
		const struct doc_cmd *d = &doc.v[i];
		if (d->cmd->alias || !strcmp(d->path, "help") || !strcmp(d->path, "completion"))
			continue;
		fputs(".SS \"berth ", f);
		roff(f, d->path);
		fputs(d->cmd->subs ? " COMMAND" : "", f);
		if (d->spec.usage) {
			fputc(' ', f);
			roff(f, d->spec.usage);
		}
		fputs("\"\n", f);
		roff(f, d->spec.about ? d->spec.about : d->cmd->about);
		fputc('\n', f);
		if (d->opts)
			man_opts(f, d->opts);
	}
	fputs(MAN_TAIL, f);
	doc_free(&doc);
	return 0;
}
