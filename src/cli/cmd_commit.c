/* cli/cmd_commit: commit (a container's changes as an image), export (its filesystem as a
 * tar stream) and container prune. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/stream.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

int cmd_commit(struct cli *c, int argc, char **argv)
{
	const char *author = NULL, *message = NULL;
	bool pause = true;
	_cleanup_strv_ char **changes = NULL;
	const struct cli_opt opts[] = {
	    {'a', "author", OPT_STR, &author,
	     "string\tAuthor (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")"},
	    {'c', "change", OPT_LIST, &changes,
	     "list\tApply Dockerfile instruction to the created image"},
	    {'m', "message", OPT_STR, &message, "string\tCommit message"},
	    {'p', "pause", OPT_BOOL, &pause, "Pause container during commit (default true)"},
	    {0}};
	const struct cli_cmd_spec spec = {"commit",
					  "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
					  "Create a new image from a container's changes",
					  1,
					  2,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	char *q = NULL;
	size_t ql = 0;
	FILE *f = open_memstream(&q, &ql);
	_cleanup_free_ char *ec = cli_http_escape(pos[0]);
	fprintf(f, "/commit?container=%s&pause=%d", ec, pause ? 1 : 0);
	if (pos[1]) {
		_cleanup_free_ char *repo = str_dup(pos[1]);
		char *last = strrchr(repo, '/'), *colon = strrchr(last ? last : repo, ':');
		if (colon)
			*colon++ = 0;
		_cleanup_free_ char *er = cli_http_escape(repo);
		_cleanup_free_ char *et = colon ? cli_http_escape(colon) : NULL;
		fprintf(f, "&repo=%s%s%s", er, et ? "&tag=" : "", et ? et : "");
	}
	if (author) {
		_cleanup_free_ char *x = cli_http_escape(author);
		fprintf(f, "&author=%s", x);
	}
	if (message) {
		_cleanup_free_ char *x = cli_http_escape(message);
		fprintf(f, "&comment=%s", x);
	}
	for (char **ch = changes; ch && *ch; ch++) {
		_cleanup_free_ char *x = cli_http_escape(*ch);
		fprintf(f, "&changes=%s", x);
	}
	fclose(f);
	_cleanup_free_ char *path = q;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = json_object(), *out = NULL;
	if (cli_post(c, path, body, &out, &e) < 0)
		return cli_report(&e, 1);
	printf("%s\n", json_string_value(json_object_get(out, "Id")) ?: "");
	return 0;
}

static int fd_sink(const char *buf, size_t n, void *ud)
{
	return buf ? fs_write_all(*(int *)ud, buf, n) : 0;
}

int cmd_export(struct cli *c, int argc, char **argv)
{
	const char *output = NULL;
	const struct cli_opt opts[] = {
	    {'o', "output", OPT_STR, &output, "string\tWrite to a file, instead of STDOUT"}, {0}};
	const struct cli_cmd_spec spec = {"export",
					  "[OPTIONS] CONTAINER",
					  "Export a container's filesystem as a tar archive",
					  1,
					  1,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (!output && isatty(1)) {
		fprintf(stderr,
			"berth: cowardly refusing to save to a terminal. Use the -o flag or "
			"redirect\n");
		return 1;
	}
	/* written beside the target and renamed at the end: no half archive under its name */
	_cleanup_free_ char *tmp = output ? str_printf("%s.tmp-berth", output) : NULL;
	_cleanup_close_ int fd =
	    output ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : dup(1);
	if (fd < 0) {
		fprintf(stderr, "berth: open %s: %m\n", output);
		return 1;
	}
	_cleanup_free_ char *ec = cli_http_escape(pos[0]);
	_cleanup_free_ char *path = str_printf("/containers/%s/export", ec);
	struct err e = ERR_INIT;
	struct cli_http *h = cli_api(c, &e);
	int rc = h ? cli_http_stream(h, "GET", path, NULL, NULL, NULL, fd_sink, &fd, NULL, &e) : -1;
	if (rc < 0) {
		if (tmp)
			unlink(tmp);
		return cli_report(&e, 1);
	}
	if (tmp && rename(tmp, output) < 0) {
		fprintf(stderr, "berth: rename %s: %m\n", output);
		unlink(tmp);
		return 1;
	}
	return 0;
}

int cmd_container_prune(struct cli *c, int argc, char **argv)
{
	bool force = false;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
	    {0, "filter", OPT_LIST, &filters,
	     "filter\tProvide filter values (e.g. \"until=<timestamp>\")"},
	    {'f', "force", OPT_BOOL, &force, "Do not prompt for confirmation"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "container prune", "[OPTIONS]", "Remove all stopped containers", 0, 0, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (!force && !cli_confirm("WARNING! This will remove all stopped containers."))
		return 0;
	return cli_prune_post(c, "/containers/prune", filters, "ContainersDeleted",
			      "Deleted Containers:", true);
}
