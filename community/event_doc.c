/* community/event_doc.c — event_doc.h: validation of event fields, the
 * lifecycle bookkeeping inside the document, the current occurrence and the
 * event.get view. Every json_t here is the caller's unless it says "new". */
#include "community/event_doc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

static const char *const state_names[EV_STATES] = {
    "scheduled", "green_room", "live", "after_party", "ended", "cancelled"};

#define FAIL(...)                                  \
    do {                                           \
        snprintf(err, errlen, __VA_ARGS__);        \
        return -1;                                 \
    } while (0)

const char *event_state_name(enum event_state s)
{
    return (unsigned)s < EV_STATES ? state_names[s] : "scheduled";
}

int event_state_from_name(const char *name)
{
    for (int i = 0; name && i < EV_STATES; i++)
        if (!strcmp(name, state_names[i]))
            return i;
    return -1;
}

/* ---- validation ---- */

static bool str_ok(json_t *v, size_t min, size_t max)
{
    return json_is_string(v) && json_string_length(v) >= min && json_string_length(v) <= max &&
           strlen(json_string_value(v)) == json_string_length(v); /* no NUL inside */
}

static int check_hosts(json_t *v, char *err, size_t errlen)
{
    if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > 50)
        FAIL("hosts must be a list of 1 to 50 user ids");
    size_t i;
    json_t *h;
    json_array_foreach(v, i, h) {
        if (!str_ok(h, 1, 128))
            FAIL("hosts must be user ids (strings of 1..128 bytes)");
    }
    return 0;
}

static int check_policies(json_t *v, char *err, size_t errlen)
{
    if (!json_is_object(v))
        FAIL("policies must be an object keyed by state");
    const char *st;
    json_t *p;
    json_object_foreach(v, st, p) {
        int s = event_state_from_name(st);
        if (s < 0 || s == EV_CANCELLED)
            FAIL("policies: unknown state \"%s\"", st);
        if (!json_is_object(p))
            FAIL("policies.%s must be an object {slow_mode?, read_only?}", st);
        const char *k;
        json_t *x;
        json_object_foreach(p, k, x) {
            if (!strcmp(k, "slow_mode")) {
                if (!json_is_integer(x) || json_integer_value(x) < 0 ||
                    json_integer_value(x) > 86400)
                    FAIL("policies.%s.slow_mode must be 0..86400 seconds", st);
            } else if (!strcmp(k, "read_only")) {
                if (!json_is_boolean(x))
                    FAIL("policies.%s.read_only must be true or false", st);
            } else {
                FAIL("policies.%s: unknown key \"%s\" (slow_mode, read_only)", st, k);
            }
        }
    }
    return 0;
}

static int check_namespace(json_t *v, const struct config *cfg, char *err, size_t errlen)
{
    if (!str_ok(v, 1, 64))
        FAIL("namespace must be a namespace name");
    char probe[80];
    int n = snprintf(probe, sizeof(probe), "%s:x", json_string_value(v));
    const struct ns_config *ns = config_find_ns(cfg, probe, (size_t)n);
    if (!ns || strcmp(ns->name, json_string_value(v)))
        FAIL("namespace \"%s\" is not configured", json_string_value(v));
    if (!ns->chat)
        FAIL("namespace \"%s\" is not a chat namespace (\"chat\": true)", ns->name);
    return 0;
}

/* The keys a caller may set, and which of them make up the schedule. */
static const char *const settable[] = {"title", "description", "hosts", "stream_url", "start",
                                       "tz", "duration", "recurrence", "reminders", "namespace",
                                       "policies", NULL};

