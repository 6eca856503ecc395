/* api/filters: the `filters` query argument (moby's filters.Args): a JSON map of names to
 * {value: true} (CLI) or [value] (docker-py), validated against the names an endpoint knows. */
#ifndef BERTH_API_FILTERS_H
#define BERTH_API_FILTERS_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

/* {name: [values]} (new reference); NULL or "" gives {}. ERR_INVALID when malformed. */
json_t *api_filters_parse(const char *s, struct err *e);
/* ERR_INVALID "Invalid filter 'name'" for a name not in accepted (NULL-terminated). */
int api_filters_validate(const json_t *f, const char *const *accepted, struct err *e);
/* The values of name (an array, borrowed) or NULL when the filter is absent. */
json_t *api_filters_get(const json_t *f, const char *name);
/* GetBoolOrDefault: *out from "true"/"1" or "false"/"0"; conflicting or other values are
 * ERR_INVALID "Invalid filter 'name=[v]'". Absent: *out = def. */
int api_filters_bool(const json_t *f, const char *name, bool def, bool *out, struct err *e);
/* MatchKVList: every "k" or "k=v" value is in labels (a JSON object of strings). */
bool api_filters_match_labels(const json_t *f, const char *name, const json_t *labels);
/* Whether s equals any of vals (a filter's values), or matches any of them as an extended
 * regex (Go's regexp.MatchString: unanchored; an invalid pattern matches nothing). */
bool api_filters_match_str(const json_t *vals, const char *s);
bool api_filters_match_regex(const json_t *vals, const char *s);

#endif
