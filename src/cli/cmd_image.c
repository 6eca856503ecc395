/* cli/cmd_image: image commands: rmi, tag, import, save, load, history, image prune and
 * the `berth image ...` group. Streams of JSON messages are printed as docker does. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "cli/stream.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* JSON messages (one per line): "stream" text and "status" lines printed, errors kept. */
struct msgs {
	char *buf;
	size_t len;
	char err[1024];
	bool quiet_status;
};

static void msg_line(struct msgs *m, const char *line, size_t n)
{
	_cleanup_json_ json_t *j = json_loadb(line, n, 0, NULL);
	if (!j)
		return;
	const char *err = json_string_value(json_object_get(j, "error"));
	const char *stream = json_string_value(json_object_get(j, "stream"));
	const char *status = json_string_value(json_object_get(j, "status"));
	const char *id = json_string_value(json_object_get(j, "id"));
	if (err) {
		snprintf(m->err, sizeof(m->err), "%s", err);
	} else if (stream) {
		fputs(stream, stdout);
	} else if (status && !(m->quiet_status && json_object_get(j, "progressDetail"))) {
		printf("%s%s%s\n", id ? id : "", id ? ": " : "", status);
	}
}

static int msgs_sink(const char *buf, size_t n, void *ud)
{
	struct msgs *m = ud;
	if (!buf)
		return 0;
	m->buf = xrealloc(m->buf, m->len + n + 1);
	memcpy(m->buf + m->len, buf, n);
	m->len += n;
	char *nl;
	size_t off = 0;
	while ((nl = memchr(m->buf + off, '\n', m->len - off))) {
		msg_line(m, m->buf + off, (size_t)(nl - m->buf - off));
		off = (size_t)(nl - m->buf) + 1;
	}
	memmove(m->buf, m->buf + off, m->len - off);
	m->len -= off;
	fflush(stdout);
	return 0;
}

static long fd_source(char *buf, size_t n, void *ud)
{
	ssize_t r = read(*(int *)ud, buf, n);
	return r < 0 ? -1 : (long)r;
}

/* method path with body from fd (or none), messages printed; exit status. */
static int stream_msgs(struct cli *c, const char *method, const char *path, int fd,
		       const char *ctype)
{
	struct err e = ERR_INIT;
	struct msgs m = {.quiet_status = true};
	struct cli_http *h = cli_api(c, &e);
	int rc = h ? cli_http_stream(h, method, path, ctype, fd >= 0 ? fd_source : NULL, &fd,
				     msgs_sink, &m, NULL, &e)
		   : -1;
	if (m.len)
		msg_line(&m, m.buf, m.len);
	free(m.buf);
	if (rc < 0)
		return cli_report(&e, 1);
	if (m.err[0]) {
		fprintf(stderr, "%s\n", m.err);
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
	_cleanup_close_ int fd = strcmp(pos[0], "-") ? open(pos[0], O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0) {
		fprintf(stderr, "open %s: %m\n", pos[0]);
		return 1;
	}
	char *q = NULL;
	size_t ql = 0;
	FILE *f = open_memstream(&q, &ql);
	fputs("/images/create?fromSrc=-", f);
	if (pos[1]) {
		_cleanup_free_ char *r = cli_http_escape(pos[1]);
		fprintf(f, "&repo=%s", r);
	}
	if (message) {
		_cleanup_free_ char *m = cli_http_escape(message);
		fprintf(f, "&message=%s", m);
	}
	for (char **ch = changes; ch && *ch; ch++) {
		_cleanup_free_ char *m = cli_http_escape(*ch);
		fprintf(f, "&changes=%s", m);
	}
	fclose(f);
	int rc = stream_msgs(c, "POST", q, fd, "application/x-tar");
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
			   fd, "application/x-tar");
}

static int fd_sink(const char *buf, size_t n, void *ud)
{
	return buf ? write_all(*(int *)ud, buf, n) : 0;
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
	if (!output && isatty(1)) {
		fprintf(stderr,
			"berth: cowardly refusing to save to a terminal. Use the -o flag or "
			"redirect\n");
		return 1;
	}
	_cleanup_free_ char *tmp = output ? str_printf("%s.tmp-berth", output) : NULL;
	_cleanup_close_ int fd =
	    output ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : dup(1);
	if (fd < 0) {
		fprintf(stderr, "open %s: %m\n", output);
		return 1;
	}
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
	int rc = h ? cli_http_stream(h, "GET", q, NULL, NULL, NULL, fd_sink, &fd, NULL, &e) : -1;
	free(q);
	if (rc < 0) {
		if (tmp)
			unlink(tmp);
		return cli_report(&e, 1);
	}
	if (tmp && rename(tmp, output) < 0) {
		fprintf(stderr, "rename %s: %m\n", output);
		return 1;
	}
	return 0;
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