int event_apply(json_t *doc, json_t *params, bool creating, const struct config *cfg, char *err,
                size_t errlen)
{
    if (!json_is_object(params))
        FAIL("params must be an object");
    json_t *next = json_deep_copy(doc);
    if (!next)
        FAIL("out of memory");
    const char *k;
    json_t *v;
    int rc = -1;
    json_object_foreach(params, k, v) {
        if (!strcmp(k, "id") && !creating)
            continue;
        bool ok = false;
        for (int i = 0; settable[i]; i++)
            ok |= !strcmp(k, settable[i]);
        if (!ok) {
            snprintf(err, errlen, "unknown key \"%s\"", k);
            goto out;
        }
        if (!creating && !strcmp(k, "namespace")) {
            snprintf(err, errlen, "an event's namespace cannot change");
            goto out;
        }
        /* null removes an optional field */
        if (json_is_null(v))
            json_object_del(next, k);
        else
            json_object_set(next, k, v);
    }
    if (!json_object_get(next, "namespace"))
        json_object_set_new(next, "namespace", json_string("live"));
#define CHECK(cond, ...)                                \
    do {                                                \
        if (!(cond)) {                                  \
            snprintf(err, errlen, __VA_ARGS__);         \
            goto out;                                   \
        }                                               \
    } while (0)
    CHECK(str_ok(json_object_get(next, "title"), 1, 200), "title must be 1..200 bytes");
    v = json_object_get(next, "description");
    CHECK(!v || str_ok(v, 0, 4000), "description must be a string of at most 4000 bytes");
    v = json_object_get(next, "stream_url");
    CHECK(!v || (str_ok(v, 8, 2048) && (!strncmp(json_string_value(v), "https://", 8) ||
                                        !strncmp(json_string_value(v), "http://", 7))),
          "stream_url must be an http(s) URL of at most 2048 bytes");
    if (check_hosts(json_object_get(next, "hosts"), err, errlen) ||
        check_namespace(json_object_get(next, "namespace"), cfg, err, errlen))
        goto out;
    v = json_object_get(next, "policies");
    if (v && check_policies(v, err, errlen))
        goto out;
    struct schedule s;
    if (schedule_parse(next, &s, err, errlen))
        goto out;
    /* accepted: copy next's fields into doc */
    json_object_clear(doc);
    json_object_update(doc, next);
    if (creating) {
        json_object_set_new(doc, "occ", json_object());
        json_object_set_new(doc, "cancelled", json_array());
        json_object_set_new(doc, "done_through", json_integer(0));
    }
    rc = 0;
#undef CHECK
out:
    json_decref(next);
    return rc;
}

int event_schedule(json_t *doc, struct schedule *out)
{
    char err[160];
    return schedule_parse(doc, out, err, sizeof(err));
}

bool event_is_host(json_t *doc, const char *user)
{
    size_t i;
    json_t *h;
    if (!user || !*user)
        return false;
    json_array_foreach(json_object_get(doc, "hosts"), i, h) {
        if (json_is_string(h) && !strcmp(json_string_value(h), user))
            return true;
    }
    return false;
}

/* ---- lifecycle ---- */

static uint32_t done_through(json_t *doc)
{
    json_int_t d = json_integer_value(json_object_get(doc, "done_through"));
    return d > 0 && d < SCHEDULE_MAX_OCCURRENCES ? (uint32_t)d : 0;
}

static bool is_cancelled(json_t *doc, uint32_t n)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "cancelled"), i, c) {
        if (json_integer_value(c) == (json_int_t)n)
            return true;
    }
    return false;
}

enum event_state event_occ_state(json_t *doc, uint32_t n)
{
    if (n <= done_through(doc)) /* pruned: ended or cancelled */
        return is_cancelled(doc, n) ? EV_CANCELLED : EV_ENDED;
    if (json_is_true(json_object_get(doc, "series_cancelled")) || is_cancelled(doc, n))
        return EV_CANCELLED;
    char key[16];
    snprintf(key, sizeof(key), "%" PRIu32, n);
    json_t *o = json_object_get(json_object_get(doc, "occ"), key);
    int s = event_state_from_name(json_string_value(json_object_get(o, "state")));
    return s < 0 ? EV_SCHEDULED : (enum event_state)s;
}

int event_current(json_t *doc, const struct schedule *s, uint32_t *n)
{
    if (json_is_true(json_object_get(doc, "series_cancelled")))
        return -1;
    /* Past done_through only stored entries can be ended or cancelled, so
     * the walk is bounded by their number. */
    size_t bound = json_object_size(json_object_get(doc, "occ")) +
                   json_array_size(json_object_get(doc, "cancelled")) + 1;
    uint32_t k = done_through(doc) + 1;
    for (size_t i = 0; i <= bound; i++, k++) {
        int64_t t;
        if (schedule_occurrence(s, k, &t))
            return -1;
        enum event_state st = event_occ_state(doc, k);
        if (st != EV_ENDED && st != EV_CANCELLED) {
            *n = k;
            return 0;
        }
    }
    return -1;
}

