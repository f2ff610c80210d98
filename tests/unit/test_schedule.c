/* tests/unit/test_schedule.c — community/schedule.c: parsing, recurrence
 * expansion and DST (a weekly 19:00 Europe/Paris ritual stays at 19:00 Paris
 * time across both changes), monthly clamping and weekday ordinals, next
 * occurrence, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "community/schedule.h"

static int parse(const char *json, struct schedule *s, char *err)
{
    json_error_t je;
    json_t *o = json_loads(json, 0, &je);
    assert_non_null(o);
    int r = schedule_parse(o, s, err, 256);
    json_decref(o);
    return r;
}

static void utc_of(const struct schedule *s, uint32_t n, char *out)
{
    int64_t t;
    assert_int_equal(schedule_occurrence(s, n, &t), 0);
    schedule_format_utc(t, out, 32);
}

static void weekly_paris_across_dst(void **state)
{
    (void)state;
    struct schedule s;
    char err[256], t[32];
    /* Thursday 2026-10-15 19:00 Paris (CEST, UTC+2); DST ends 2026-10-25. */
    assert_int_equal(parse("{\"start\":\"2026-10-15T19:00\",\"tz\":\"Europe/Paris\","
                           "\"duration\":3600,\"recurrence\":{\"freq\":\"weekly\"}}", &s, err), 0);
    utc_of(&s, 1, t);
    assert_string_equal(t, "2026-10-15T17:00:00Z");
    utc_of(&s, 2, t);
    assert_string_equal(t, "2026-10-22T17:00:00Z");
    utc_of(&s, 3, t); /* CET, UTC+1: still 19:00 in Paris */
    assert_string_equal(t, "2026-10-29T18:00:00Z");
    /* and back to summer time: DST starts 2027-03-28 */
    utc_of(&s, 23, t);
    assert_string_equal(t, "2027-03-18T18:00:00Z");
    utc_of(&s, 25, t);
    assert_string_equal(t, "2027-04-01T17:00:00Z");
}

static void dst_gap_and_overlap(void **state)
{
    (void)state;
    struct schedule s;
    char err[256], t[32];
    /* 2027-03-28 02:30 does not exist in Paris: taken as 03:30 CEST = 01:30Z */
    assert_int_equal(parse("{\"start\":\"2027-03-28T02:30\",\"tz\":\"Europe/Paris\","
                           "\"duration\":600}", &s, err), 0);
    utc_of(&s, 1, t);
    assert_string_equal(t, "2027-03-28T01:30:00Z");
    /* 2026-10-25 02:30 happens twice: the first (CEST) = 00:30Z */
    assert_int_equal(parse("{\"start\":\"2026-10-25T02:30\",\"tz\":\"Europe/Paris\","
                           "\"duration\":600}", &s, err), 0);
    utc_of(&s, 1, t);
    assert_string_equal(t, "2026-10-25T00:30:00Z");
    int64_t x;
    assert_int_equal(schedule_occurrence(&s, 2, &x), -1); /* a one-off has one */
}

static void weekly_days_and_biweekly(void **state)
{
    (void)state;
    struct schedule s;
    char err[256], t[32];
    /* Thursday 2026-12-10 (UTC zone), days th + mo: Thu, Mon, Thu, Mon... */
    assert_int_equal(parse("{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60,"
                           "\"recurrence\":{\"freq\":\"weekly\",\"days\":[\"mo\",\"th\"]}}",
                           &s, err), 0);
    utc_of(&s, 1, t);
    assert_string_equal(t, "2026-12-10T19:00:00Z");
    utc_of(&s, 2, t);
    assert_string_equal(t, "2026-12-14T19:00:00Z");
    utc_of(&s, 3, t);
    assert_string_equal(t, "2026-12-17T19:00:00Z");
    assert_int_equal(parse("{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60,"
                           "\"recurrence\":{\"freq\":\"biweekly\"}}", &s, err), 0);
    utc_of(&s, 2, t);
    assert_string_equal(t, "2026-12-24T19:00:00Z");
    utc_of(&s, 3, t);
    assert_string_equal(t, "2027-01-07T19:00:00Z");
}

