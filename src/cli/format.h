/* cli/format: what docker's CLI prints: go-units durations and sizes, tabwriter-aligned
 * tables, --format templates with "table" headers, quoted truncated commands. */
#ifndef BERTH_CLI_FORMAT_H
#define BERTH_CLI_FORMAT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

/* go-units HumanDuration: "Less than a second", "3 seconds", "About an hour", "2 weeks". */
char *fmt_duration(int64_t secs);
/* go-units HumanSizeWithPrecision(n, 3): decimal units, "4.26MB", "0B". */
char *fmt_size(double bytes);
/* go-units HumanSize: decimal units with 4 digits, "1.988MB" (system df). */
char *fmt_size4(double bytes);
/* go-units BytesSize: binary units with 4 digits, "1.5MiB". */
char *fmt_bytes(double bytes);
/* docker's Ellipsis: at most width runes, the last one "…" when cut. */
char *fmt_ellipsis(const char *s, size_t width);
/* Go's strconv.Quote for printable text. */
char *fmt_quote(const char *s);
/* Writes text aligned as Go's tabwriter(minwidth 10, tabwidth 1, padding 3): each line's
 * tab-terminated cells padded to their column's width. */
void fmt_tabwrite(FILE *f, const char *text);

/* A parsed --format: "table ..." adds a header row made by running the template over a
 * row of header names. Rows are JSON objects of the fields the template reads. */
struct fmt_out {
	struct tmpl *t;
	int table;
	char *buf; /* table text before alignment */
	size_t len;
	FILE *mem;
};

/* src is the user's --format (NULL: def); "\t" and "\n" escapes become tab and newline. */
int fmt_out_init(struct fmt_out *o, const char *src, const char *def, const json_t *headers,
		 struct err *e);
int fmt_out_row(struct fmt_out *o, json_t *row, struct err *e);
/* Prints the result (aligned when a table) and frees everything. */
void fmt_out_finish(struct fmt_out *o, FILE *f);

#endif
