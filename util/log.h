/* util/log.h — the one logger: leveled, one line per event on stderr in
 * logfmt (`ts=... level=info mod=server msg="..."`). The level is process
 * configuration set once at startup (log_set_level); nothing else is global. */
#ifndef HEARTH_LOG_H
#define HEARTH_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(enum log_level l);
int log_parse_level(const char *s, enum log_level *out); /* 0 or -1 */
int log_enabled(enum log_level l);
void log_emit(enum log_level l, const char *mod, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(mod, ...) log_emit(LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_emit(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_emit(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) \
    do { if (log_enabled(LOG_DEBUG)) log_emit(LOG_DEBUG, mod, __VA_ARGS__); } while (0)

#endif
