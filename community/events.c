/* community/events.c — events.h: the event methods. Every method is one
 * struct ccall (community/call.h: owned by the call, freed when it answers) that reads the
 * event record, acts on the document (community/event_doc.h), writes it
 * back and publishes what changed. Reminders are community/event_reminders.c. */
#include "community/events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/call.h"
#include "community/event_doc.h"
#include "community/event_policy.h"
#include "community/event_publish.h"
#include "config/access.h"
#include "node/methods.h"
#include "node/node.h"
#include "protocol/errors.h"
#include "rooms/store.h"
#include "util/rand.h"

enum ev_op { OP_CREATE, OP_UPDATE, OP_CANCEL, OP_GET, OP_TRANSITION };

/* A call's op is kept in c->n[0]; the answer waiting for the write in c->extra. */
static const struct span kind_event = {(const uint8_t *)EVENT_KIND, sizeof(EVENT_KIND) - 1};
#define SPAN_EVENT_OCC ((struct span){(const uint8_t *)EVENT_OCC_KIND, sizeof(EVENT_OCC_KIND) - 1})

/* ---- writing ---- */

static void on_written(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    (void)recs;
    (void)n;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    struct events *ev = c->mod;
    event_policy_saw(ev->policy, c->doc); /* this node applies it at once */
    json_t *a = c->extra;
    c->extra = NULL;
    ccall_ok(c, a);
}

static void write_doc(struct ccall *c)
{
    struct node *node = c->node;
    char *val = json_dumps(c->doc, JSON_COMPACT);
    const char *id = json_string_value(json_object_get(c->doc, "id"));
    if (!val || !id) {
        free(val);
        return ccall_error(c, ERR_INTERNAL, NULL);
    }
    if (strlen(val) > RECORD_VALUE_MAX) {
        free(val);
        return ccall_error(c, ERR_LIMIT_EXCEEDED, "event too large");
    }
    struct record r = {.key = span_str(id), .value = span_str(val), .expire_ms = 0};
    int err = node->store->ops->record_put(node->store, kind_event, &r, 0, on_written, c);
    free(val);
    if (err)
        ccall_error(c, ERR_INTERNAL, NULL);
}

/* ---- create ---- */

static void m_create(const struct method_call *mc, json_t *params, method_done *done, void *arg)
{
    struct ccall *c = ccall_new(mc, params, done, arg);
    if (!c)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    char err[200];
    c->doc = json_object();
    if (!c->doc || event_apply(c->doc, params, true, mc->node->cfg, err, sizeof(err)))
        return ccall_error(c, ERR_BAD_REQUEST, c->doc ? err : NULL);
    uint8_t raw[EVENT_ID_LEN / 2];
    char id[EVENT_ID_LEN + 1];
    rand_bytes(raw, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    json_object_set_new(c->doc, "id", json_string(id));
    json_object_set_new(c->doc, "created_ts", json_integer(node_now_ms(mc->node)));
    json_object_set_new(c->doc, "reminders_from", json_integer(node_now_ms(mc->node)));
    c->extra = json_pack("{s:s}", "id", id);
    write_doc(c);
}

/* ---- the others read the event first ---- */

static void act(struct ccall *c);

static void on_read(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    if (n == 0)
        return ccall_error(c, ERR_BAD_REQUEST, "no such event");
    json_error_t je;
    c->doc = json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, &je);
    if (!json_is_object(c->doc))
        return ccall_error(c, ERR_INTERNAL, "stored event unreadable");
    act(c);
}

static void read_then_act(const struct method_call *mc, json_t *params, method_done *done,
                          void *arg, enum ev_op op)
{
    const char *id = json_string_value(json_object_get(params, "id"));
    if (!id || !*id || strlen(id) > RECORD_KEY_MAX)
        return method_error(done, arg, ERR_BAD_REQUEST, "id must be an event id");
    struct ccall *c = ccall_new(mc, params, done, arg);
    if (!c)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    c->n[0] = op;
    struct node *node = mc->node;
    if (node->store->ops->record_get(node->store, kind_event, span_str(id), on_read, c))
        ccall_error(c, ERR_INTERNAL, NULL);
}

static bool may_manage(struct ccall *c)
{
    return ccall_has_role(c, 0) || event_is_host(c->doc, c->user);
}

static void act_update(struct ccall *c)
{
    char err[200];
    if (event_apply(c->doc, c->params, false, c->node->cfg, err, sizeof(err)))
        return ccall_error(c, ERR_BAD_REQUEST, err);
    json_object_set_new(c->doc, "reminders_from", json_integer(node_now_ms(c->node)));
    c->extra = json_object();
    write_doc(c);
}

