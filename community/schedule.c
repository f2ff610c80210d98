/* community/schedule.c — schedule.h: parsing the schedule fields, civil
 * date arithmetic for the recurrence (days since 1970-01-01 of a
 * proleptic Gregorian date), and ICU for local wall time -> UTC. */
#include "community/schedule.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unicode/ucal.h>

static const char *const day_names[7] = {"mo", "tu", "we", "th", "fr", "sa", "su"};

#define FAIL(...)                                  \
    do {                                           \
        snprintf(err, errlen, __VA_ARGS__);        \
        return -1;                                 \
    } while (0)

/* ---- civil dates ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

int schedule_weekday(int year, int month, int day)
{
    int64_t z = days_from_civil(year, month, day); /* 1970-01-01 was a Thursday (3) */
    return (int)(((z % 7) + 7 + 3) % 7);
}

/* ---- time zones (ICU) ---- */

static int tz_uchars(const char *tz, UChar *out, int cap)
{
    int n = 0;
    for (; tz[n]; n++) {
        unsigned char c = (unsigned char)tz[n];
        if (n + 1 >= cap || c < 0x21 || c > 0x7e)
            return -1;
        out[n] = c;
    }
    out[n] = 0;
    return n;
}

static bool tz_known(const char *tz)
{
    UChar id[SCHEDULE_TZ_MAX + 1], canon[128];
    int n = tz_uchars(tz, id, (int)(sizeof(id) / sizeof(id[0])));
    if (n <= 0)
        return false;
    UErrorCode st = U_ZERO_ERROR;
    UBool system = 0;
    ucal_getCanonicalTimeZoneID(id, n, canon, (int32_t)(sizeof(canon) / sizeof(canon[0])),
                                &system, &st);
    return U_SUCCESS(st) && system;
}

/* Unix ms of local wall time y-m-d h:mi in tz. 0 or -1. */
static int local_to_utc(const char *tz, int y, int m, int d, int h, int mi, int64_t *out)
{
    UChar id[SCHEDULE_TZ_MAX + 1];
    int n = tz_uchars(tz, id, (int)(sizeof(id) / sizeof(id[0])));
    if (n <= 0)
        return -1;
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(id, n, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st))
        return -1;
    /* The whole of history is Gregorian here (no Julian switch). */
    ucal_setGregorianChange(cal, -8.64e15, &st);
    ucal_setAttribute(cal, UCAL_LENIENT, 1);
    ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_LAST);
    ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_clear(cal);
    ucal_setDateTime(cal, y, m - 1, d, h, mi, 0, &st);
    UDate ms = ucal_getMillis(cal, &st);
    ucal_close(cal);
    if (U_FAILURE(st))
        return -1;
    *out = (int64_t)ms;
    return 0;
}

/* ---- parsing ---- */

static int parse_start(const char *s, struct schedule *o)
{
    int y, mo, d, h, mi, used = 0;
    if (strlen(s) != 16 || sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) != 5 ||
        used != 16 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':')
        return -1;
    for (int i = 0; i < 16; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && (s[i] < '0' || s[i] > '9'))
            return -1;
    if (y < 1971 || y > 9998 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
        h > 23 || mi > 59)
        return -1;
    o->year = y, o->month = mo, o->day = d, o->hour = h, o->minute = mi;
    return 0;
}

