/* tests/unit/test_event_doc.c — community/event_doc.c: validation of event
 * fields against a config, the lifecycle bookkeeping (states, cancellations,
 * done_through pruning), the current occurrence and the get view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "community/event_doc.h"
#include "config/config.h"

static struct config cfg;

static int setup(void **state)
{
    (void)state;
    char path[] = "/tmp/hearth-evdoc-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "{\"namespaces\":[{\"name\":\"live\",\"chat\":true,\"history_size\":10,"
                       "\"history_ttl\":60},{\"name\":\"plain\"}]}";
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char err[256];
    int rc = config_load(&cfg, path, err, sizeof(err));
    unlink(path);
    if (rc)
        fail_msg("config: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    config_free(&cfg);
    return 0;
}

static json_t *created(const char *params)
{
    json_error_t je;
    json_t *p = json_loads(params, 0, &je), *doc = json_object();
    char err[200];
    assert_non_null(p);
    if (event_apply(doc, p, true, &cfg, err, sizeof(err)))
        fail_msg("refused: %s", err);
    json_object_set_new(doc, "id", json_string("0123456789abcdef"));
    json_decref(p);
    return doc;
}

#define WEEKLY "{\"title\":\"T\",\"hosts\":[\"alice\"],\"start\":\"2026-12-10T19:00\"," \
               "\"tz\":\"Europe/Paris\",\"duration\":3600,\"recurrence\":{\"freq\":\"weekly\"}}"

static void lifecycle_and_pruning(void **state)
{
    (void)state;
    json_t *doc = created(WEEKLY);
    struct schedule s;
    uint32_t n = 0;
    assert_int_equal(event_schedule(doc, &s), 0);
    assert_int_equal(event_current(doc, &s, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(event_occ_state(doc, 1), EV_SCHEDULED);
    event_set_state(doc, 1, EV_LIVE, 10);
    assert_int_equal(event_occ_state(doc, 1), EV_LIVE);
    /* cancelling 2 ahead of time, then ending 1: current jumps to 3, both pruned */
    event_set_state(doc, 2, EV_CANCELLED, 11);
    assert_int_equal(event_current(doc, &s, &n), 0);
    assert_int_equal(n, 1);
    event_set_state(doc, 1, EV_ENDED, 12);
    assert_int_equal(event_current(doc, &s, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(json_integer_value(json_object_get(doc, "done_through")), 2);
    assert_int_equal(json_object_size(json_object_get(doc, "occ")), 0);
    assert_int_equal(event_occ_state(doc, 1), EV_ENDED);
    assert_int_equal(event_occ_state(doc, 2), EV_CANCELLED);
    assert_int_equal(event_occ_state(doc, 4), EV_SCHEDULED);
    /* the view lists the current and the next four */
    json_t *v = event_view(doc, &s);
    json_t *occ = json_object_get(v, "occurrences");
    assert_int_equal(json_array_size(occ), EVENT_VIEW_OCCURRENCES);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(occ, 0), "n")), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(occ, 0), "channel")),
                        "live:0123456789abcdef.3");
    assert_null(json_object_get(v, "done_through"));
    json_decref(v);
    /* the whole series cancelled: no current */
    json_object_set_new(doc, "series_cancelled", json_true());
    assert_int_equal(event_current(doc, &s, &n), -1);
    assert_int_equal(event_occ_state(doc, 7), EV_CANCELLED);
    json_decref(doc);
}

static void one_off(void **state)
{
    (void)state;
    json_t *doc = created("{\"title\":\"Once\",\"hosts\":[\"a\"],\"start\":\"2026-12-24T18:00\","
                          "\"tz\":\"UTC\",\"duration\":600}");
    struct schedule s;
    uint32_t n;
    assert_int_equal(event_schedule(doc, &s), 0);
    event_set_state(doc, 1, EV_ENDED, 1);
    assert_int_equal(event_current(doc, &s, &n), -1);
    json_t *v = event_view(doc, &s);
    assert_int_equal(json_array_size(json_object_get(v, "occurrences")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(v, "occurrences"), 0), "state")),
                        "ended");
    assert_true(json_is_null(json_object_get(v, "current")));
    json_decref(v);
    json_decref(doc);
}

static void update_rules(void **state)
{
    (void)state;
    json_t *doc = created(WEEKLY);
    char err[200];
    json_error_t je;
    json_t *p = json_loads("{\"id\":\"x\",\"title\":\"New\",\"stream_url\":null}", 0, &je);
    assert_int_equal(event_apply(doc, p, false, &cfg, err, sizeof(err)), 0);
    assert_string_equal(json_string_value(json_object_get(doc, "title")), "New");
    json_decref(p);
    /* a refused update leaves the doc as it was */
    const char *bad[] = {"{\"namespace\":\"live\"}", "{\"tz\":\"Nowhere/X\"}", "{\"hosts\":[]}",
                         "{\"title\":\"\"}", "{\"colour\":\"red\"}", "{\"policies\":{\"live\":{\"x\":1}}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = json_loads(bad[i], 0, &je);
        assert_int_equal(event_apply(doc, p, false, &cfg, err, sizeof(err)), -1);
        json_decref(p);
        assert_string_equal(json_string_value(json_object_get(doc, "title")), "New");
        assert_string_equal(json_string_value(json_object_get(doc, "tz")), "Europe/Paris");
    }
    /* a plain namespace cannot hold an event */
    json_t *d2 = json_object();
    p = json_loads("{\"title\":\"T\",\"hosts\":[\"a\"],\"start\":\"2026-12-10T19:00\",\"tz\":\"UTC\","
                   "\"duration\":60,\"namespace\":\"plain\"}", 0, &je);
    assert_int_equal(event_apply(d2, p, true, &cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "chat"));
    json_decref(p);
    json_decref(d2);
    assert_true(event_is_host(doc, "alice"));
    assert_false(event_is_host(doc, "bob"));
    assert_false(event_is_host(doc, ""));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lifecycle_and_pruning),
        cmocka_unit_test(one_off),
        cmocka_unit_test(update_rules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