static void act_cancel(struct ccall *c, const struct schedule *s)
{
    json_t *occ = json_object_get(c->params, "occurrence");
    int64_t now = node_now_ms(c->node);
    if (occ && !json_is_null(occ)) {
        int64_t t;
        if (!json_is_integer(occ) || json_integer_value(occ) < 1 ||
            json_integer_value(occ) > SCHEDULE_MAX_OCCURRENCES ||
            schedule_occurrence(s, (uint32_t)json_integer_value(occ), &t))
            return ccall_error(c, ERR_BAD_REQUEST, "occurrence must name one of the event's");
        uint32_t n = (uint32_t)json_integer_value(occ);
        enum event_state st = event_occ_state(c->doc, n);
        if (st == EV_ENDED || st == EV_CANCELLED)
            return ccall_error(c, ERR_BAD_REQUEST, "that occurrence is over");
        event_set_state(c->doc, n, EV_CANCELLED, now);
        event_publish_state(c->node, c->doc, n, EV_CANCELLED, now);
    } else {
        uint32_t cur = 0;
        bool has = event_current(c->doc, s, &cur) == 0;
        json_object_set_new(c->doc, "series_cancelled", json_true());
        if (has)
            event_publish_state(c->node, c->doc, cur, EV_CANCELLED, now);
    }
    c->extra = json_object();
    write_doc(c);
}

/* Adds {state: ts} to occurrence n's timeline record (read-modify-write;
 * fire and forget). The record is small and changes a few times per
 * occurrence. */
struct timeline {
    struct node *node;
    char key[EVENT_ID_LEN + 16];
    size_t klen;
    char state[16];
    int64_t ts;
};

static void on_timeline(void *arg, int err, const struct record *recs, size_t n)
{
    struct timeline *t = arg;
    json_error_t je;
    json_t *o = !err && n ? json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, &je) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    json_object_set_new(o, t->state, json_integer(t->ts));
    char *val = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (val) {
        struct record r = {.key = {(const uint8_t *)t->key, t->klen}, .value = span_str(val)};
        t->node->store->ops->record_put(t->node->store, SPAN_EVENT_OCC, &r, 0, NULL, NULL);
    }
    free(val);
    free(t);
}

static void timeline_add(struct node *node, json_t *doc, uint32_t n, enum event_state st,
                         int64_t ts)
{
    struct timeline *t = malloc(sizeof(*t));
    if (!t)
        return;
    t->node = node;
    t->klen = (size_t)snprintf(t->key, sizeof(t->key), "%s\x1f%" PRIu32,
                               json_string_value(json_object_get(doc, "id")), n);
    snprintf(t->state, sizeof(t->state), "%s", event_state_name(st));
    t->ts = ts;
    if (node->store->ops->record_get(node->store, SPAN_EVENT_OCC,
                                     (struct span){(const uint8_t *)t->key, t->klen}, on_timeline, t))
        free(t);
}

static void act_transition(struct ccall *c, const struct schedule *s)
{
    int to = event_state_from_name(json_string_value(json_object_get(c->params, "state")));
    if (to < 0 || to == EV_SCHEDULED || to == EV_CANCELLED)
        return ccall_error(c, ERR_BAD_REQUEST,
                            "state must be green_room, live, after_party or ended");
    uint32_t n;
    if (event_current(c->doc, s, &n))
        return ccall_error(c, ERR_BAD_REQUEST, "the event has no current occurrence");
    enum event_state from = event_occ_state(c->doc, n);
    if ((int)from >= to)
        return ccall_error(c, ERR_BAD_REQUEST, "states only move forward");
    int64_t now = node_now_ms(c->node);
    event_set_state(c->doc, n, (enum event_state)to, now);
    timeline_add(c->node, c->doc, n, (enum event_state)to, now);
    event_publish_state(c->node, c->doc, n, (enum event_state)to, now);
    if (to == EV_LIVE)
        event_publish_live_now(c->node, c->doc, n, now);
    c->extra = json_pack("{s:I,s:s}", "occurrence", (json_int_t)n, "state",
                          event_state_name((enum event_state)to));
    write_doc(c);
}

static void act(struct ccall *c)
{
    struct schedule s;
    if (event_schedule(c->doc, &s))
        return ccall_error(c, ERR_INTERNAL, "stored event unreadable");
    if (c->n[0] == OP_GET)
        return ccall_ok(c, event_view(c->doc, &s));
    if (!may_manage(c))
        return ccall_error(c, ERR_PERMISSION_DENIED, NULL);
    if (json_is_true(json_object_get(c->doc, "series_cancelled")))
        return ccall_error(c, ERR_BAD_REQUEST, "the event is cancelled");
    switch (c->n[0]) {
    case OP_UPDATE:
        return act_update(c);
    case OP_CANCEL:
        return act_cancel(c, &s);
    case OP_TRANSITION:
        return act_transition(c, &s);
    default:
        return ccall_error(c, ERR_INTERNAL, NULL);
    }
}

static void m_update(const struct method_call *mc, json_t *p, method_done *d, void *a)
{
    read_then_act(mc, p, d, a, OP_UPDATE);
}

static void m_cancel(const struct method_call *mc, json_t *p, method_done *d, void *a)
{
    read_then_act(mc, p, d, a, OP_CANCEL);
}

static void m_get(const struct method_call *mc, json_t *p, method_done *d, void *a)
{
    read_then_act(mc, p, d, a, OP_GET);
}

