/* daemon/lazy_archive: libarchive's functions as berth uses them, forwarded to
 * libarchive.so.13 loaded at the first call (lazy.h). A function missing here is linked from
 * libarchive as usual (loaded at exec again): add it when you use a new one. */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "daemon/lazy.h"

static struct lazy_lib archive_lib = {"libarchive.so.13", NULL, false};
#define LAZY_LIB archive_lib

LAZY_VOID(archive_entry_copy_stat, (struct archive_entry * a0, const struct stat *a1), (a0, a1))
LAZY(mode_t, archive_entry_filetype, 0, (struct archive_entry * a0), (a0))
LAZY_VOID(archive_entry_free, (struct archive_entry * a0), (a0))
LAZY(la_int64_t, archive_entry_gid, 0, (struct archive_entry * a0), (a0))
LAZY(const char *, archive_entry_hardlink, NULL, (struct archive_entry * a0), (a0))
LAZY(struct archive_entry *, archive_entry_new, NULL, (void), ())
LAZY(const char *, archive_entry_pathname, NULL, (struct archive_entry * a0), (a0))
LAZY(mode_t, archive_entry_perm, 0, (struct archive_entry * a0), (a0))
LAZY_VOID(archive_entry_set_dev, (struct archive_entry * a0, dev_t a1), (a0, a1))
LAZY_VOID(archive_entry_set_filetype, (struct archive_entry * a0, unsigned int a1), (a0, a1))
LAZY_VOID(archive_entry_set_gid, (struct archive_entry * a0, la_int64_t a1), (a0, a1))
LAZY_VOID(archive_entry_set_hardlink, (struct archive_entry * a0, const char *a1), (a0, a1))
LAZY_VOID(archive_entry_set_ino, (struct archive_entry * a0, la_int64_t a1), (a0, a1))
LAZY_VOID(archive_entry_set_mtime, (struct archive_entry * a0, time_t a1, long a2), (a0, a1, a2))
LAZY_VOID(archive_entry_set_nlink, (struct archive_entry * a0, unsigned int a1), (a0, a1))
LAZY_VOID(archive_entry_set_pathname, (struct archive_entry * a0, const char *a1), (a0, a1))
LAZY_VOID(archive_entry_set_perm, (struct archive_entry * a0, mode_t a1), (a0, a1))
LAZY_VOID(archive_entry_set_rdev, (struct archive_entry * a0, dev_t a1), (a0, a1))
LAZY_VOID(archive_entry_set_size, (struct archive_entry * a0, la_int64_t a1), (a0, a1))
LAZY_VOID(archive_entry_set_symlink, (struct archive_entry * a0, const char *a1), (a0, a1))
LAZY_VOID(archive_entry_set_uid, (struct archive_entry * a0, la_int64_t a1), (a0, a1))
LAZY(la_int64_t, archive_entry_size, 0, (struct archive_entry * a0), (a0))
LAZY(const char *, archive_entry_symlink, NULL, (struct archive_entry * a0), (a0))
LAZY(la_int64_t, archive_entry_uid, 0, (struct archive_entry * a0), (a0))
LAZY_VOID(archive_entry_unset_atime, (struct archive_entry * a0), (a0))
LAZY_VOID(archive_entry_unset_birthtime, (struct archive_entry * a0), (a0))
LAZY_VOID(archive_entry_unset_ctime, (struct archive_entry * a0), (a0))
LAZY_VOID(archive_entry_xattr_add_entry,
	  (struct archive_entry * a0, const char *a1, const void *a2, size_t a3), (a0, a1, a2, a3))
LAZY_VOID(archive_entry_xattr_clear, (struct archive_entry * a0), (a0))
LAZY(int, archive_entry_xattr_count, ARCHIVE_FATAL, (struct archive_entry * a0), (a0))
LAZY(int, archive_entry_xattr_next, ARCHIVE_FATAL,
     (struct archive_entry * a0, const char **a1, const void **a2, size_t *a3), (a0, a1, a2, a3))
