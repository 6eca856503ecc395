/* securejoin: resolve a path inside a root directory as if that root were "/": symlinks are
 * expanded component by component, and ".." and absolute link targets are clamped to the root. */
#ifndef BERTH_RUNTIME_SECUREJOIN_H
#define BERTH_RUNTIME_SECUREJOIN_H

#include "util/err.h"

/* root (clean, absolute, free of symlinks) joined with unsafe, every symlink resolved inside
 * root. Missing components are appended as they are. malloc'd; NULL with ELOOP after 255 links. */
char *securejoin_resolve(const char *root, const char *unsafe, struct err *e);
/* Resolves unsafe inside root, opens the result O_PATH and checks through /proc/self/fd that
 * the fd really is that path (a symlink swapped in meanwhile is refused). *resolved (optional)
 * gets the malloc'd path. Returns the fd. */
int securejoin_open(const char *root, const char *unsafe, char **resolved, struct err *e);
/* "/proc/self/fd/<fd>" into buf (at least 32 bytes): the name to mount on or chmod. */
const char *securejoin_fd_path(int fd, char *buf);

#endif