static void m_transition(const struct method_call *mc, json_t *p, method_done *d, void *a)
{
    read_then_act(mc, p, d, a, OP_TRANSITION);
}

/* ---- list: pages through every event record ---- */

struct list_call {
    struct node *node;
    method_done *done;
    void *arg;
    bool has_from, has_to;
    int64_t from, to;
    json_t *events;             /* owned */
    char after[EVENT_ID_LEN * 4 + 1];
    size_t after_len;
};

static void list_page(struct list_call *l);

static bool list_wants(struct list_call *l, json_t *doc, const struct schedule *s)
{
    if (!l->has_from && !l->has_to)
        return true;
    int64_t from = l->has_from ? l->from : INT64_MIN / 2;
    uint32_t n;
    int64_t st;
    /* the first occurrence still running at `from` */
    if (schedule_next(s, from, &n, &st))
        return false;
    (void)doc;
    return !l->has_to || st <= l->to;
}

static void on_list(void *arg, int err, const struct record *recs, size_t n)
{
    struct list_call *l = arg;
    if (err) {
        method_error(l->done, l->arg, ERR_INTERNAL, NULL);
        json_decref(l->events);
        free(l);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_error_t je;
        json_t *doc = json_loadb((const char *)recs[i].value.p, recs[i].value.n, 0, &je);
        struct schedule s;
        if (json_is_object(doc) && event_schedule(doc, &s) == 0 && list_wants(l, doc, &s))
            json_array_append_new(l->events, event_view(doc, &s));
        json_decref(doc);
    }
    if (n == RECORD_SCAN_MAX && recs[n - 1].key.n < sizeof(l->after)) {
        memcpy(l->after, recs[n - 1].key.p, recs[n - 1].key.n);
        l->after_len = recs[n - 1].key.n;
        return list_page(l);
    }
    method_ok(l->done, l->arg, json_pack("{s:o}", "events", l->events));
    free(l);
}

static void list_page(struct list_call *l)
{
    struct record_scan q = {.after = {(const uint8_t *)l->after, l->after_len}};
    if (l->node->store->ops->record_scan(l->node->store, kind_event, &q, on_list, l)) {
        method_error(l->done, l->arg, ERR_INTERNAL, NULL);
        json_decref(l->events);
        free(l);
    }
}

static int instant(json_t *params, const char *key, bool *has, int64_t *out)
{
    json_t *v = json_object_get(params, key);
    *has = v && !json_is_null(v);
    if (!*has)
        return 0;
    return json_is_string(v) ? schedule_parse_utc(json_string_value(v), out) : -1;
}

static void m_list(const struct method_call *mc, json_t *params, method_done *done, void *arg)
{
    struct list_call *l = calloc(1, sizeof(*l));
    if (!l || !(l->events = json_array())) {
        free(l);
        return method_error(done, arg, ERR_INTERNAL, NULL);
    }
    l->node = mc->node;
    l->done = done;
    l->arg = arg;
    if (instant(params, "from", &l->has_from, &l->from) ||
        instant(params, "to", &l->has_to, &l->to)) {
        json_decref(l->events);
        free(l);
        return method_error(done, arg, ERR_BAD_REQUEST,
                            "from and to must be ISO-8601 UTC instants (2026-12-10T18:00:00Z)");
    }
    list_page(l);
}

/* ---- the module ---- */

void event_reminders_tick(uv_timer_t *t);

struct events *events_new(struct node *node)
{
    struct events *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return NULL;
    ev->node = node;
    if (!(ev->policy = event_policy_new(node))) {
        free(ev);
        return NULL;
    }
    const uint32_t anyone = ROLE_USER | ROLE_ANONYMOUS;
    const struct method_spec specs[] = {
        {"event.create", m_create, ev, ROLE_HOST | ROLE_ADMIN | ROLE_BOT, true, 1},
        {"event.update", m_update, ev, ROLE_USER, true, 1},
        {"event.cancel", m_cancel, ev, ROLE_USER, true, 1},
        {"event.get", m_get, ev, anyone, true, 1},
        {"event.list", m_list, ev, anyone, true, 1},
        {"event.transition", m_transition, ev, ROLE_USER, true, 1},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (methods_register(&node->methods, &specs[i]) != 0) {
            free(ev);
            return NULL;
        }
    uv_timer_init(node->loop, &ev->tick);
    ev->tick.data = ev;
    uv_timer_start(&ev->tick, event_reminders_tick, EVENTS_TICK_MS, EVENTS_TICK_MS);
    uv_unref((uv_handle_t *)&ev->tick);
    return ev;
}

static void on_tick_closed(uv_handle_t *h) { (void)h; }

void events_stop(struct events *ev)
{
    if (!ev || ev->stopped)
        return;
    ev->stopped = true;
    uv_close((uv_handle_t *)&ev->tick, on_tick_closed);
}

void events_free(struct events *ev)
{
    if (ev)
        event_policy_free(ev->policy);
    free(ev);
}
