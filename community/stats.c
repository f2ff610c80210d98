/* community/stats.c — stats.h: stats.event gathers one occurrence's figures
 * from the counters the other modules keep as things happen (attendance,
 * activity, live reactions, polls, Q&A, the occurrence timeline): a struct
 * gather owns the answer being built and counts the reads still out; the
 * last one to land answers. Nothing here scans history. */
#include "community/stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/activity.h"
#include "community/attendance.h"
#include "community/call.h"
#include "community/event_doc.h"
#include "community/live_react.h"
#include "community/polls.h"
#include "community/qa.h"
#include "config/access.h"
#include "node/node.h"
#include "protocol/errors.h"
#include "rooms/store.h"

#define SPAN_OF(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})

struct gather {
    struct ccall *c;              /* owned until the answer */
    char channel[256];
    uint32_t n;
    int pending;
    bool failed;
    json_t *out;                  /* owned: the answer */
    json_t *energy;               /* owned: [[second, count], ..] */
    int64_t reactions;
    int64_t prev_unique;          /* -1 = no previous occurrence */
    int64_t messages;
    int64_t live_ms, end_ms;      /* from the timeline (0 = not reached) */
    char energy_after[RECORD_KEY_MAX + 1];
    size_t energy_after_len;
};

static int64_t num(struct span v)
{
    char b[24];
    size_t n = v.n < sizeof(b) - 1 ? v.n : sizeof(b) - 1;
    memcpy(b, v.p, n);
    b[n] = 0;
    return strtoll(b, NULL, 10);
}

static void finish(struct gather *g)
{
    if (--g->pending > 0)
        return;
    struct ccall *c = g->c;
    if (g->failed) {
        ccall_error(c, ERR_INTERNAL, NULL);
    } else {
        json_t *o = g->out;
        int64_t ret = json_integer_value(json_object_get(o, "returning"));
        json_object_set_new(o, "retention", g->prev_unique > 0
                                                ? json_real((double)ret / (double)g->prev_unique)
                                                : json_null());
        /* messages per minute of the live part (live .. after_party/ended,
         * or now), or of the scheduled slot when it never went live */
        struct schedule s;
        int64_t from = g->live_ms, to = g->end_ms ? g->end_ms : node_now_ms(c->node);
        if (!from && event_schedule(c->doc, &s) == 0 && schedule_occurrence(&s, g->n, &from) == 0)
            to = from + (int64_t)s.duration_s * 1000;
        double minutes = to > from ? (double)(to - from) / 60000.0 : 0;
        json_object_set_new(o, "messages_per_minute",
                            json_real(minutes >= 1 ? (double)g->messages / minutes : (double)g->messages));
        json_object_set_new(o, "reactions", json_integer(g->reactions));
        json_object_set(o, "energy", g->energy);
        json_object_set_new(o, "occurrence", json_integer(g->n));
        json_object_set_new(o, "channel", json_string(g->channel));
        g->out = NULL;
        ccall_ok(c, o);
    }
    json_decref(g->out);
    json_decref(g->energy);
    free(g);
}

static void on_attendance(void *arg, int err, const struct attendance_stats *st)
{
    struct gather *g = arg;
    if (err) {
        g->failed = true;
    } else {
        char at[32];
        schedule_format_utc(st->peak_at_ms, at, sizeof(at));
        json_object_set_new(g->out, "concurrent", json_integer(st->concurrent));
        json_object_set_new(g->out, "peak", json_integer(st->peak));
        json_object_set_new(g->out, "peak_at", st->peak ? json_string(at) : json_null());
        json_object_set_new(g->out, "unique_attendees", json_integer(st->unique));
        json_object_set_new(g->out, "first_time", json_integer(st->first_time));
        json_object_set_new(g->out, "returning", json_integer(st->returning));
    }
    finish(g);
}

static void on_prev_attendance(void *arg, int err, const struct attendance_stats *st)
{
    struct gather *g = arg;
    if (err)
        g->failed = true;
    else
        g->prev_unique = st->unique;
    finish(g);
}

