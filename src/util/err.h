/* err: the caller-owned error object every fallible function fills in.
 * A kind maps to an HTTP status so callers never match on message text. */
#ifndef BERTH_UTIL_ERR_H
#define BERTH_UTIL_ERR_H

#include <stdarg.h>

enum err_kind {
	ERR_NONE = 0,
	ERR_INTERNAL,	  /* 500 */
	ERR_INVALID,	  /* 400 */
	ERR_NOT_FOUND,	  /* 404 */
	ERR_CONFLICT,	  /* 409 */
	ERR_NOT_MODIFIED, /* 304 */
	ERR_FORBIDDEN,	  /* 403 */
	ERR_UNAVAILABLE,  /* 503 */
};

#define ERR_MSG_MAX 2048

struct err {
	enum err_kind kind;
	int errnum; /* errno of the root cause, 0 if none */
	char msg[ERR_MSG_MAX];
};

#define ERR_INIT                \
	{                       \
		ERR_NONE, 0, "" \
	}

/* Each returns -1 so that `return err_set(e, ...)` reads naturally. e may be NULL. */
int err_set(struct err *e, enum err_kind kind, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int err_vset(struct err *e, enum err_kind kind, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
/* Internal error from a failed syscall: appends ": strerror(errno)". */
int err_sys(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like err_sys but with an explicit errno value (for APIs that return -errno). */
int err_errno(struct err *e, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int err_invalid(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_notfound(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_conflict(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds context in front of the message already there: "ctx: old message". */
int err_wrap(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);
int err_http_status(const struct err *e);

#endif
