/* log: leveled logging to stderr or a file, as text or JSON lines (runc's --log-format).
 * Only top levels (main, handlers) log errors; deep code returns struct err. */
#ifndef BERTH_UTIL_LOG_H
#define BERTH_UTIL_LOG_H

#include "util/err.h"

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT = 0, LOG_JSON };

/* path NULL or "" keeps stderr. Returns -1 if the file can't be opened. */
int log_init(const char *path, enum log_format fmt, enum log_level level, struct err *e);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_parse_format(const char *s, enum log_format *out);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The log fd (for children that must keep logging), -1 when logging to stderr. */
int log_fd(void);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                   \
	do {                                             \
		if (log_get_level() >= LOG_DEBUG)        \
			log_msg(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