/* Counter records keyed channel\x1f<tag>: tag -> field name. */
static void on_counters(struct gather *g, int err, const struct record *recs, size_t n,
                        const char *const tags[][2])
{
    if (err) {
        g->failed = true;
        return;
    }
    for (int t = 0; tags[t][0]; t++)
        json_object_set_new(g->out, tags[t][1], json_integer(0));
    for (size_t i = 0; i < n; i++) {
        char tag = recs[i].key.n ? (char)recs[i].key.p[recs[i].key.n - 1] : 0;
        for (int t = 0; tags[t][0]; t++)
            if (tags[t][0][0] == tag)
                json_object_set_new(g->out, tags[t][1], json_integer(num(recs[i].value)));
    }
}

static void on_chat(void *arg, int err, const struct record *recs, size_t n)
{
    struct gather *g = arg;
    static const char *const tags[][2] = {{"m", "messages"}, {"k", "unique_chatters"}, {NULL, NULL}};
    on_counters(g, err, recs, n, tags);
    g->messages = json_integer_value(json_object_get(g->out, "messages"));
    finish(g);
}

static void on_qa(void *arg, int err, const struct record *recs, size_t n)
{
    struct gather *g = arg;
    static const char *const tags[][2] = {{"q", "questions"}, {"a", "answered"}, {NULL, NULL}};
    on_counters(g, err, recs, n, tags);
    finish(g);
}

static void on_timeline(void *arg, int err, const struct record *recs, size_t n)
{
    struct gather *g = arg;
    json_error_t je;
    json_t *o = !err && n ? json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, &je) : NULL;
    g->live_ms = json_integer_value(json_object_get(o, "live"));
    int64_t ap = json_integer_value(json_object_get(o, "after_party"));
    int64_t en = json_integer_value(json_object_get(o, "ended"));
    g->end_ms = ap ? ap : en;
    json_object_set_new(g->out, "timeline", json_is_object(o) ? o : json_object());
    if (o && !json_is_object(o))
        json_decref(o);
    if (err)
        g->failed = true;
    finish(g);
}

static void on_polls(void *arg, int err, json_t *polls)
{
    struct gather *g = arg;
    if (err) {
        g->failed = true;
        return finish(g);
    }
    json_object_set(g->out, "polls", polls);
    /* nps: the latest NPS poll of the occurrence */
    json_t *nps = NULL;
    size_t i;
    json_t *p;
    json_array_foreach(polls, i, p) {
        const char *k = json_string_value(json_object_get(p, "kind"));
        if (k && !strcmp(k, "nps"))
            nps = json_object_get(p, "nps");
    }
    if (nps)
        json_object_set(g->out, "nps", nps);
    finish(g);
}

static void energy_page(struct gather *g);

static void on_energy(void *arg, int err, const struct record *recs, size_t n)
{
    struct gather *g = arg;
    if (err) {
        g->failed = true;
        return finish(g);
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *sep = memchr(recs[i].key.p, 0x1f, recs[i].key.n);
        if (!sep)
            continue;
        struct span sec = {sep + 1, recs[i].key.n - (size_t)(sep + 1 - recs[i].key.p)};
        int64_t v = num(recs[i].value);
        g->reactions += v;
        json_array_append_new(g->energy, json_pack("[I,I]", (json_int_t)num(sec), (json_int_t)v));
    }
    if (n == RECORD_SCAN_MAX) {
        memcpy(g->energy_after, recs[n - 1].key.p, recs[n - 1].key.n);
        g->energy_after_len = recs[n - 1].key.n;
        return energy_page(g);
    }
    finish(g);
}

static void energy_page(struct gather *g)
{
    char prefix[RECORD_KEY_MAX + 1];
    int pl = snprintf(prefix, sizeof(prefix), "%s\x1f", g->channel);
    struct record_scan q = {.prefix = {(const uint8_t *)prefix, (size_t)pl},
                            .after = {(const uint8_t *)g->energy_after, g->energy_after_len}};
    struct store *st = g->c->node->store;
    if (st->ops->record_scan(st, SPAN_OF(ENERGY_KIND), &q, on_energy, g)) {
        g->failed = true;
        finish(g);
    }
}

