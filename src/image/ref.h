/* image/ref: Docker image references (registry host[:port]/path[:tag][@digest]) parsed and
 * normalised as distribution/reference does: docker.io/library/ defaults, familiar names. */
#ifndef BERTH_IMAGE_REF_H
#define BERTH_IMAGE_REF_H

#include <stdbool.h>

#include "util/err.h"

#define IMAGE_DEFAULT_DOMAIN "docker.io"
#define IMAGE_DEFAULT_TAG    "latest"

/* A normalised named reference; tag and digest are NULL when absent. */
struct image_ref {
	char *domain; /* "docker.io", "127.0.0.1:5000" */
	char *path;   /* "library/busybox" */
	char *tag;
	char *digest; /* "sha256:<64 hex>" */
};

/* Docker's ParseNormalizedNamed: "busybox" -> docker.io/library/busybox (no tag added).
 * Errors are ERR_INVALID with Docker's texts ("invalid reference format: repository name
 * must be lowercase", ...). */
int image_ref_parse(const char *s, struct image_ref *ref, struct err *e);
void image_ref_release(struct image_ref *ref);

/* ParseAnyReference: 64 hex digits or a valid digest give *digest ("sha256:<hex>", malloc'd)
 * and leave ref empty; anything else is parsed as a named reference. */
int image_ref_parse_any(const char *s, struct image_ref *ref, char **digest, struct err *e);

/* Replaces the tag (WithTag); ERR_INVALID "invalid tag format" when the tag is bad. */
int image_ref_set_tag(struct image_ref *ref, const char *tag, struct err *e);
/* TagNameOnly: adds the default tag when there is neither tag nor digest. */
void image_ref_default_tag(struct image_ref *ref);

bool image_ref_valid_tag(const char *tag);
/* go-digest's Parse: algorithm:hex with the algorithm's exact length; NULL-safe messages. */
int image_digest_validate(const char *d, struct err *e);

/* All malloc'd: "docker.io/library/busybox", the full string with tag and digest, and the
 * familiar forms "busybox" and "busybox:latest". */
char *image_ref_name(const struct image_ref *ref);
char *image_ref_string(const struct image_ref *ref);
char *image_ref_familiar_name(const struct image_ref *ref);
char *image_ref_familiar(const struct image_ref *ref);

/* Familiar form of a full reference string as stored; NULL if it does not parse. */
char *image_ref_familiarize(const char *full);

/* FamiliarMatch: path.Match of a glob against the familiar string, then the familiar name. */
bool image_ref_match(const char *pattern, const struct image_ref *ref);

#endif
