/* util/log.c — logfmt logger on stderr (see log.h), with a line budget:
 * at most LOG_BUDGET lines per second reach stderr; the rest are counted and
 * reported as one "suppressed N log lines" line when the next second
 * starts, so a flood (a peer provoking errors, lws retrying accept) costs
 * neither disk nor the loop's time. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level level = LOG_INFO; /* process config, set before the loop runs */
static const char *names[] = {"error", "warn", "info", "debug"};

#define LOG_BUDGET 200
/* the budget: the process's one stderr, like level above */
static struct {
    time_t second;
    unsigned lines, suppressed;
} budget;

static void write_line(const struct timespec *ts, const char *lvl, const char *mod, const char *q)
{
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    fprintf(stderr, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s mod=%s msg=\"%s\"\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts->tv_nsec / 1000000, lvl, mod, q);
}

/* 1 if a line may be written now (after reporting what was suppressed). */
static int take_budget(const struct timespec *now)
{
    if (now->tv_sec != budget.second) {
        unsigned dropped = budget.suppressed;
        budget.second = now->tv_sec;
        budget.lines = budget.suppressed = 0;
        if (dropped) {
            budget.lines++;
            char m[96];
            snprintf(m, sizeof(m), "suppressed %u log lines (over %d a second)", dropped, LOG_BUDGET);
            write_line(now, "warn", "log", m);
        }
    }
    if (budget.lines >= LOG_BUDGET) {
        budget.suppressed++;
        return 0;
    }
    budget.lines++;
    return 1;
}

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
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (!take_budget(&ts))
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
    write_line(&ts, names[l], mod, q);
}