LAZY(int, archive_entry_xattr_reset, ARCHIVE_FATAL, (struct archive_entry * a0), (a0))
LAZY(int, archive_errno, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(const char *, archive_error_string, "libarchive is not available", (struct archive * a0), (a0))
LAZY(int, archive_read_data_block, ARCHIVE_FATAL,
     (struct archive * a0, const void **a1, size_t *a2, la_int64_t *a3), (a0, a1, a2, a3))
LAZY(int, archive_read_free, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(struct archive *, archive_read_new, NULL, (void), ())
LAZY(int, archive_read_next_header, ARCHIVE_FATAL, (struct archive * a0, struct archive_entry **a1),
     (a0, a1))
LAZY(int, archive_read_open, ARCHIVE_FATAL,
     (struct archive * a0, void *a1, archive_open_callback *a2, archive_read_callback *a3,
      archive_close_callback *a4),
     (a0, a1, a2, a3, a4))
LAZY(int, archive_read_open_fd, ARCHIVE_FATAL, (struct archive * a0, int a1, size_t a2),
     (a0, a1, a2))
LAZY(int, archive_read_open_memory, ARCHIVE_FATAL, (struct archive * a0, const void *a1, size_t a2),
     (a0, a1, a2))
LAZY(int, archive_read_support_filter_all, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(int, archive_read_support_filter_bzip2, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(int, archive_read_support_filter_gzip, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(int, archive_read_support_filter_xz, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(int, archive_read_support_filter_zstd, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(int, archive_read_support_format_all, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(int, archive_read_support_format_raw, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(int, archive_read_support_format_tar, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(int, archive_write_close, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(la_ssize_t, archive_write_data, -1, (struct archive * a0, const void *a1, size_t a2),
     (a0, a1, a2))
LAZY(la_ssize_t, archive_write_data_block, -1,
     (struct archive * a0, const void *a1, size_t a2, la_int64_t a3), (a0, a1, a2, a3))
LAZY(struct archive *, archive_write_disk_new, NULL, (void), ())
LAZY(int, archive_write_disk_set_options, ARCHIVE_FATAL, (struct archive * a0, int a1), (a0, a1))
LAZY(int, archive_write_finish_entry, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(int, archive_write_free, ARCHIVE_FATAL, (struct archive * a0), (a0))
LAZY(int, archive_write_header, ARCHIVE_FATAL, (struct archive * a0, struct archive_entry *a1),
     (a0, a1))
LAZY(struct archive *, archive_write_new, NULL, (void), ())
LAZY(int, archive_write_open, ARCHIVE_FATAL,
     (struct archive * a0, void *a1, archive_open_callback *a2, archive_write_callback *a3,
      archive_close_callback *a4),
     (a0, a1, a2, a3, a4))
LAZY(int, archive_write_open_fd, ARCHIVE_FATAL, (struct archive * a0, int a1), (a0, a1))
LAZY(int, archive_write_set_bytes_in_last_block, ARCHIVE_FATAL, (struct archive * a0, int a1),
     (a0, a1))
LAZY(int, archive_write_set_bytes_per_block, ARCHIVE_FATAL, (struct archive * a0, int a1), (a0, a1))
LAZY(int, archive_write_set_format_pax_restricted, ARCHIVE_FATAL, (struct archive * a0), (a0))

/* printf-style: formatted here, handed over as "%s". */
void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
	static void (*fn)(struct archive *, int, const char *, ...);
	void (*f)(struct archive *, int, const char *, ...) =
	    __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
	if (!f) {
		f = (void (*)(struct archive *, int, const char *, ...))lazy_sym(
		    &archive_lib, "archive_set_error");
		if (!f)
			return;
		__atomic_store_n(&fn, f, __ATOMIC_RELEASE);
	}
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f(a, err, "%s", msg);
}
