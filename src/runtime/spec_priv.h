/* spec_priv: helpers shared by the spec_*.c parsers (not part of the public interface):
 * field-path formatting, typed getters with range checks, and per-section parsers. */
#ifndef BERTH_RUNTIME_SPEC_PRIV_H
#define BERTH_RUNTIME_SPEC_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime/spec.h"
#include "util/err.h"

/* "ctx.key", or "key" when ctx is NULL or empty; malloc'd. */
char *spec_field(const char *ctx, const char *key);
/* "ctx.key[i]" (or "key[i]"); malloc'd. */
char *spec_field_index(const char *ctx, const char *key, size_t i);

/* A uint32 member: a wrong type, a negative value or one above UINT32_MAX is an error. */
int spec_get_u32(const json_t *o, const char *key, const char *ctx, uint32_t *out, bool *present,
		 struct err *e);
/* A string member that must be present and non-empty ("ctx.key: missing"). */
int spec_get_str_req(const json_t *o, const char *key, const char *ctx, const char **out,
		     struct err *e);
/* Element i of array a must be an object: returns it, or NULL with "ctx.key[i]: ..." set. */
json_t *spec_array_obj(const json_t *a, size_t i, const char *ctx, const char *key, struct err *e);
/* An object whose values are all strings (annotations, sysctl, unified). */
int spec_check_str_map(const json_t *o, const char *field, struct err *e);

/* The "linux" section into s (needs s->root_path and the process already parsed). */
int spec_linux_parse(const json_t *l, struct spec *s, struct err *e);
void spec_linux_release(struct spec *s);
/* Cross-field checks of the linux section against the rest of the document. */
int spec_linux_validate(const struct spec *s, struct err *e);

/* hooks.* into s->hooks; every hook path must be absolute. */

#endif
