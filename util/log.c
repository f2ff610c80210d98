/* util/log.c — logfmt logger on stderr (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level level = LOG_INFO; /* process config, set before the loop runs */
static const char *names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level l) { level = l; }
int log_enabled(enum log_level l) { return l <= level; }

int log_parse_level(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    return -1;
}

void log_emit(enum log_level l, const char *mod, const char *fmt, ...)
{
    if (l > level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* quote the message: escape backslash and double quote, drop newlines */
    char q[2100];
    size_t j = 0;
    for (size_t i = 0; msg[i] && j < sizeof(q) - 3; i++) {
        char c = msg[i];
        if (c == '"' || c == '\\')
            q[j++] = '\\';
        q[j++] = (c == '\n' || c == '\r') ? ' ' : c;
    }
    q[j] = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s mod=%s msg=\"%s\"\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, names[l], mod, q);
}
