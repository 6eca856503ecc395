/* jsonlog: json-file encoding (Docker's escaping), line splitting and rotation. */
#include "monitor/jsonlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/str.h"

static const char hex[] = "0123456789abcdef";

size_t jlog_encode_max(size_t len)
{
	return 6 * len + 96;
}

void jlog_format_time(char *out, const struct timespec *ts)
{
	struct tm tm;
	gmtime_r(&ts->tv_sec, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts->tv_nsec);
}

/* Length of the valid UTF-8 sequence at p (1..4), 0 if invalid; code point in *cp. */
static size_t utf8_seq(const unsigned char *p, size_t n, unsigned *cp)
{
	unsigned c = p[0];
	size_t len;
	unsigned min;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c < 0xf0)
		len = 3, c &= 0x0f, min = 0x800;
	else
		len = 4, c &= 0x07, min = 0x10000;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static char *put_u(char *o, unsigned v)
{
	*o++ = '\\';
	*o++ = 'u';
	*o++ = hex[(v >> 12) & 0xf];
	*o++ = hex[(v >> 8) & 0xf];
	*o++ = hex[(v >> 4) & 0xf];
	*o++ = hex[v & 0xf];
	return o;
}

/* As Go's encoding/json with HTML escaping, which Docker's json-file uses. */
static char *escape(char *o, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' &&
		    c != '&') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c < 0x80) {
			if (c == '"' || c == '\\')
				*o++ = '\\', *o++ = (char)c;
			else if (c == '\n')
				*o++ = '\\', *o++ = 'n';
			else if (c == '\r')
				*o++ = '\\', *o++ = 'r';
			else if (c == '\t')
				*o++ = '\\', *o++ = 't';
			else
				o = put_u(o, c);
			i++;
			continue;
		}
		unsigned cp = 0;
		size_t len = utf8_seq(s + i, n - i, &cp);
		if (!len) {
			o = put_u(o, 0xfffd);
			i++;
		} else if (cp == 0x2028 || cp == 0x2029) {
			o = put_u(o, cp);
			i += len;
		} else {
			memcpy(o, s + i, len);
			o += len;
			i += len;
		}
	}
	return o;
}

size_t jlog_encode(char *out, const char *text, size_t len, enum jlog_stream s,
		   const struct timespec *ts)
{
	char *o = out;
	memcpy(o, "{\"log\":\"", 8);
	o = escape(o + 8, (const unsigned char *)text, len);
	const char *mid = s == JLOG_STDERR ? "\",\"stream\":\"stderr\",\"time\":\""
					   : "\",\"stream\":\"stdout\",\"time\":\"";
	size_t ml = strlen(mid);
	memcpy(o, mid, ml);
	o += ml;
	char when[64];
	jlog_format_time(when, ts);
	size_t wl = strlen(when);
	memcpy(o, when, wl);
	o += wl;
	memcpy(o, "\"}\n", 3);
	return (size_t)(o + 3 - out);
}

int jlog_open(struct jlog *l, const char *path, uint64_t max_size, int max_file, struct err *e)
{
	memset(l, 0, sizeof(*l));
	l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0)
		return err_sys(e, "open log file %s", path);
	struct stat st;
	if (fstat(l->fd, &st) == 0)
		l->size = (uint64_t)st.st_size;
	l->path = str_dup(path);
	l->max_size = max_size;
	l->max_file = max_file < 1 ? 1 : max_file;
	return 0;
}

static void write_batch(struct jlog *l)
{
	const char *p = l->batch;
	size_t n = l->batch_len;
	l->batch_len = 0;
	while (n > 0 && !l->failed) {
		ssize_t w = write(l->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_warn("write log file %s: %s (logging stops)", l->path, strerror(errno));
			l->failed = true;
			return;
		}
		p += w;
		n -= (size_t)w;
		l->size += (uint64_t)w;
	}
}

