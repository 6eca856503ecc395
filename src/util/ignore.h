/* util/ignore: .dockerignore rules as docker's patternmatcher applies them: one pattern a line
 * (comments, blanks and surrounding spaces dropped, paths cleaned), "!" exceptions, a path
 * excluded when it or a parent matches the last matching pattern. Used by the CLI (what to
 * send) and the daemon (dropping the Dockerfile and .dockerignore when listed). */
#ifndef BERTH_UTIL_IGNORE_H
#define BERTH_UTIL_IGNORE_H

#include <stdbool.h>

/* The patterns of a .dockerignore text; NULL-terminated, "!" kept in front of exceptions. */
char **ignore_patterns(const char *text);
/* Whether path (relative to the context, no leading "./") is excluded. */
bool ignore_match(char *const *pats, const char *path);
/* Whether any pattern is an exception (a directory excluded may still have files sent). */
bool ignore_has_exceptions(char *const *pats);

#endif
