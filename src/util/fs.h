/* fs: file helpers: atomic writes (tmp + fsync + rename + dir fsync), whole-file reads,
 * mkdir -p, rm -rf (never crossing mounts), and small writes to kernel files. */
#ifndef BERTH_UTIL_FS_H
#define BERTH_UTIL_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

/* Writes data to path so that after a crash either the old or the new file exists. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct err *e);
/* Like fs_write_atomic without the fsyncs: a crash of the process leaves the old or the
 * new file, a crash of the machine may leave neither. For state under a run directory
 * (tmpfs), which does not outlive a reboot anyway. */
int fs_write_replace(const char *path, const void *data, size_t len, mode_t mode, struct err *e);
/* Reads a whole file into a NUL-terminated malloc'd buffer; *len (optional) gets its size. */
char *fs_read_file(const char *path, size_t *len, struct err *e);
/* Reads a whole file relative to dirfd. */
char *fs_read_fileat(int dirfd, const char *path, size_t *len, struct err *e);
/* Writes a string to an existing file (cgroup, /proc knobs): open O_WRONLY, one write. */
int fs_write_string(const char *path, const char *s, struct err *e);
int fs_write_stringat(int dirfd, const char *path, const char *s, struct err *e);
int fs_mkdir_p(const char *path, mode_t mode, struct err *e);
/* Removes a tree; refuses to descend into other mounts (they are left for the caller). */
int fs_rm_rf(const char *path, struct err *e);
int fs_exists(const char *path);
int fs_is_dir(const char *path);
/* All of buf to fd (EINTR and short writes retried): 0, or -1 with errno. */
int fs_write_all(int fd, const void *buf, size_t n);
/* The same to a socket with send(MSG_NOSIGNAL): a closed peer is -1 (EPIPE), no SIGPIPE. */
int fs_send_all(int fd, const void *buf, size_t n);
/* Copies from one fd to another until EOF. */
int fs_copy_fd(int from, int to, struct err *e);
/* fsync a directory by path. */
int fs_fsync_dir(const char *path, struct err *e);

#endif