/* Starts a counters scan of kind for the channel; cb finishes it. */
static void scan_counters(struct gather *g, struct span kind, store_records_cb *cb)
{
    char prefix[RECORD_KEY_MAX + 1];
    int pl = snprintf(prefix, sizeof(prefix), "%s\x1f", g->channel);
    struct record_scan q = {.prefix = {(const uint8_t *)prefix, (size_t)pl}, .limit = 16};
    struct store *st = g->c->node->store;
    g->pending++;
    if (st->ops->record_scan(st, kind, &q, cb, g)) {
        g->failed = true;
        g->pending--;
    }
}

static void start(struct ccall *c, uint32_t n)
{
    struct gather *g = calloc(1, sizeof(*g));
    if (!g || !(g->out = json_object()) || !(g->energy = json_array()) ||
        event_occ_channel(c->doc, n, g->channel, sizeof(g->channel)) < 0) {
        if (g) {
            json_decref(g->out);
            json_decref(g->energy);
        }
        free(g);
        return ccall_error(c, ERR_INTERNAL, NULL);
    }
    g->c = c;
    g->n = n;
    g->prev_unique = -1;
    g->pending = 1; /* held until everything is started */
    struct node *node = c->node;
    g->pending++;
    attendance_stats(node, g->channel, on_attendance, g);
    if (n > 1) {
        char prev[256];
        if (event_occ_channel(c->doc, n - 1, prev, sizeof(prev)) >= 0) {
            g->pending++;
            attendance_stats(node, prev, on_prev_attendance, g);
        }
    }
    scan_counters(g, SPAN_OF(ACT_CHAT_KIND), on_chat);
    scan_counters(g, SPAN_OF(QA_STAT_KIND), on_qa);
    char tk[EVENT_ID_LEN + 16];
    int tl = snprintf(tk, sizeof(tk), "%s\x1f%" PRIu32,
                      json_string_value(json_object_get(c->doc, "id")), n);
    g->pending++;
    if (node->store->ops->record_get(node->store, SPAN_OF(EVENT_OCC_KIND),
                                     (struct span){(const uint8_t *)tk, (size_t)tl}, on_timeline, g)) {
        g->failed = true;
        g->pending--;
    }
    g->pending++;
    polls_of_room(node, g->channel, on_polls, g);
    g->pending++;
    energy_page(g);
    finish(g);
}

/* ---- stats.event ---- */

static void on_event(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    json_error_t je;
    c->doc = n ? json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, &je) : NULL;
    struct schedule s;
    if (!json_is_object(c->doc) || event_schedule(c->doc, &s))
        return ccall_error(c, ERR_BAD_REQUEST, "no such event");
    if (!ccall_has_role(c, 0) && !event_is_host(c->doc, c->user))
        return ccall_error(c, ERR_PERMISSION_DENIED, NULL);
    json_t *occ = json_object_get(c->params, "occurrence");
    uint32_t num_occ = 0;
    int64_t t;
    if (occ && !json_is_null(occ)) {
        if (!json_is_integer(occ) || json_integer_value(occ) < 1 ||
            json_integer_value(occ) > SCHEDULE_MAX_OCCURRENCES ||
            schedule_occurrence(&s, (uint32_t)json_integer_value(occ), &t))
            return ccall_error(c, ERR_BAD_REQUEST, "occurrence must name one of the event's");
        num_occ = (uint32_t)json_integer_value(occ);
    } else if (event_current(c->doc, &s, &num_occ)) {
        /* none current: the last one that happened */
        json_int_t d = json_integer_value(json_object_get(c->doc, "done_through"));
        num_occ = d > 0 ? (uint32_t)d : 1;
    }
    start(c, num_occ);
}

static void m_event(const struct method_call *mc, json_t *params, method_done *done, void *arg)
{
    struct ccall *c = ccall_new(mc, params, done, arg);
    if (!c)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    const char *id = param_str(params, "id", 1, RECORD_KEY_MAX);
    if (!id)
        return ccall_error(c, ERR_BAD_REQUEST, "stats.event takes {id, occurrence?}");
    if (c->node->store->ops->record_get(c->node->store, SPAN_OF(EVENT_KIND), span_str(id),
                                        on_event, c))
        ccall_error(c, ERR_INTERNAL, NULL);
}

int stats_init(struct node *node)
{
    const struct method_spec specs[] = {
        {"stats.event", m_event, NULL, ROLE_USER, true, 1},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (methods_register(&node->methods, &specs[i]) != 0)
            return -1;
    return 0;
}
