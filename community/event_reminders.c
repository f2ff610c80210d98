/* community/event_reminders.c — the reminder timer of events.h: once a
 * second (uv timer, unref'd) it pages through the event records, and for
 * each reminder that is due (its instant has passed, its occurrence has not
 * started yet — a zero-second reminder may fire up to a minute after the
 * start) claims it with a RECORD_NX record of kind EVENT_FIRED_KIND, key
 * "<id>\x1f<n>\x1f<seconds>"; the node whose claim lands publishes it. The
 * claim expires a day after the occurrence starts. The time is the node
 * clock's. The same scan refreshes the room policy cache (event_policy.h).
 * One scan at a time per node; each claim owns a struct claim. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/event_doc.h"
#include "community/event_policy.h"
#include "community/event_publish.h"
#include "community/events.h"
#include "node/node.h"
#include "rooms/store.h"
#include "util/log.h"

#define LOOKAHEAD 8                /* occurrences past the current one to check */
#define ZERO_REMINDER_GRACE_MS 60000

static const struct span kind_event = {(const uint8_t *)EVENT_KIND, sizeof(EVENT_KIND) - 1};
static const struct span kind_fired = {(const uint8_t *)EVENT_FIRED_KIND,
                                       sizeof(EVENT_FIRED_KIND) - 1};

struct claim {
    struct node *node;     /* borrowed */
    json_t *doc;           /* owned reference */
    uint32_t n, before_s;
    int64_t start_ms;
};

struct scan {
    struct events *ev;     /* borrowed */
    char after[RECORD_KEY_MAX];
    size_t after_len;
};

static void on_claim(void *arg, int err, const struct record *recs, size_t n)
{
    struct claim *c = arg;
    (void)recs;
    if (err)
        log_emit(LOG_WARN, "events", "a reminder claim failed (error %d); retrying", err);
    else if (n == 0) /* our put landed: this node fires it */
        event_publish_reminder(c->node, c->doc, c->n, c->start_ms, c->before_s,
                               node_now_ms(c->node));
    json_decref(c->doc);
    free(c);
}

static void claim(struct node *node, json_t *doc, uint32_t n, uint32_t before_s, int64_t start)
{
    char key[128];
    int klen = snprintf(key, sizeof(key), "%s\x1f%" PRIu32 "\x1f%" PRIu32,
                        json_string_value(json_object_get(doc, "id")), n, before_s);
    struct claim *c = malloc(sizeof(*c));
    if (!c || klen <= 0 || (size_t)klen >= sizeof(key)) {
        free(c);
        return;
    }
    *c = (struct claim){node, json_incref(doc), n, before_s, start};
    struct record r = {.key = {(const uint8_t *)key, (size_t)klen},
                       .value = {(const uint8_t *)"1", 1},
                       .expire_ms = start + 24LL * 3600 * 1000};
    if (node->store->ops->record_put(node->store, kind_fired, &r, RECORD_NX, on_claim, c)) {
        json_decref(c->doc);
        free(c);
    }
}

static void check_event(struct node *node, json_t *doc, int64_t now)
{
    struct schedule s;
    uint32_t cur;
    if (event_schedule(doc, &s) || s.nreminders == 0 || event_current(doc, &s, &cur))
        return;
    /* a reminder that came due before the event was created (or its
     * schedule last changed) is not sent late */
    int64_t from = (int64_t)json_integer_value(json_object_get(doc, "reminders_from"));
    uint32_t maxr = 0;
    for (uint32_t i = 0; i < s.nreminders; i++)
        maxr = s.reminders[i] > maxr ? s.reminders[i] : maxr;
    for (uint32_t k = cur; k < cur + LOOKAHEAD; k++) {
        int64_t start;
        if (schedule_occurrence(&s, k, &start) || start - (int64_t)maxr * 1000 > now)
            break;
        enum event_state st = event_occ_state(doc, k);
        if (st == EV_CANCELLED || st == EV_ENDED)
            continue;
        for (uint32_t i = 0; i < s.nreminders; i++) {
            int64_t due = start - (int64_t)s.reminders[i] * 1000;
            int64_t until = s.reminders[i] ? start : start + ZERO_REMINDER_GRACE_MS;
            if (now >= due && now < until && due >= from)
                claim(node, doc, k, s.reminders[i], start);
        }
    }
}

static void scan_page(struct scan *sc);

static void on_page(void *arg, int err, const struct record *recs, size_t n)
{
    struct scan *sc = arg;
    struct events *ev = sc->ev;
    if (!err && !ev->stopped) {
        int64_t now = node_now_ms(ev->node);
        for (size_t i = 0; i < n; i++) {
            json_error_t je;
            json_t *doc = json_loadb((const char *)recs[i].value.p, recs[i].value.n, 0, &je);
            if (json_is_object(doc))
                event_policy_saw(ev->policy, doc);
            if (json_is_object(doc) && !json_is_true(json_object_get(doc, "series_cancelled")))
                check_event(ev->node, doc, now);
            json_decref(doc);
        }
        if (n == RECORD_SCAN_MAX) {
            memcpy(sc->after, recs[n - 1].key.p, recs[n - 1].key.n);
            sc->after_len = recs[n - 1].key.n;
            return scan_page(sc);
        }
        event_policy_scan_end(ev->policy); /* a complete scan: drop what it did not see */
    }
    ev->scanning = false;
    free(sc);
}

static void scan_page(struct scan *sc)
{
    struct record_scan q = {.after = {(const uint8_t *)sc->after, sc->after_len}};
    struct node *node = sc->ev->node;
    if (node->store->ops->record_scan(node->store, kind_event, &q, on_page, sc)) {
        sc->ev->scanning = false;
        free(sc);
    }
}

void event_reminders_tick(uv_timer_t *t);
void event_reminders_tick(uv_timer_t *t)
{
    struct events *ev = t->data;
    if (ev->scanning || ev->stopped || !ev->node->store->ops->record_scan)
        return;
    struct scan *sc = calloc(1, sizeof(*sc));
    if (!sc)
        return;
    sc->ev = ev;
    ev->scanning = true;
    event_policy_scan_begin(ev->policy);
    scan_page(sc);
}
