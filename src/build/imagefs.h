/* build/imagefs: an image's merged files read from its layer directories (top first,
 * whiteouts hiding what is below), with symlinks resolved inside the image's root. */
#ifndef BERTH_BUILD_IMAGEFS_H
#define BERTH_BUILD_IMAGEFS_H

#include <stdbool.h>
#include <sys/stat.h>

#include "engine/engine.h"

struct imagefs;
/* image NULL (FROM scratch): an empty root. */
struct imagefs *imagefs_open(struct engine *eng, const char *image);
void imagefs_close(struct imagefs *fs);
/* An absolute path's stat (a symlink is not followed); -1 when absent. */
int imagefs_lstat(const struct imagefs *fs, const char *path, struct stat *st);
/* path with its symlinks resolved as inside the root (the last component too when
 * follow_last; ".." stops at "/"; at most 40 links). Absolute, malloc'd. */
char *imagefs_resolve(const struct imagefs *fs, const char *path, bool follow_last);
bool imagefs_is_dir(const struct imagefs *fs, const char *path);
/* The names in a directory of the merged root (absolute path, not followed), sorted; empty
 * when it is no directory. */
char **imagefs_list(const struct imagefs *fs, const char *dir);
/* A regular file's contents (up to 16 MiB), NULL otherwise. */
char *imagefs_read(const struct imagefs *fs, const char *path);

#endif