static int parse_recurrence(json_t *r, struct schedule *o, char *err, size_t errlen)
{
    if (!json_is_object(r))
        FAIL("recurrence must be an object {\"freq\", \"days\"?}");
    const char *k;
    json_t *v;
    json_object_foreach(r, k, v) {
        if (strcmp(k, "freq") && strcmp(k, "days"))
            FAIL("recurrence: unknown key \"%s\"", k);
    }
    const char *f = json_string_value(json_object_get(r, "freq"));
    if (!f)
        FAIL("recurrence.freq must be \"weekly\", \"biweekly\" or \"monthly\"");
    if (!strcmp(f, "weekly"))
        o->freq = SCHED_WEEKLY;
    else if (!strcmp(f, "biweekly"))
        o->freq = SCHED_BIWEEKLY;
    else if (!strcmp(f, "monthly"))
        o->freq = SCHED_MONTHLY;
    else
        FAIL("recurrence.freq must be \"weekly\", \"biweekly\" or \"monthly\"");
    int wd = schedule_weekday(o->year, o->month, o->day);
    json_t *days = json_object_get(r, "days");
    uint8_t mask = 0;
    if (days) {
        if (!json_is_array(days) || json_array_size(days) == 0 || json_array_size(days) > 7)
            FAIL("recurrence.days must be a list of 1 to 7 of \"mo\"..\"su\"");
        size_t i;
        json_t *e;
        json_array_foreach(days, i, e) {
            const char *name = json_string_value(e);
            int found = -1;
            for (int j = 0; name && j < 7; j++)
                if (!strcmp(name, day_names[j]))
                    found = j;
            if (found < 0)
                FAIL("recurrence.days: each day is one of mo, tu, we, th, fr, sa, su");
            if (mask & (1u << found))
                FAIL("recurrence.days: \"%s\" is listed twice", name);
            mask |= (uint8_t)(1u << found);
        }
        if (!(mask & (1u << wd)))
            FAIL("recurrence.days must include the start's weekday (%s)", day_names[wd]);
    }
    if (o->freq == SCHED_MONTHLY) {
        if (days && mask != (1u << wd))
            FAIL("a monthly recurrence takes at most one day: the start's weekday (%s)",
                 day_names[wd]);
        o->month_by_weekday = days != NULL;
    } else {
        o->days = mask ? mask : (uint8_t)(1u << wd);
    }
    return 0;
}

int schedule_parse(json_t *obj, struct schedule *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    if (!json_is_object(obj))
        FAIL("the schedule must be an object");
    const char *start = json_string_value(json_object_get(obj, "start"));
    if (!start || parse_start(start, o))
        FAIL("start must be a local time \"YYYY-MM-DDTHH:MM\" (years 1971..9998)");
    const char *tz = json_string_value(json_object_get(obj, "tz"));
    if (!tz || strlen(tz) > SCHEDULE_TZ_MAX || !tz_known(tz))
        FAIL("tz must be an IANA time zone name such as \"Europe/Paris\"");
    memcpy(o->tz, tz, strlen(tz) + 1);
    json_t *dur = json_object_get(obj, "duration");
    if (!json_is_integer(dur) || json_integer_value(dur) < 60 ||
        json_integer_value(dur) > SCHEDULE_MAX_DURATION)
        FAIL("duration must be whole seconds from 60 to %d", SCHEDULE_MAX_DURATION);
    o->duration_s = (uint32_t)json_integer_value(dur);
    json_t *rec = json_object_get(obj, "recurrence");
    o->freq = SCHED_ONCE;
    if (rec && !json_is_null(rec) && parse_recurrence(rec, o, err, errlen))
        return -1;
    json_t *rem = json_object_get(obj, "reminders");
    if (rem && !json_is_null(rem)) {
        if (!json_is_array(rem) || json_array_size(rem) > SCHEDULE_MAX_REMINDERS)
            FAIL("reminders must be a list of at most %d whole seconds before the start",
                 SCHEDULE_MAX_REMINDERS);
        size_t i;
        json_t *e;
        json_array_foreach(rem, i, e) {
            if (!json_is_integer(e) || json_integer_value(e) < 0 ||
                json_integer_value(e) > SCHEDULE_MAX_REMINDER)
                FAIL("each reminder is whole seconds from 0 to %d before the start",
                     SCHEDULE_MAX_REMINDER);
            uint32_t s = (uint32_t)json_integer_value(e);
            for (uint32_t j = 0; j < o->nreminders; j++)
                if (o->reminders[j] == s)
                    FAIL("reminder %" PRIu32 " is listed twice", s);
            o->reminders[o->nreminders++] = s;
        }
    }
    int64_t first;
    if (schedule_occurrence(o, 1, &first))
        FAIL("the start cannot be placed in that time zone");
    return 0;
}

/* ---- occurrences ---- */

