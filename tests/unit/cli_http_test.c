/* Unit tests for the CLI's wire layer and displays: reply heads and bodies (length, chunked,
 * to EOF, interim 1xx), query escaping (src/cli/http_conn.c, http.c), and the progress
 * display of JSON message streams on a terminal and elsewhere (src/cli/progress.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/http.h"
#include "cli/http_conn.h"
#include "cli/progress.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/str.h"

struct collect {
	char buf[4096];
	size_t len;
	int stop_after; /* calls before returning -1 (0: never) */
	int calls;
};

static int collect(const char *b, size_t n, void *ud)
{
	struct collect *c = ud;
	memcpy(c->buf + c->len, b, n);
	c->len += n;
	c->buf[c->len] = 0;
	return ++c->calls == c->stop_after ? -1 : 0;
}

/* The reply text written into one end of a socket pair (closed), read from the other. */
static int parse(const char *reply, struct http_head *h, struct collect *c, bool head_only,
		 struct err *e)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	if (write(sv[0], reply, strlen(reply)) != (ssize_t)strlen(reply))
		return -1;
	close(sv[0]);
	struct http_rd *rd = xmalloc(sizeof(*rd));
	http_rd_init(rd, sv[1]);
	int rc = http_read_head(rd, h, e);
	if (rc == 0)
		rc = http_read_body(rd, h, head_only, collect, c, e);
	free(rd);
	close(sv[1]);
	return rc;
}

static void test_bodies(void)
{
	struct http_head h;
	struct collect c = {0};
	struct err e = ERR_INIT;
	is_int(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhelloEXTRA", &h, &c,
		     false, &e),
	       0, "length body");
	is_int(h.status, 200, "status");
	is_str(c.buf, "hello", "only Content-Length bytes");
	c = (struct collect){0};
	is_int(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ntransfer-encoding: "
		     "Chunked\r\n\r\n3\r\nabc\r\na;ext=1\r\n0123456789\r\n0\r\nT: 1\r\n\r\n",
		     &h, &c, false, &e),
	       0, "chunked body after an interim reply");
	is_int(h.status, 201, "final status, not the 100");
	is_str(c.buf, "abc0123456789", "chunks joined, extension ignored, trailer skipped");
	c = (struct collect){0};
	is_int(parse("HTTP/1.0 404 Not Found\r\nConnection: close\r\n\r\n{\"message\":\"x\"}", &h,
		     &c, false, &e),
	       0, "body to EOF");
	ok(h.close && h.status == 404 && !strcmp(c.buf, "{\"message\":\"x\"}"), "EOF body kept");
	c = (struct collect){0};
	is_int(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", &h, &c, false, &e), -1,
	       "a body cut short is an error");
	c = (struct collect){0};
	is_int(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", &h, &c, true, &e), 0,
	       "HEAD has no body");
	c = (struct collect){0};
	is_int(parse("HTTP/1.1 204 No Content\r\n\r\n", &h, &c, false, &e), 0, "204 no body");
	c = (struct collect){.stop_after = 1};
	is_int(
	    parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n"
		  "\r\n",
		  &h, &c, false, &e),
	    1, "a sink that stops ends the read");
	is_str(c.buf, "a", "nothing after the stop");
	c = (struct collect){0};
	is_int(parse("SSH-2.0-x\r\n\r\n", &h, &c, false, &e), -1, "not HTTP");
	c = (struct collect){0};
	is_int(
	    parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &h, &c, false, &e),
	    -1, "bad chunk size");
}

static void test_escape(void)
{
	_cleanup_free_ char *a = cli_http_escape("busybox:latest");
	is_str(a, "busybox%3Alatest", "colon escaped");
	_cleanup_free_ char *b = cli_http_escape("{\"a\":{\"b c\":true}}");
	is_str(b, "%7B%22a%22%3A%7B%22b%20c%22%3Atrue%7D%7D", "JSON filter escaped");
	_cleanup_free_ char *c = cli_http_escape("a-b_c.d~e");
	is_str(c, "a-b_c.d~e", "unreserved kept");
}

static char *show(bool tty, const char *stream)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct progress p;
	progress_init(&p, f, false);
	p.tty = tty;
	p.color = false;
	progress_feed(NULL, 0, &p);
	/* fed in two pieces: lines may arrive split */
	size_t half = strlen(stream) / 2;
	progress_feed(stream, half, &p);
	progress_feed(stream + half, strlen(stream) - half, &p);
	progress_finish(&p);
	fclose(f);
	return out;
}

static void test_progress(void)
{
	const char *s =
	    "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}\n"
	    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"aaa\"}\n"
	    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":500,\"total\":1000},"
	    "\"id\":\"aaa\"}\n"
	    "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"aaa\"}\n"
	    "{\"status\":\"Digest: sha256:abc\"}\n"
	    "{\"status\":\"Status: Downloaded newer image for busybox:latest\"}";
	_cleanup_free_ char *plain = show(false, s);
	is_str(plain,
	       "latest: Pulling from library/busybox\naaa: Pulling fs layer\naaa: Pull "
	       "complete\nDigest: sha256:abc\nStatus: Downloaded newer image for busybox:latest\n",
	       "not a terminal: status lines, no progress updates");
	_cleanup_free_ char *tty = show(true, s);
	ok(strstr(tty, "\033[1A\033[2K\raaa: Downloading [=========================>") != NULL,
	   "terminal: the layer's line redrawn with a bar");
	ok(strstr(tty, "500B/1kB") != NULL, "terminal: current/total in units");
	ok(strstr(tty, "\033[1A\033[2K\raaa: Pull complete\033[1B") != NULL,
	   "terminal: the same line gets the final status");
	const char *imp =
	    "{\"status\":\"Downloading from u\"}\n"
	    "{\"status\":\"Importing\",\"progressDetail\":{\"current\":5,\"total\":10},"
	    "\"progress\":\"[==>  ] 5B/10B\"}\n"
	    "{\"status\":\"sha256:abc\"}\n";
	_cleanup_free_ char *imp_plain = show(false, imp);
	is_str(imp_plain, "Downloading from u\nsha256:abc\n", "import: no bar off a terminal");
	_cleanup_free_ char *imp_tty = show(true, imp);
	is_str(imp_tty,
	       "Downloading from u\n\033[2K\rImporting [==>  ] 5B/10B\r\033[2K\rsha256:abc\n",
	       "import: the bar redrawn in place, then replaced by the ID");
	_cleanup_free_ char *err = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct progress p;
	progress_init(&p, f, false);
	const char *e = "{\"errorDetail\":{\"message\":\"boom\"},\"error\":\"boom\"}\n";
	progress_feed(e, strlen(e), &p);
	progress_finish(&p);
	fclose(f);
	err = out;
	is_str(p.err, "boom", "the stream's error kept for the caller");
	is_str(err, "", "and not printed as a status");
}

int main(void)
{
	test_bodies();
	test_escape();
	test_progress();
	return tap_done();
}
