/* cli/format: docker's human units, tables and --format handling. */
#include "cli/format.h"

#include <math.h>
#include <string.h>

#include "cli/template.h"
#include "util/cleanup.h"
#include "util/str.h"

char *fmt_duration(int64_t s)
{
	if (s < 1)
		return str_dup("Less than a second");
	if (s == 1)
		return str_dup("1 second");
	if (s < 60)
		return str_printf("%lld seconds", (long long)s);
	int64_t m = s / 60;
	if (m == 1)
		return str_dup("About a minute");
	if (m < 60)
		return str_printf("%lld minutes", (long long)m);
	int64_t h = (int64_t)((double)s / 3600.0 + 0.5);
	if (h == 1)
		return str_dup("About an hour");
	if (h < 48)
		return str_printf("%lld hours", (long long)h);
	if (h < 24 * 7 * 2)
		return str_printf("%lld days", (long long)(h / 24));
	if (h < 24 * 30 * 2)
		return str_printf("%lld weeks", (long long)(h / 24 / 7));
	if (h < 24 * 365 * 2)
		return str_printf("%lld months", (long long)(h / 24 / 30));
	return str_printf("%lld years", (long long)(s / 3600 / 24 / 365));
}

static char *units(double n, double base, const char *const *u, size_t nu, int prec)
{
	size_t i = 0;
	while (n >= base && i + 1 < nu) {
		n /= base;
		i++;
	}
	return str_printf("%.*g%s", prec, n, u[i]);
}

char *fmt_size(double bytes)
{
	static const char *const u[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
	return units(bytes, 1000.0, u, ARRAY_SIZE(u), 3);
}

char *fmt_size4(double bytes)
{
	static const char *const u[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
	return units(bytes, 1000.0, u, ARRAY_SIZE(u), 4);
}

char *fmt_bytes(double bytes)
{
	static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	return units(bytes, 1024.0, u, ARRAY_SIZE(u), 4);
}

static size_t utf8_len(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

char *fmt_ellipsis(const char *s, size_t width)
{
	size_t n = strlen(s);
	if (utf8_len(s, n) <= width)
		return str_dup(s);
	if (width == 0)
		return str_dup("");
	size_t runes = 0, i = 0;
	for (; i < n; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (runes == width - 1)
				break;
			runes++;
		}
	}
	return str_printf("%.*s…", (int)i, s);
}

char *fmt_quote(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
	fclose(f);
	return buf;
}

void fmt_tabwrite(FILE *f, const char *text)
{
	_cleanup_strv_ char **lines = NULL;
	size_t widths[64] = {0};
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		strv_push_take(&lines, str_ndup(p, n));
		p += n + (nl ? 1 : 0);
	}
	for (char **l = lines; l && *l; l++) {
		size_t col = 0;
		for (const char *c = *l, *t; (t = strchr(c, '\t')) && col < 64; c = t + 1, col++) {
			size_t w = utf8_len(c, (size_t)(t - c)) + 3;
			if (w > widths[col])
				widths[col] = w < 10 ? 10 : w;
		}
	}
	for (char **l = lines; l && *l; l++) {
		size_t col = 0;
		const char *c = *l, *t;
		for (; (t = strchr(c, '\t')) && col < 64; c = t + 1, col++) {
			size_t w = utf8_len(c, (size_t)(t - c));
			fprintf(f, "%.*s%*s", (int)(t - c), c, (int)(widths[col] - w), "");
		}
		fprintf(f, "%s\n", c);
	}
}

static char *unescape(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	for (; *s; s++) {
		if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n')) {
			*o++ = s[1] == 't' ? '\t' : '\n';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
	return out;
}

int fmt_out_init(struct fmt_out *o, const char *src, const char *def, const json_t *headers,
		 struct err *e)
{
	memset(o, 0, sizeof(*o));
	/* docker 23+: --format json is one JSON object per line */
	if (src && !strcmp(src, "json"))
		src = "{{json .}}";
	_cleanup_free_ char *s = unescape(src && *src ? src : def);
	const char *body = s;
	if (str_has_prefix(s, "table")) {
		o->table = 1;
		body = s + 5;
		while (*body == ' ')
			body++;
	}
	o->t = tmpl_parse(body, e);
	if (!o->t)
		return -1;
	o->mem = open_memstream(&o->buf, &o->len);
	if (o->table && headers) {
		_cleanup_free_ char *h = tmpl_exec(o->t, (json_t *)headers, e);
		if (!h)
			return -1;
		if (*h)
			fprintf(o->mem, "%s\n", h);
	}
	return 0;
}

int fmt_out_row(struct fmt_out *o, json_t *row, struct err *e)
{
	_cleanup_free_ char *s = tmpl_exec(o->t, row, e);
	if (!s)
		return -1;
	fprintf(o->mem, "%s\n", s);
	return 0;
}

void fmt_out_finish(struct fmt_out *o, FILE *f)
{
	if (o->mem) {
		fclose(o->mem);
		o->mem = NULL;
		if (o->table)
			fmt_tabwrite(f, o->buf);
		else
			fputs(o->buf, f);
	}
	free(o->buf);
	o->buf = NULL;
	tmpl_free(o->t);
	o->t = NULL;
}