/* The local date of occurrence n (1-based). 0 or -1. */
static int occurrence_date(const struct schedule *s, uint32_t n, int *y, int *m, int *d)
{
    if (n == 0 || (s->freq == SCHED_ONCE && n != 1) || n > SCHEDULE_MAX_OCCURRENCES)
        return -1;
    int64_t z0 = days_from_civil(s->year, s->month, s->day);
    if (s->freq == SCHED_ONCE) {
        civil_from_days(z0, y, m, d);
        return 0;
    }
    if (s->freq == SCHED_WEEKLY || s->freq == SCHED_BIWEEKLY) {
        int wd = schedule_weekday(s->year, s->month, s->day);
        int offs[7], noffs = 0; /* days after the start's weekday, ascending */
        for (int k = 0; k < 7; k++)
            if (s->days & (1u << ((wd + k) % 7)))
                offs[noffs++] = k;
        uint32_t q = (n - 1) / (uint32_t)noffs, r = (n - 1) % (uint32_t)noffs;
        int64_t weeks = (int64_t)q * (s->freq == SCHED_BIWEEKLY ? 2 : 1);
        civil_from_days(z0 + weeks * 7 + offs[r], y, m, d);
        return 0;
    }
    /* monthly */
    int64_t mi = (int64_t)s->month - 1 + (n - 1);
    int yy = s->year + (int)(mi / 12), mm = (int)(mi % 12) + 1;
    if (yy > 9999)
        return -1;
    if (!s->month_by_weekday) {
        int dd = s->day, last = days_in_month(yy, mm);
        *y = yy, *m = mm, *d = dd > last ? last : dd;
        return 0;
    }
    int wd = schedule_weekday(s->year, s->month, s->day);
    int ord = (s->day - 1) / 7; /* 0..4; 4 = the last */
    int first_wd = schedule_weekday(yy, mm, 1);
    int dd = 1 + (wd - first_wd + 7) % 7 + 7 * ord;
    while (dd > days_in_month(yy, mm))
        dd -= 7;
    *y = yy, *m = mm, *d = dd;
    return 0;
}

int schedule_occurrence(const struct schedule *s, uint32_t n, int64_t *start_ms)
{
    int y, m, d;
    if (occurrence_date(s, n, &y, &m, &d))
        return -1;
    return local_to_utc(s->tz, y, m, d, s->hour, s->minute, start_ms);
}

int schedule_next(const struct schedule *s, int64_t t_ms, uint32_t *n, int64_t *start_ms)
{
    int64_t first;
    if (schedule_occurrence(s, 1, &first))
        return -1;
    uint32_t lo = 1;
    if (s->freq != SCHED_ONCE && t_ms > first) {
        /* Start near the answer: occurrences are at least a few days apart
         * (a week holds at most 7; a month at least 28 days), then walk. */
        int64_t per_day = s->freq == SCHED_MONTHLY ? 1 : __builtin_popcount(s->days);
        int64_t span_days = s->freq == SCHED_MONTHLY ? 28 : s->freq == SCHED_BIWEEKLY ? 14 : 7;
        int64_t est = (t_ms - first) / 86400000 / span_days * per_day - 2;
        if (est > 1)
            lo = est > SCHEDULE_MAX_OCCURRENCES ? SCHEDULE_MAX_OCCURRENCES : (uint32_t)est;
    }
    for (uint32_t k = lo; k <= SCHEDULE_MAX_OCCURRENCES; k++) {
        int64_t st;
        if (schedule_occurrence(s, k, &st))
            return -1;
        if (st + (int64_t)s->duration_s * 1000 > t_ms) {
            *n = k;
            *start_ms = st;
            return 0;
        }
        if (s->freq == SCHED_ONCE)
            break;
    }
    return -1;
}

void schedule_format_utc(int64_t t_ms, char *out, size_t n)
{
    int64_t secs = t_ms >= 0 ? t_ms / 1000 : -((-t_ms + 999) / 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
}

int schedule_parse_utc(const char *s, int64_t *t_ms)
{
    int y, mo, d, h, mi, sec = 0, used = 0;
    size_t len = strlen(s);
    if (len == 17) {
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &used) != 5 || used != 17)
            return -1;
    } else if (len == 20) {
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
            used != 20)
            return -1;
    } else {
        return -1;
    }
    for (size_t i = 0; i < len - 1; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
            return -1;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
        h > 23 || mi > 59 || sec > 59)
        return -1;
    *t_ms = ((days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + sec) * 1000;
    return 0;
}
