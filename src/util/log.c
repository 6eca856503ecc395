/* log: one global sink, set once by main. */
#include "util/log.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_out = -1; /* -1: stderr */
static enum log_format log_fmt = LOG_TEXT;
static enum log_level log_lvl = LOG_WARN;

int log_init(const char *path, enum log_format fmt, enum log_level level, struct err *e)
{
	log_fmt = fmt;
	log_lvl = level;
	if (!path || !*path)
		return 0;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys(e, "open log file %s", path);
	if (log_out >= 0)
		close(log_out);
	log_out = fd;
	return 0;
}

void log_set_level(enum log_level level)
{
	log_lvl = level;
}

enum log_level log_get_level(void)
{
	return log_lvl;
}

int log_fd(void)
{
	return log_out;
}

int log_parse_format(const char *s, enum log_format *out)
{
	if (!strcmp(s, "text"))
		*out = LOG_TEXT;
	else if (!strcmp(s, "json"))
		*out = LOG_JSON;
	else
		return -1;
	return 0;
}

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_lvl)
		return;
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[64];
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);

	char line[8192];
	int n;
	if (log_fmt == LOG_JSON) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "level", level_names[level], "msg", msg,
				      "time", when);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		n = snprintf(line, sizeof(line), "%s\n", s ? s : "{}");
		free(s);
		json_decref(o);
	} else {
		/* logrus' text format, which tools parsing runc's output expect. */
		n = snprintf(line, sizeof(line), "time=\"%s\" level=%s msg=\"%s\"\n", when,
			     level_names[level], msg);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	ssize_t w = write(log_out >= 0 ? log_out : STDERR_FILENO, line, (size_t)n);
	(void)w;
}
