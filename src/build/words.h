/* build/words: Dockerfile word rules for the builder: quote removal, escapes (with the
 * escape directive's token) and $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word} expansion, and the
 * key=value lists of ENV, LABEL and ARG. */
#ifndef BERTH_BUILD_WORDS_H
#define BERTH_BUILD_WORDS_H

#include <stdbool.h>

#include "util/err.h"

/* One word expanded against env ("K=V" strings; the last of a key wins). */
char *build_expand(const char *word, char escape, char *const *env, struct err *e);
/* Splits at unquoted blanks and expands each word. NULL-terminated. */
char **build_expand_words(const char *rest, char escape, char *const *env, struct err *e);
/* ENV/LABEL ("k=v k2=v2" or the legacy "k the rest"): keys and values expanded, in order.
 * ARG (arg true: "k", "k=v", several): *keys gets "k" or "k=v" (v expanded), *vals nothing.
 * ins names the instruction in errors. */
int build_parse_pairs(const char *ins, const char *rest, char escape, char *const *env,
		      char ***keys, char ***vals, bool arg, struct err *e);
/* The value of key in a "K=V" vector, NULL when absent (the last one wins). */
const char *build_env_get(char *const *env, const char *key);
/* Sets key=value in *env, replacing an earlier value. */
void build_env_set(char ***env, const char *key, const char *value);

#endif
