/* image/changes: Dockerfile instructions applied to a container config the way `docker import
 * -c` and `docker commit -c` do (CMD ENTRYPOINT ENV EXPOSE HEALTHCHECK LABEL ONBUILD USER
 * VOLUME WORKDIR), plus the word rules (quotes, escapes, $VAR) they share. */
#ifndef BERTH_IMAGE_CHANGES_H
#define BERTH_IMAGE_CHANGES_H

#include <jansson.h>

#include "util/err.h"

/* A container Config object with every key Docker writes, zero-valued. New reference. */
json_t *image_config_new_container_config(void);

/* Applies the changes (one instruction each, as in a Dockerfile) to config in place.
 * ERR_INVALID with Docker's texts ("run is not a valid change command", ...). */
int image_changes_apply(json_t *config, char *const *changes, struct err *e);

/* Splits at unquoted blanks; quotes and escapes stay in the words. NULL-terminated. */
char **changes_split_words(const char *s);
/* Quote removal, escapes and expansion against env ("K=V" strings, may be NULL). */
char *changes_expand(const char *word, char *const *env, struct err *e);
/* Go durations ("1m30s", "500ms") in ns; ERR_INVALID naming what. */
int changes_parse_duration(const char *s, const char *what, int64_t *ns, struct err *e);
/* HEALTHCHECK [--interval= --timeout= --start-period= --retries=] NONE | CMD ... */
int changes_apply_healthcheck(json_t *config, const char *rest, struct err *e);
/* EXPOSE specs ("80", "53/udp", "8000-8002/tcp") added as keys "80/tcp" of ports. */
int changes_add_ports(json_t *ports, const char *spec, struct err *e);

#endif
