/* community/schedule.h — when a ritual happens: a start in local wall-clock
 * time to the minute, an IANA time zone, a duration and an optional
 * recurrence, turned into the UTC instants of its occurrences. Time zone
 * arithmetic (DST gaps and overlaps, zone rules) is ICU's (libicu, the
 * ucal C API), never the process's TZ: a weekly 19:00 Europe/Paris ritual
 * stays at 19:00 Paris time across a DST change.
 *
 * The rules (docs/rituals.md, "Schedules"):
 *  - start: "YYYY-MM-DDTHH:MM", local to tz; tz: an IANA zone ID (a system
 *    ID: "Europe/Paris", "UTC"; custom offsets such as "GMT+3" are refused).
 *  - no recurrence: exactly one occurrence.
 *  - weekly / biweekly: every 1 / 2 weeks from the start, at the start's
 *    local time, on each listed day ("mo".."su") of the 7 days that begin
 *    with the start's day; days default to the start's weekday, and the
 *    start's weekday must be listed (the start is always occurrence 1).
 *  - monthly: every month on the start's day of the month (clamped to the
 *    month's last day: a series started on the 31st runs on Feb 28/29); with
 *    days = [the start's weekday], on that weekday's ordinal in the month
 *    instead ("the 2nd Thursday"; a 5th one means "the last").
 *  - a local time that does not exist (a DST gap) is moved forward by the
 *    gap (02:30 on a spring-forward night in Paris is 03:30 CEST); an
 *    ambiguous one (the autumn overlap) is the first of the two.
 * Occurrences are numbered from 1. Pure functions over the struct; no
 * state of their own; safe on any thread. */
#ifndef HEARTH_SCHEDULE_H
#define HEARTH_SCHEDULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHEDULE_TZ_MAX 64               /* bytes of a zone ID */
#define SCHEDULE_MAX_REMINDERS 8
#define SCHEDULE_MAX_DURATION (7 * 24 * 3600)       /* seconds */
#define SCHEDULE_MAX_REMINDER (30 * 24 * 3600)      /* seconds before start */
#define SCHEDULE_MAX_OCCURRENCES 100000u /* a series' occurrences past this do not exist */

enum schedule_freq { SCHED_ONCE, SCHED_WEEKLY, SCHED_BIWEEKLY, SCHED_MONTHLY };

struct schedule {
    char tz[SCHEDULE_TZ_MAX + 1];
    int year, month, day, hour, minute;  /* local start; month 1..12 */
    uint32_t duration_s;
    enum schedule_freq freq;
    uint8_t days;          /* weekly: bit d = day d (0 = Monday .. 6 = Sunday) */
    bool month_by_weekday; /* monthly: the start's weekday ordinal */
    uint32_t reminders[SCHEDULE_MAX_REMINDERS]; /* seconds before start, distinct */
    uint32_t nreminders;
};

/* Reads {start, tz, duration, recurrence?, reminders?} from obj (other keys
 * are the caller's). 0, or -1 with a sentence for the caller's 107 in err. */
int schedule_parse(json_t *obj, struct schedule *out, char *err, size_t errlen);

/* The UTC start of occurrence n (1-based) in unix ms. 0, or -1 when there
 * is no such occurrence (n == 0, past the series, or a zone error). */
int schedule_occurrence(const struct schedule *s, uint32_t n, int64_t *start_ms);

/* The first occurrence whose end (start + duration) is after t_ms: 0 with
 * *n and *start_ms set, or -1 when the series has none left. */
int schedule_next(const struct schedule *s, int64_t t_ms, uint32_t *n, int64_t *start_ms);

/* Weekday of a civil date, 0 = Monday .. 6 = Sunday. */
int schedule_weekday(int year, int month, int day);

/* "2026-12-10T18:00:00Z" for unix ms t (seconds precision) into out (>= 21
 * bytes). */
void schedule_format_utc(int64_t t_ms, char *out, size_t n);
/* The inverse, for "YYYY-MM-DDTHH:MM[:SS]Z" (event.list's from/to): 0 or -1. */
int schedule_parse_utc(const char *s, int64_t *t_ms);

#endif
