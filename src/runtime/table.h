/* table: aligned text columns like Go's tabwriter (min width 12, padding 3), as runc
 * prints `list`. Rows are tab-separated. */
#ifndef BERTH_RUNTIME_TABLE_H
#define BERTH_RUNTIME_TABLE_H

#include <stdio.h>

struct table;

struct table *table_new(const char *header);
void table_row(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

#endif
