/* id: container/object IDs: random 64-hex IDs, validation of user-chosen IDs and names,
 * and path joining that refuses escapes. */
#ifndef BERTH_UTIL_ID_H
#define BERTH_UTIL_ID_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define ID_HEX_LEN 64

/* Fills out (at least ID_HEX_LEN + 1 bytes) with 64 random hex digits. */
int id_generate(char *out, struct err *e);
/* runc's rule for container IDs: [A-Za-z0-9_+.-]+, not "." or "..". */
bool id_valid_runtime(const char *id);
/* Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool id_valid_name(const char *name);
bool id_is_hex(const char *s, size_t minlen);
/* a + "/" + b with duplicate slashes collapsed; malloc'd. */
char *path_join(const char *a, const char *b);
/* Lexically cleans a path like Go's filepath.Clean; malloc'd. */
char *path_clean(const char *p);

#endif
