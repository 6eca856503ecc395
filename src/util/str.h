/* str: allocation-checked string helpers and NULL-terminated string vectors.
 * Allocation failure aborts: an engine out of memory can't recover meaningfully. */
#ifndef BERTH_UTIL_STR_H
#define BERTH_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *str_dup(const char *s);
char *str_ndup(const char *s, size_t n);
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
bool str_eq(const char *a, const char *b); /* NULL-safe */
/* Strict integer parsing of a whole string; -1 with an error naming what on failure. */
int str_to_i64(const char *s, int64_t *out, const char *what, struct err *e);
int str_to_u64(const char *s, uint64_t *out, const char *what, struct err *e);
int str_to_int(const char *s, int *out, const char *what, struct err *e);

/* Undoes \ooo octal escapes (as /proc/self/mountinfo writes space, tab, newline, \). */
char *str_unescape_octal(const char *s);

size_t strv_len(char *const *v);
/* Appends a copy of s; *v may be NULL. */
void strv_push(char ***v, const char *s);
void strv_push_take(char ***v, char *s);
void strv_free(char **v);
char **strv_copy(char *const *v);
/* Splits on any character of seps, skipping empty fields. */
char **strv_split(const char *s, const char *seps);
char *strv_join(char *const *v, const char *sep);

#endif
