/* err: formatting of error objects. */
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int err_vset(struct err *e, enum err_kind kind, int errnum, const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	e->kind = kind;
	e->errnum = errnum;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int err_set(struct err *e, enum err_kind kind, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(e, kind, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 3, 0))) static int err_vsys(struct err *e, int errnum,
							  const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	err_vset(e, ERR_INTERNAL, errnum, fmt, ap);
	size_t n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	if (errnum == ENOENT)
		e->kind = ERR_NOT_FOUND;
	else if (errnum == EEXIST)
		e->kind = ERR_CONFLICT;
	else if (errnum == EINVAL)
		e->kind = ERR_INVALID;
	return -1;
}

int err_sys(struct err *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	err_vsys(e, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int err_errno(struct err *e, int errnum, const char *fmt, ...)
{
	if (errnum < 0)
		errnum = -errnum;
	va_list ap;
	va_start(ap, fmt);
	err_vsys(e, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

#define ERR_KIND_FN(name, kind)                       \
	int name(struct err *e, const char *fmt, ...) \
	{                                             \
		va_list ap;                           \
		va_start(ap, fmt);                    \
		err_vset(e, kind, 0, fmt, ap);        \
		va_end(ap);                           \
		return -1;                            \
	}

ERR_KIND_FN(err_invalid, ERR_INVALID)
ERR_KIND_FN(err_notfound, ERR_NOT_FOUND)
ERR_KIND_FN(err_conflict, ERR_CONFLICT)

int err_wrap(struct err *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	char ctx[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	if (e->kind == ERR_NONE)
		e->kind = ERR_INTERNAL;
	size_t n = strlen(ctx);
	if (n >= sizeof(e->msg))
		n = sizeof(e->msg) - 1;
	memcpy(e->msg, ctx, n);
	if (old[0] && n + 2 < sizeof(e->msg)) {
		memcpy(e->msg + n, ": ", 2);
		n += 2;
		size_t m = strlen(old);
		if (m > sizeof(e->msg) - 1 - n)
			m = sizeof(e->msg) - 1 - n;
		memcpy(e->msg + n, old, m);
		n += m;
	}
	e->msg[n] = '\0';
	return -1;
}

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->kind = ERR_NONE;
	e->errnum = 0;
	e->msg[0] = '\0';
}

int err_http_status(const struct err *e)
{
	switch (e ? e->kind : ERR_INTERNAL) {
	case ERR_NONE:
		return 200;
	case ERR_INVALID:
		return 400;
	case ERR_NOT_FOUND:
		return 404;
	case ERR_CONFLICT:
		return 409;
	case ERR_NOT_MODIFIED:
		return 304;
	case ERR_FORBIDDEN:
		return 403;
	case ERR_UNAVAILABLE:
		return 503;
	case ERR_INTERNAL:
		break;
	}
	return 500;
}