/* Encoding can need 6x the input: don't keep that much around between writes. */
static void batch_trim(struct jlog *l)
{
	if (l->batch_cap > 65536) {
		free(l->batch);
		l->batch = NULL;
		l->batch_cap = 0;
	}
}

/* FILE.(n-2) -> FILE.(n-1) ... FILE -> FILE.1, then a new FILE; max-file 1 truncates. */
static void rotate(struct jlog *l)
{
	for (int i = l->max_file - 1; i >= 1; i--) {
		_cleanup_free_ char *to = str_printf("%s.%d", l->path, i);
		_cleanup_free_ char *from =
		    i == 1 ? str_dup(l->path) : str_printf("%s.%d", l->path, i - 1);
		if (rename(from, to) < 0 && errno != ENOENT)
			log_warn("rotate %s: %s", from, strerror(errno));
	}
	int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (l->max_file == 1 ? O_TRUNC : 0);
	int fd = open(l->path, flags, 0640);
	if (fd < 0) {
		log_warn("open log file %s: %s (logging stops)", l->path, strerror(errno));
		l->failed = true;
		return;
	}
	close(l->fd);
	l->fd = fd;
	l->size = 0;
}

static void add_line(struct jlog *l, enum jlog_stream s, const char *text, size_t len,
		     const struct timespec *ts)
{
	size_t need = jlog_encode_max(len);
	if (l->batch_len + need > l->batch_cap) {
		l->batch_cap = l->batch_len + need + 4096;
		l->batch = xrealloc(l->batch, l->batch_cap);
	}
	size_t n = jlog_encode(l->batch + l->batch_len, text, len, s, ts);
	uint64_t before = l->size + l->batch_len;
	if (l->max_size && before > 0 && before + n > l->max_size) {
		/* The new line goes first in the next file: move it to the front. */
		char *line = xmalloc(n);
		memcpy(line, l->batch + l->batch_len, n);
		write_batch(l);
		rotate(l);
		memcpy(l->batch, line, n);
		free(line);
	}
	l->batch_len += n;
}

static void partial_take(struct jlog *l, enum jlog_stream s, const char *data, size_t len)
{
	l->partial[s] = xrealloc(l->partial[s], l->partial_len[s] + len);
	memcpy(l->partial[s] + l->partial_len[s], data, len);
	l->partial_len[s] += len;
}

static void emit(struct jlog *l, enum jlog_stream s, const char *data, size_t len,
		 const struct timespec *ts)
{
	if (l->partial_len[s]) {
		partial_take(l, s, data, len);
		add_line(l, s, l->partial[s], l->partial_len[s], ts);
		l->partial_len[s] = 0;
	} else {
		add_line(l, s, data, len, ts);
	}
}

void jlog_write(struct jlog *l, enum jlog_stream s, const char *data, size_t len,
		const struct timespec *ts)
{
	if (l->fd < 0 || l->failed)
		return;
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		if (!nl) {
			partial_take(l, s, data, len);
			if (l->partial_len[s] >= JLOG_PARTIAL_MAX) {
				add_line(l, s, l->partial[s], l->partial_len[s], ts);
				l->partial_len[s] = 0;
			}
			break;
		}
		size_t n = (size_t)(nl - data) + 1;
		emit(l, s, data, n, ts);
		data += n;
		len -= n;
	}
	write_batch(l);
	batch_trim(l);
}

void jlog_flush(struct jlog *l, const struct timespec *ts)
{
	if (l->fd < 0 || l->failed)
		return;
	for (int s = 0; s < 2; s++) {
		if (l->partial_len[s])
			add_line(l, (enum jlog_stream)s, l->partial[s], l->partial_len[s], ts);
		l->partial_len[s] = 0;
	}
	write_batch(l);
	batch_trim(l);
}

void jlog_close(struct jlog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->path);
	free(l->partial[0]);
	free(l->partial[1]);
	free(l->batch);
	l->path = l->partial[0] = l->partial[1] = l->batch = NULL;
}
