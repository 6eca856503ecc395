/* image/store_check: the image store checked against its invariants (berth system check):
 * what is on disk is what is loaded, and every reference resolves. Read-only. */
#ifndef BERTH_IMAGE_STORE_CHECK_H
#define BERTH_IMAGE_STORE_CHECK_H

#include "image/image.h"

/* Appends one line per problem to *problems (a NULL-terminated vector). */
void image_store_check(struct image_store *s, char ***problems);
/* Names in dir starting with the store's temporary prefix (leftovers of an interrupted
 * operation) as problems "<what>: leftover <name>". */
void store_check_tmp(const char *dir, const char *what, char ***problems);

/* Start-up repair: metadata whose image config is gone (a removal cut short between the
 * two files) is removed. mu held or not yet shared. */
int store_prune_meta_locked(struct image_store *s, struct err *e);

#endif
