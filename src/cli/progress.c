/* cli/progress: JSON message streams shown as docker's CLI shows them (jsonmessage): on a
 * terminal each layer keeps its own line, redrawn with cursor moves; elsewhere progress
 * updates are dropped and only status lines printed. */
#include "cli/progress.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/format.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

bool progress_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(fileno(f)) && !(nc && *nc);
}

void progress_init(struct progress *p, FILE *out, bool quiet)
{
	*p = (struct progress){.out = out, .quiet = quiet};
	p->tty = isatty(fileno(out));
	p->color = p->tty && progress_color(out);
}

/* docker's bar: 50 columns of '=' with a '>' head, then current/total in decimal units. */
static char *render_bar(uint64_t cur, uint64_t total)
{
	char bar[51];
	memset(bar, ' ', 50);
	bar[50] = 0;
	size_t n = total ? (size_t)(50.0 * (double)(cur > total ? total : cur) / (double)total) : 0;
	memset(bar, '=', n);
	if (n < 50)
		bar[n] = '>';
	_cleanup_free_ char *c = fmt_size((double)cur);
	_cleanup_free_ char *t = total ? fmt_size((double)total) : NULL;
	if (!total)
		return str_printf("%s", c);
	return str_printf("[%s] %8s/%s", bar, c, t);
}

static size_t id_line(struct progress *p, const char *id, bool *is_new)
{
	size_t n = strv_len(p->ids);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p->ids[i], id)) {
			*is_new = false;
			return i;
		}
	strv_push(&p->ids, id);
	*is_new = true;
	return n;
}

/* A layer's status (with a progress detail): its own line on a terminal. */
static void show_layer(struct progress *p, const char *id, const char *status, const char *bar)
{
	bool done = strstr(status, "complete") || strstr(status, "exists") ||
		    strstr(status, "Pushed") || strstr(status, "Loaded");
	if (!p->tty) {
		if (!*bar)
			fprintf(p->out, "%s: %s\n", id, status);
		return;
	}
	bool is_new;
	size_t line = id_line(p, id, &is_new);
	if (is_new)
		fputc('\n', p->out);
	size_t up = strv_len(p->ids) - line;
	fprintf(p->out, "\033[%zuA\033[2K\r%s: %s%s%s%s%s", up, id,
		done && p->color ? "\033[32m" : "", status, done && p->color ? "\033[0m" : "",
		*bar ? " " : "", bar);
	fprintf(p->out, "\033[%zuB\r", up);
}

static void show_msg(struct progress *p, json_t *j)
{
	const char *err = json_string_value(json_object_get(j, "error"));
	const char *stream = json_string_value(json_object_get(j, "stream"));
	const char *status = json_string_value(json_object_get(j, "status"));
	const char *id = json_string_value(json_object_get(j, "id"));
	const char *digest =
	    json_string_value(json_object_get(json_object_get(j, "aux"), "Digest"));
	json_t *detail = json_object_get(j, "progressDetail");
	if (digest)
		snprintf(p->digest, sizeof(p->digest), "%s", digest);
	if (err) {
		snprintf(p->err, sizeof(p->err), "%s", err);
		return;
	}
	if (p->quiet)
		return;
	if (stream) {
		p->ids = (strv_free(p->ids), NULL);
		fputs(stream, p->out);
		return;
	}
	if (!status)
		return;
	if (id && (detail || json_object_get(j, "progress"))) {
		const char *given = json_string_value(json_object_get(j, "progress"));
		json_int_t cur = json_integer_value(json_object_get(detail, "current"));
		json_int_t total = json_integer_value(json_object_get(detail, "total"));
		_cleanup_free_ char *bar =
		    given     ? str_dup(given)
		    : cur > 0 ? render_bar((uint64_t)cur, (uint64_t)(total > 0 ? total : 0))
			      : str_dup("");
		show_layer(p, id, status, bar);
		return;
	}
	const char *given = json_string_value(json_object_get(j, "progress"));
	json_int_t cur = json_integer_value(json_object_get(detail, "current"));
	if (!id && ((given && *given) || cur > 0)) {
		/* a progress line of its own (import): redrawn in place, dropped elsewhere */
		if (!p->tty)
			return;
		json_int_t total = json_integer_value(json_object_get(detail, "total"));
		_cleanup_free_ char *bar =
		    given && *given ? str_dup(given)
				    : render_bar((uint64_t)cur, (uint64_t)(total > 0 ? total : 0));
		fprintf(p->out, "\033[2K\r%s %s\r", status, bar);
		p->inline_bar = true;
		return;
	}
	/* anything else ends the block of layer lines (and replaces a bar line) */
	if (p->inline_bar)
		fputs("\033[2K\r", p->out);
	p->inline_bar = false;
	p->ids = (strv_free(p->ids), NULL);
	if (str_has_prefix(status, "Digest: "))
		snprintf(p->digest, sizeof(p->digest), "%s", status + 8);
	fprintf(p->out, "%s%s%s\n", id ? id : "", id ? ": " : "", status);
}

static void feed_line(struct progress *p, const char *s, size_t n)
{
	_cleanup_json_ json_t *j = n ? json_loadb(s, n, 0, NULL) : NULL;
	if (j)
		show_msg(p, j);
}

int progress_feed(const char *buf, size_t n, void *ud)
{
	struct progress *p = ud;
	if (!buf)
		return 0;
	p->line = xrealloc(p->line, p->len + n + 1);
	memcpy(p->line + p->len, buf, n);
	p->len += n;
	size_t off = 0;
	char *nl;
	while ((nl = memchr(p->line + off, '\n', p->len - off))) {
		feed_line(p, p->line + off, (size_t)(nl - p->line - off));
		off = (size_t)(nl - p->line) + 1;
	}
	memmove(p->line, p->line + off, p->len - off);
	p->len -= off;
	fflush(p->out);
	return 0;
}

void progress_finish(struct progress *p)
{
	if (p->len)
		feed_line(p, p->line, p->len);
	free(p->line);
	p->line = NULL;
	p->len = 0;
	strv_free(p->ids);
	p->ids = NULL;
	fflush(p->out);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_bytes(struct progress *p, const char *label, uint64_t cur, uint64_t total, bool done)
{
	if (!p->tty || p->quiet)
		return;
	double t = now_s();
	if (!done && t - p->last < 0.1)
		return;
	p->last = t;
	_cleanup_free_ char *bar = render_bar(cur, total);
	fprintf(p->out, "\033[2K\r%s %s%s", label, bar, done ? "\n" : "");
	fflush(p->out);
}
