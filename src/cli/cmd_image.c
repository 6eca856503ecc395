/* cli/cmd_image: image commands: rmi, tag, import, save, load, history, image prune and
 * the `berth image ...` group. Streams of JSON messages are printed as docker does. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "cli/progress.h"
#include "cli/stream.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

/* An upload from fd, its byte count drawn on stderr when that is a terminal. */
struct upload {
	int fd;
	uint64_t sent, total;
	const char *label;
	struct progress bar;
};

static long upload_source(char *buf, size_t n, void *ud)
{
	struct upload *u = ud;
	ssize_t r = read(u->fd, buf, n);
	if (r < 0)
		return -1;
	u->sent += (uint64_t)r;
	progress_bytes(&u->bar, u->label, u->sent, u->total, r == 0);
	return (long)r;
}

/* method path with a body from fd (or none), the reply's JSON messages shown as docker shows
 * them (progress, status lines, errors); exit status. */
static int stream_msgs(struct cli *c, const char *method, const char *path, int fd,
		       const char *ctype, const char *label)
{
	struct err e = ERR_INIT;
	struct progress pr;
	struct upload up = {.fd = fd, .label = label};
	struct stat stt;
	if (fd >= 0 && fstat(fd, &stt) == 0 && S_ISREG(stt.st_mode))
		up.total = (uint64_t)stt.st_size;
	progress_init(&up.bar, stderr, false);
	progress_init(&pr, stdout, false);
	struct cli_http *h = cli_api(c, &e);
	int rc = h ? cli_http_stream(h, method, path, ctype, fd >= 0 ? upload_source : NULL, &up,
				     progress_feed, &pr, NULL, &e)
		   : -1;
	progress_finish(&pr);
	if (rc < 0)
		return cli_report(&e, 1);
	if (pr.err[0]) {
		fprintf(stderr, "%s\n", pr.err);
		return 1;
	}
	return 0;
}