int event_set_state(json_t *doc, uint32_t n, enum event_state st, int64_t ts)
{
    char key[16];
    snprintf(key, sizeof(key), "%" PRIu32, n);
    json_t *occ = json_object_get(doc, "occ");
    json_t *cancelled = json_object_get(doc, "cancelled");
    if (!json_is_object(occ) || !json_is_array(cancelled))
        return -1;
    if (st == EV_CANCELLED) {
        if (!is_cancelled(doc, n))
            json_array_append_new(cancelled, json_integer(n));
        json_object_del(occ, key);
    } else {
        json_object_set_new(occ, key, json_pack("{s:s,s:I}", "state", event_state_name(st), "ts",
                                                (json_int_t)ts));
    }
    /* advance done_through over ended/cancelled occurrences, pruning them */
    uint32_t d = done_through(doc);
    for (;;) {
        enum event_state x = event_occ_state(doc, d + 1);
        if (x != EV_ENDED && x != EV_CANCELLED)
            break;
        if (json_is_true(json_object_get(doc, "series_cancelled")))
            break;
        d++;
        snprintf(key, sizeof(key), "%" PRIu32, d);
        json_object_del(occ, key);
    }
    /* cancelled entries at or below d are pruned, except that a pruned
     * occurrence must still read as cancelled: keep those (few). */
    json_object_set_new(doc, "done_through", json_integer(d));
    return 0;
}

/* ---- views ---- */

int event_channel(json_t *doc, char *out, size_t n)
{
    int r = snprintf(out, n, "%s:%s", json_string_value(json_object_get(doc, "namespace")),
                     json_string_value(json_object_get(doc, "id")));
    return r < 0 || (size_t)r >= n ? -1 : r;
}

int event_occ_channel(json_t *doc, uint32_t occ, char *out, size_t n)
{
    int r = snprintf(out, n, "%s:%s.%" PRIu32, json_string_value(json_object_get(doc, "namespace")),
                     json_string_value(json_object_get(doc, "id")), occ);
    return r < 0 || (size_t)r >= n ? -1 : r;
}

static json_t *occ_view(json_t *doc, const struct schedule *s, uint32_t n)
{
    int64_t t;
    if (schedule_occurrence(s, n, &t))
        return NULL;
    char start[32], end[32], ch[256];
    schedule_format_utc(t, start, sizeof(start));
    schedule_format_utc(t + (int64_t)s->duration_s * 1000, end, sizeof(end));
    if (event_occ_channel(doc, n, ch, sizeof(ch)) < 0)
        return NULL;
    return json_pack("{s:I,s:s,s:s,s:s,s:s}", "n", (json_int_t)n, "start", start, "end", end,
                     "state", event_state_name(event_occ_state(doc, n)), "channel", ch);
}

json_t *event_view(json_t *doc, const struct schedule *s)
{
    json_t *v = json_deep_copy(doc);
    if (!v)
        return NULL;
    json_object_del(v, "occ");
    json_object_del(v, "cancelled");
    json_object_del(v, "done_through");
    json_object_del(v, "series_cancelled");
    json_object_del(v, "reminders_from");
    json_t *list = json_array();
    uint32_t cur = 0;
    bool has_cur = event_current(doc, s, &cur) == 0;
    uint32_t first = has_cur ? cur : (done_through(doc) ? done_through(doc) : 1);
    if (s->freq == SCHED_ONCE)
        first = 1;
    uint32_t count = s->freq == SCHED_ONCE ? 1 : EVENT_VIEW_OCCURRENCES;
    for (uint32_t k = first; k < first + count; k++) {
        json_t *o = occ_view(doc, s, k);
        if (!o)
            break;
        json_array_append_new(list, o);
    }
    json_object_set_new(v, "occurrences", list);
    json_object_set_new(v, "current", has_cur ? json_integer(cur) : json_null());
    json_object_set_new(v, "cancelled",
                        json_boolean(json_is_true(json_object_get(doc, "series_cancelled"))));
    return v;
}
