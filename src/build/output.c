/* build/output: the build's JSON message stream as dockerd writes it: {"stream": text}
 * lines, {"aux": {"ID"}} per stage, {"errorDetail": {...}, "error": ...} at a failure. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/build_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static void write_all(struct build *b, const char *s, size_t len)
{
	while (len > 0 && !b->cancelled) {
		ssize_t n = write(b->out, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			b->cancelled = true; /* the reader closed: the client left */
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

void build_send(struct build *b, json_t *msg)
{
	_cleanup_free_ char *s = jx_dumps(msg);
	json_decref(msg);
	_cleanup_free_ char *line = str_printf("%s\r\n", s);
	pthread_mutex_lock(&b->out_mu);
	write_all(b, line, strlen(line));
	pthread_mutex_unlock(&b->out_mu);
}

/* A stream message; with q=1 kept aside (dockerd's notVerboseBuffer, shown at a failure). */
static void say(struct build *b, json_t *msg)
{
	if (!b->o.quiet && b->out >= 0) {
		build_send(b, msg);
		return;
	}
	_cleanup_free_ char *s = jx_dumps(msg);
	json_decref(msg);
	char **to = b->o.quiet ? &b->held : &b->early;
	char *text = str_printf("%s%s\r\n", *to ? *to : "", s);
	free(*to);
	*to = text;
}

void build_say_json(struct build *b, json_t *msg)
{
	say(b, msg);
}

int build_send_early(struct build *b)
{
	if (b->early) {
		pthread_mutex_lock(&b->out_mu);
		write_all(b, b->early, strlen(b->early));
		pthread_mutex_unlock(&b->out_mu);
		free(b->early);
		b->early = NULL;
	}
	if (!b->late_failed)
		return 0;
	build_fail(b, &b->late, 0);
	return -1;
}

void build_say(struct build *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = NULL;
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text)
		say(b, json_pack("{s:s}", "stream", text));
	free(text);
}

/* Container output; stderr in red as dockerd's builder wraps it. Bytes that are not UTF-8
 * become '?' (jansson refuses such strings). */
void build_say_raw(struct build *b, const char *text, size_t len, bool stderr_)
{
	_cleanup_free_ char *s =
	    stderr_ ? str_printf("\033[91m%.*s\033[0m", (int)len, text) : str_ndup(text, len);
	json_t *v = json_string(s);
	if (!v) {
		for (char *p = s; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		v = json_string(s);
	}
	if (v)
		say(b, json_pack("{s:o}", "stream", v));
}

void build_fail(struct build *b, const struct err *e, int code)
{
	if (b->held) { /* q=1: what was held back explains the failure */
		pthread_mutex_lock(&b->out_mu);
		write_all(b, b->held, strlen(b->held));
		pthread_mutex_unlock(&b->out_mu);
	}
	json_t *detail = json_pack("{s:s}", "message", e->msg);
	if (code)
		json_object_set_new(detail, "code", json_integer(code));
	build_send(b, json_pack("{s:o, s:s}", "errorDetail", detail, "error", e->msg));
}

bool build_gone(struct build *b)
{
	if (b->cancelled)
		return true;
	struct pollfd p = {.fd = b->out, .events = 0};
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)))
		b->cancelled = true;
	return b->cancelled;
}