static void monthly(void **state)
{
    (void)state;
    struct schedule s;
    char err[256], t[32];
    assert_int_equal(parse("{\"start\":\"2027-01-31T10:00\",\"tz\":\"UTC\",\"duration\":60,"
                           "\"recurrence\":{\"freq\":\"monthly\"}}", &s, err), 0);
    utc_of(&s, 2, t);
    assert_string_equal(t, "2027-02-28T10:00:00Z"); /* clamped */
    utc_of(&s, 3, t);
    assert_string_equal(t, "2027-03-31T10:00:00Z");
    /* 2nd Thursday: 2026-12-10 is the 2nd Thursday of December */
    assert_int_equal(parse("{\"start\":\"2026-12-10T10:00\",\"tz\":\"UTC\",\"duration\":60,"
                           "\"recurrence\":{\"freq\":\"monthly\",\"days\":[\"th\"]}}", &s, err), 0);
    utc_of(&s, 2, t);
    assert_string_equal(t, "2027-01-14T10:00:00Z");
    utc_of(&s, 3, t);
    assert_string_equal(t, "2027-02-11T10:00:00Z");
}

static void next_occurrence(void **state)
{
    (void)state;
    struct schedule s;
    char err[256], t[32];
    assert_int_equal(parse("{\"start\":\"2026-12-10T19:00\",\"tz\":\"Europe/Paris\","
                           "\"duration\":3600,\"recurrence\":{\"freq\":\"weekly\"}}", &s, err), 0);
    int64_t at, st;
    uint32_t n;
    assert_int_equal(schedule_parse_utc("2027-06-01T00:00:00Z", &at), 0);
    assert_int_equal(schedule_next(&s, at, &n, &st), 0);
    schedule_format_utc(st, t, sizeof(t));
    assert_string_equal(t, "2027-06-03T17:00:00Z");
    assert_int_equal(n, 26);
    /* during an occurrence: that one (its end is later) */
    assert_int_equal(schedule_parse_utc("2027-06-03T17:30Z", &at), 0);
    assert_int_equal(schedule_next(&s, at, &n, &st), 0);
    assert_int_equal(n, 26);
    /* before the start: the first */
    assert_int_equal(schedule_parse_utc("2020-01-01T00:00:00Z", &at), 0);
    assert_int_equal(schedule_next(&s, at, &n, &st), 0);
    assert_int_equal(n, 1);
}

static void refusals(void **state)
{
    (void)state;
    struct schedule s;
    char err[256];
    const char *bad[] = {
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"Mars/Olympus\",\"duration\":60}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"GMT+3\",\"duration\":60}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"\",\"duration\":60}",
        "{\"start\":\"2026-12-10 19:00\",\"tz\":\"UTC\",\"duration\":60}",
        "{\"start\":\"2026-02-30T19:00\",\"tz\":\"UTC\",\"duration\":60}",
        "{\"start\":\"2026-12-10T24:00\",\"tz\":\"UTC\",\"duration\":60}",
        "{\"start\":\"2026-12-10T19:00:00\",\"tz\":\"UTC\",\"duration\":60}",
        "{\"start\":\"+026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":59}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":\"1h\"}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60,"
        "\"recurrence\":{\"freq\":\"daily\"}}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60,"
        "\"recurrence\":{\"freq\":\"weekly\",\"days\":[\"mo\"]}}", /* start is a Thursday */
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60,"
        "\"recurrence\":{\"freq\":\"weekly\",\"days\":[\"th\",\"th\"]}}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60,"
        "\"recurrence\":{\"freq\":\"monthly\",\"days\":[\"th\",\"fr\"]}}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60,"
        "\"recurrence\":{\"freq\":\"weekly\",\"every\":2}}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60,\"reminders\":[-1]}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60,\"reminders\":[60,60]}",
        "{\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\",\"duration\":60,"
        "\"reminders\":[1,2,3,4,5,6,7,8,9]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        if (parse(bad[i], &s, err) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_true(err[0] != 0);
    }
    int64_t t;
    assert_int_equal(schedule_parse_utc("2026-12-10T18:00:00", &t), -1);
    assert_int_equal(schedule_parse_utc("2026-13-10T18:00:00Z", &t), -1);
    assert_int_equal(schedule_parse_utc("2026-12-10T18:00:00Z", &t), 0);
    assert_int_equal(t, 1796925600000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(weekly_paris_across_dst), cmocka_unit_test(dst_gap_and_overlap),
        cmocka_unit_test(weekly_days_and_biweekly), cmocka_unit_test(monthly),
        cmocka_unit_test(next_occurrence),         cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
