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
		cli_http_query_add(f, "repo", repo);
		cli_http_query_add(f, "tag", colon);
	}
	cli_http_query_add(f, "author", author);
	cli_http_query_add(f, "comment", message);
	cli_http_query_add_all(f, "changes", changes);
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
	struct cli_output out;
	if (cli_output_open(&out, output, "berth: ") < 0)
		return 1;
	_cleanup_free_ char *ec = cli_http_escape(pos[0]);
	_cleanup_free_ char *path = str_printf("/containers/%s/export", ec);
	struct err e = ERR_INIT;
	struct cli_http *h = cli_api(c, &e);
	int rc =
	    h ? cli_http_stream(h, "GET", path, NULL, NULL, NULL, fd_sink, &out.fd, NULL, &e) : -1;
	if (cli_output_close(&out, rc == 0) < 0)
		return 1;
	return rc < 0 ? cli_report(&e, 1) : 0;
}

int cmd_container_prune(struct cli *c, int argc, char **argv)
{
	static const struct cli_prune_kind k = {"container prune",
						"Remove all stopped containers",
						"WARNING! This will remove all stopped containers.",
						"/containers/prune",
						"ContainersDeleted",
						"Deleted Containers:",
						true};
	return cli_prune_main(c, argc, argv, &k);
}
