/* store: the daemon's on-disk records: files replaced atomically (unique tmp + fsync +
 * rename + directory fsync), directory listings that skip leftovers, and the root lock. */
#ifndef BERTH_STORE_STORE_H
#define BERTH_STORE_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

/* Temporary names start with this; store_clean_tmp removes them after a crash. */
#define STORE_TMP_PREFIX ".tmp-"

/* Takes the exclusive lock of a daemon root (root/berth.lock, flock) and writes our pid into
 * it. Returns the fd to keep open for the daemon's lifetime, or -1 (ERR_CONFLICT when another
 * live process holds it). */
int store_lock_root(const char *root, struct err *e);

/* Replaces path atomically; safe against concurrent writers of the same path (each uses
 * its own temporary file). */
int store_write_file(const char *path, const void *data, size_t len, mode_t mode, struct err *e);
int store_save_json(const char *path, const json_t *j, struct err *e);
/* ERR_NOT_FOUND when absent, ERR_INVALID when not JSON. */
json_t *store_load_json(const char *path, struct err *e);
/* Unlinks path (absent is fine) and makes the removal durable. */
int store_remove_file(const char *path, struct err *e);
/* Sorted names of dir ending in suffix ("" = all), skipping dot files; NULL-terminated. */
char **store_list_dir(const char *dir, const char *suffix, struct err *e);
/* Removes STORE_TMP_PREFIX leftovers (files or trees) directly under dir. */
int store_clean_tmp(const char *dir, struct err *e);
/* mkdir -p with mode, then fsync of the parent so the new directory survives a crash. */
int store_mkdir(const char *path, mode_t mode, struct err *e);

#endif