int cmd_import(struct cli *c, int argc, char **argv)
{
	const char *message = NULL, *platform = NULL;
	_cleanup_strv_ char **changes = NULL;
	const struct cli_opt opts[] = {
	    {'c', "change", OPT_LIST, &changes,
	     "list\tApply Dockerfile instruction to the created image"},
	    {'m', "message", OPT_STR, &message, "string\tSet commit message for imported image"},
	    {0, "platform", OPT_STR, &platform,
	     "string\tSet platform if server is multi-platform capable"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "import",
	    "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
	    "Import the contents from a tarball to create a filesystem image",
	    1,
	    2,
	    false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	/* a URL is fetched by the daemon (no body); a file or stdin is uploaded */
	bool url = str_has_prefix(pos[0], "http://") || str_has_prefix(pos[0], "https://");
	_cleanup_close_ int fd = url		       ? -1
				 : strcmp(pos[0], "-") ? open(pos[0], O_RDONLY | O_CLOEXEC)
						       : dup(0);
	if (fd < 0 && !url) {
		fprintf(stderr, "open %s: %m\n", pos[0]);
		return 1;
	}
	_cleanup_free_ char *src = url ? cli_http_escape(pos[0]) : str_dup("-");
	char *q = NULL;
	size_t ql = 0;
	FILE *f = open_memstream(&q, &ql);
	fprintf(f, "/images/create?fromSrc=%s", src);
	cli_http_query_add(f, "repo", pos[1]);
	cli_http_query_add(f, "platform", platform);
	cli_http_query_add(f, "message", message);
	cli_http_query_add_all(f, "changes", changes);
	fclose(f);
	int rc = stream_msgs(c, "POST", q, fd, "application/x-tar", "Importing");
	free(q);
	return rc;
}

int cmd_load(struct cli *c, int argc, char **argv)
{
	const char *input = NULL;
	bool quiet = false;
	const struct cli_opt opts[] = {
	    {'i', "input", OPT_STR, &input, "string\tRead from tar archive file, instead of STDIN"},
	    {'q', "quiet", OPT_BOOL, &quiet, "Suppress the load output"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "load", "[OPTIONS]", "Load an image from a tar archive or STDIN", 0, 0, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	_cleanup_close_ int fd = input ? open(input, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0) {
		fprintf(stderr, "open %s: %m\n", input ? input : "stdin");
		return 1;
	}
	if (!input && isatty(0)) {
		fprintf(stderr, "requested load from stdin, but stdin is empty\n");
		return 1;
	}
	return stream_msgs(c, "POST", quiet || !isatty(1) ? "/images/load?quiet=1" : "/images/load",
			   fd, "application/x-tar", "Loading");
}

struct download {
	int fd;
	uint64_t got;
	struct progress bar;
};

static int save_sink(const char *buf, size_t n, void *ud)
{
	struct download *d = ud;
	if (!buf)
		return 0;
	d->got += n;
	progress_bytes(&d->bar, "Saving", d->got, 0, false);
	return fs_write_all(d->fd, buf, n);
}

int cmd_save(struct cli *c, int argc, char **argv)
{
	const char *output = NULL;
	const struct cli_opt opts[] = {
	    {'o', "output", OPT_STR, &output, "string\tWrite to a file, instead of STDOUT"}, {0}};
	const struct cli_cmd_spec spec = {
	    "save",
	    "[OPTIONS] IMAGE [IMAGE...]",
	    "Save one or more images to a tar archive (streamed to STDOUT by default)",
	    1,
	    -1,
	    false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct cli_output out;
	if (cli_output_open(&out, output, "") < 0)
		return 1;
	char *q = NULL;
	size_t ql = 0;
	FILE *f = open_memstream(&q, &ql);
	fputs("/images/get?", f);
	for (char **n = pos; *n; n++) {
		_cleanup_free_ char *en = cli_http_escape(*n);
		fprintf(f, "%snames=%s", n == pos ? "" : "&", en);
	}
	fclose(f);
	struct err e = ERR_INIT;
	struct cli_http *h = cli_api(c, &e);
	struct download d = {.fd = out.fd};
	progress_init(&d.bar, stderr, false);
	int rc = h ? cli_http_stream(h, "GET", q, NULL, NULL, NULL, save_sink, &d, NULL, &e) : -1;
	if (rc == 0)
		progress_bytes(&d.bar, "Saved", d.got, 0, true);
	free(q);
	if (cli_output_close(&out, rc == 0) < 0)
		return 1;
	return rc < 0 ? cli_report(&e, 1) : 0;
}

int cmd_rmi(struct cli *c, int argc, char **argv)
{
	bool force = false, noprune = false;
	const struct cli_opt opts[] = {
	    {'f', "force", OPT_BOOL, &force, "Force removal of the image"},
	    {0, "no-prune", OPT_BOOL, &noprune, "Do not delete untagged parents"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "rmi", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", 1, -1, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st, rc = 0;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	for (char **n = pos; *n; n++) {
		struct err e = ERR_INIT;
		struct cli_resp r = {0};
		_cleanup_free_ char *en = cli_http_escape(*n);
		_cleanup_free_ char *path = str_printf(
		    "/images/%s?%s%s", en, force ? "force=1&" : "", noprune ? "noprune=1" : "");
		struct cli_http *h = cli_api(c, &e);
		if (!h || cli_http_do(h, "DELETE", path, NULL, &r, &e) < 0) {
			cli_resp_release(&r);
			rc = cli_report(&e, 1);
			continue;
		}
		_cleanup_json_ json_t *j = json_loadb(r.body, r.len, 0, NULL);
		cli_resp_release(&r);
		size_t i;
		json_t *it;
		json_array_foreach (j, i, it) {
			const char *u = json_string_value(json_object_get(it, "Untagged"));
			const char *d = json_string_value(json_object_get(it, "Deleted"));
			if (u)
				printf("Untagged: %s\n", u);
			if (d)
				printf("Deleted: %s\n", d);
		}
	}
	return rc;
}

int cmd_tag(struct cli *c, int argc, char **argv)
{
	const struct cli_opt opts[] = {{0}};
	const struct cli_cmd_spec spec = {"tag",
					  "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
					  "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
					  2,
					  2,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	_cleanup_free_ char *repo = str_dup(pos[1]);
	const char *tag = "latest";
	char *colon = strrchr(repo, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = 0;
		tag = colon + 1;
	}
	_cleanup_free_ char *es = cli_http_escape(pos[0]), *er = cli_http_escape(repo);
	_cleanup_free_ char *et = cli_http_escape(tag);
	_cleanup_free_ char *path = str_printf("/images/%s/tag?repo=%s&tag=%s", es, er, et);
	struct err e = ERR_INIT;
	return cli_do(c, "POST", path, &e) < 0 ? cli_report(&e, 1) : 0;
}
