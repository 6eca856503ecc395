/* table: column alignment. */
#include "runtime/table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

struct table {
	char ***rows;
	size_t n;
};

struct table *table_new(const char *header)
{
	struct table *t = xcalloc(1, sizeof(*t));
	table_row(t, "%s", header);
	return t;
}

void table_row(struct table *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line;
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	/* Split on tabs keeping empty cells. */
	char **cells = xcalloc(strlen(line) + 2, sizeof(char *));
	size_t k = 0;
	for (char *p = line, *tab; p; p = tab ? tab + 1 : NULL) {
		tab = strchr(p, '\t');
		cells[k++] = tab ? str_ndup(p, (size_t)(tab - p)) : str_dup(p);
	}
	free(line);
	t->rows = xrealloc(t->rows, (t->n + 1) * sizeof(char **));
	t->rows[t->n++] = cells;
}

void table_print(const struct table *t, FILE *out)
{
	size_t width[32] = {0};
	for (size_t r = 0; r < t->n; r++)
		for (size_t c = 0; t->rows[r][c] && c < 32; c++) {
			size_t w = strlen(t->rows[r][c]) + 3;
			if (w < 12)
				w = 12;
			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->n; r++) {
		for (size_t c = 0; t->rows[r][c] && c < 32; c++) {
			if (t->rows[r][c + 1])
				fprintf(out, "%-*s", (int)width[c], t->rows[r][c]);
			else
				fprintf(out, "%s", t->rows[r][c]);
		}
		fputc('\n', out);
	}
}

void table_free(struct table *t)
{
	for (size_t r = 0; r < t->n; r++)
		strv_free(t->rows[r]);
	free(t->rows);
	free(t);
}
