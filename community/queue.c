/* community/queue.c — the moderation queue (docs/chat.md, "Queue"):
 * held messages (a filters.hold match, from the publish check) and member
 * reports (chat.report, reports.c), as store records of kind mod.queue keyed by the
 * item id (new_id(): time first, so a forward scan is oldest first), kept MOD_QUEUE_RETENTION_MS. mod.queue lists them;
 * mod.approve publishes a held message as its author through the gate
 * (marked GATE_MARK_REVIEWED so no filter holds it again), mod.reject drops
 * it — either way the author gets a personal push {"type":"review",..};
 * mod.resolve removes a report. New and removed items are published live on
 * mod:<namespace>. A held item's record also keeps what approval needs (the
 * publication's data and publisher info); mod.queue shows only the public
 * fields. Owns each call's struct mod_op and each live publish's context. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/mod_internal.h"
#include "node/user_verbs.h"
#include "protocol/errors.h"
#include "protocol/proto.h"
#include "rooms/store.h"
#include "util/log.h"
#include "util/rand.h"

#define KIND "mod.queue"

/* ---- the live channel mod:<namespace> ---- */

struct live_pub {
    struct gate_call call;
};

static void on_live(void *arg, const struct gate_outcome *out)
{
    if (out->code)
        log_debug("moderation", "live queue item not published (%u)", out->code);
    free(arg);
}

/* The namespace part of a channel ("" without ':'), into buf. */
static void ns_of(const char *channel, char *buf, size_t cap)
{
    const char *c = strchr(channel, ':');
    size_t n = c ? (size_t)(c - channel) : 0;
    snprintf(buf, cap, "%.*s", (int)n, channel);
}

/* Publishes ev (a JSON object, borrowed) on mod:<namespace of channel>. */
static void live(struct moderation *m, const char *channel, json_t *ev)
{
    if (m->stopped) /* shutting down: the gate is gone */
        return;
    char ns[256], ch[300];
    ns_of(channel, ns, sizeof(ns));
    snprintf(ch, sizeof(ch), "%s:%s", CONFIG_MOD_NS, ns);
    char *data = json_dumps(ev, JSON_COMPACT);
    struct live_pub *lp = data ? malloc(sizeof(*lp)) : NULL;
    if (!lp) {
        free(data);
        return;
    }
    struct gate_pub p = {.channel = span_str(ch), .data = span_str(data), .has_data = true,
                         .is_json = true, .origin = GATE_API};
    gate_publish(&m->node->gate, &p, &lp->call, on_live, lp);
    free(data);
}

/* The item as mod.queue and the live channel show it (new ref). */
static json_t *public_item(json_t *rec)
{
    json_t *o = json_deep_copy(rec);
    json_object_del(o, "data");
    json_object_del(o, "info");
    return o;
}

void mod_queue_live_item(struct moderation *m, json_t *rec)
{
    json_t *ev = public_item(rec);
    if (ev && json_object_set_new(ev, "type", json_string("item")) == 0)
        live(m, json_string_value(json_object_get(rec, "channel")), ev);
    json_decref(ev);
}

/* 16 hex digits of unix ms, 4 of this node's sequence (items made in one
 * millisecond on one node keep their order), 4 random (two nodes in one
 * millisecond do not collide; their order among themselves is arbitrary). */
void mod_queue_new_id(struct moderation *m, char id[MOD_ID_LEN + 1], int64_t *ts)
{
    uint16_t r;
    rand_bytes(&r, sizeof(r));
    *ts = node_now_ms(m->node);
    snprintf(id, MOD_ID_LEN + 1, "%016" PRIx64 "%04x%04x", (uint64_t)*ts, (unsigned)m->seq++,
             (unsigned)r);
}

int mod_queue_put(struct moderation *m, json_t *rec, store_records_cb *cb, void *arg)
{
    if (m->stopped)
        return ENGINE_ETEMP;
    char *val = json_dumps(rec, JSON_COMPACT);
    struct store *st = m->node->store;
    if (!val)
        return ENGINE_ENOMEM;
    if (!st->ops->record_put) {
        free(val);
        return ENGINE_ETEMP;
    }
    int64_t ts = json_integer_value(json_object_get(rec, "ts"));
    struct record r = {.key = span_str(json_string_value(json_object_get(rec, "id"))),
                       .value = span_str(val), .expire_ms = ts + MOD_QUEUE_RETENTION_MS};
    int err = st->ops->record_put(st, span_str(KIND), &r, 0, cb, arg);
    free(val);
    return err;
}

/* ---- holding a publication (the publish check) ---- */

struct hold {
    struct moderation *m;
    json_t *rec;               /* owned */
    mod_hold_done *done;
    void *arg;
};

static void on_hold_put(void *arg, int err, const struct record *recs, size_t n)
{
    (void)recs;
    (void)n;
    struct hold *h = arg;
    if (!err && !h->m->stopped)
        mod_queue_live_item(h->m, h->rec);
    h->done(h->arg, err ? proto_error_from_errno(err) : 0);
    json_decref(h->rec);
    free(h);
}

static void on_hold_quota(void *arg, int err, bool within)
{
    struct hold *h = arg;
    if (!err && !within) { /* this member has filled their share of the queue */
        h->done(h->arg, ERR_TOO_MANY_REQUESTS);
        json_decref(h->rec);
        free(h);
        return;
    }
    int e = err ? err : mod_queue_put(h->m, h->rec, on_hold_put, h);
    if (e)
        on_hold_put(h, e, NULL, 0);
}

static json_t *span_json(struct span s)
{
    return json_stringn(s.n ? (const char *)s.p : "", s.n);
}

void mod_queue_hold(struct moderation *m, struct publication *pub, const char *text,
                    mod_hold_done *done, void *arg)
{
    char id[MOD_ID_LEN + 1];
    int64_t ts;
    mod_queue_new_id(m, id, &ts);
    struct hold *h = malloc(sizeof(*h));
    json_t *info = json_pack("{s:o,s:o,s:o,s:o}", "user", span_json(pub->info.user), "client",
                             span_json(pub->info.client), "conn_info",
                             span_json(pub->info.conn_info), "chan_info",
                             span_json(pub->info.chan_info));
    json_t *rec = info ? json_pack("{s:s,s:s,s:o,s:o,s:s,s:I,s:o,s:o}", "id", id, "kind", "held",
                                   "channel", span_json(pub->channel), "user",
                                   span_json(pub->info.user), "text", text ? text : "", "ts",
                                   (json_int_t)ts, "data", span_json(pub->data), "info", info)
                       : NULL;
    if (!h || !rec) {
        free(h);
        json_decref(rec);
        return done(arg, ERR_INTERNAL);
    }
    *h = (struct hold){.m = m, .rec = rec, .done = done, .arg = arg};
    mod_quota(m, "mod.heldn", pub->info.user, MOD_HELD_QUOTA, on_hold_quota, h);
}

/* ---- taking an item: mod.approve, mod.reject, mod.resolve ---- */

typedef void take_fn(struct mod_op *op, json_t *rec);

static void on_taken(void *arg, int err, const struct record *recs, size_t n)
{
    struct mod_op *op = arg;
    if (err)
        return mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
    if (n != 1) /* another moderator took it between our get and del */
        return mod_op_finish(op, ERR_BAD_REQUEST, "bad request: no such item", NULL);
    op->then(op, json_object_get(op->extra, "rec"));
}

static void on_got(void *arg, int err, const struct record *recs, size_t n)
{
    struct mod_op *op = arg;
    if (err)
        return mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
    json_t *rec = n == 1 ? json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, NULL)
                         : NULL;
    if (!rec)
        return mod_op_finish(op, ERR_BAD_REQUEST, "bad request: no such item", NULL);
    const char *want = json_string_value(json_object_get(op->extra, "kind"));
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const char *ch = json_string_value(json_object_get(rec, "channel"));
    /* whom the action is about: a held message's author; a report's
     * reported author (the reporter when unknown) */
    const char *user = json_string_value(json_object_get(rec, "author"));
    if (!user)
        user = json_string_value(json_object_get(rec, "user"));
    if (!kind || !ch || !user || strcmp(kind, want) != 0) {
        json_decref(rec);
        return mod_op_finish(op, ERR_BAD_REQUEST,
                             !strcmp(want, "held") ? "bad request: not a held message"
                                                   : "bad request: not a report", NULL);
    }
    op->channel = strdup(ch);
    op->user = strdup(user);
    json_object_set_new(op->extra, "rec", rec);
    struct store *st = op->m->node->store;
    int e = op->channel && op->user ? st->ops->record_del(st, span_str(KIND), span_str(op->id),
                                                          on_taken, op)
                                    : ENGINE_ENOMEM;
    if (e)
        mod_op_finish(op, proto_error_from_errno(e), NULL, NULL);
}

static const struct mod_param id_params[] = {
    {"id", MP_STR, true, 1, 64},
    {"reason", MP_STR, false, 0, MOD_REASON_MAX},
};

/* The shared start: params, then get the item, check its kind, delete it,
 * then run then(). need_reason: mod.reject. */
static void take(const struct method_call *call, json_t *params, method_done *done, void *arg,
                 const char *action, const char *kind, bool need_reason, take_fn *then)
{
    struct moderation *m = call->ctx;
    json_t *f[2];
    const char *msg;
    uint32_t code = mod_params(m, params, id_params, need_reason ? 2 : 1, f, &msg);
    if (!code && need_reason && !f[1])
        code = ERR_BAD_REQUEST, msg = "bad request: missing field";
    if (code)
        return method_error(done, arg, code, msg);
    struct mod_op *op = mod_op_new(m, call, done, arg, action);
    if (!op)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    op->id = strdup(json_string_value(f[0]));
    op->reason = need_reason ? strdup(json_string_value(f[1])) : NULL;
    op->extra = json_pack("{s:s}", "kind", kind);
    op->then = then;
    struct store *st = m->node->store;
    if (!op->id || (need_reason && !op->reason) || !op->extra || !st->ops->record_get)
        return mod_op_finish(op, ERR_INTERNAL, NULL, NULL);
    int e = st->ops->record_get(st, span_str(KIND), span_str(op->id), on_got, op);
    if (e)
        mod_op_finish(op, proto_error_from_errno(e), NULL, NULL);
}

static void removed(struct mod_op *op)
{
    json_t *ev = json_pack("{s:s,s:s,s:s}", "type", "removed", "id", op->id, "action", op->action);
    if (ev)
        live(op->m, op->channel, ev);
    json_decref(ev);
}

static void review_push(struct mod_op *op, bool approved)
{
    /* an anonymous author has no identity to reach (user "" would select
     * every anonymous connection) */
    if (op->m->stopped || !op->user || !*op->user)
        return;
    json_t *p = json_pack("{s:s,s:s,s:b}", "type", "review", "id", op->id, "approved", approved);
    char *s = p ? json_dumps(p, JSON_COMPACT) : NULL;
    if (s)
        node_user_message(op->m->node, op->user, "", s);
    free(s);
    json_decref(p);
}

/* mod.approve: publish as the author. */
struct approve {
    struct gate_call call;
    struct mod_op *op;
};

static void on_approved(void *arg, const struct gate_outcome *out)
{
    struct approve *a = arg;
    struct mod_op *op = a->op;
    free(a);
    if (out->code) {
        /* not published: the item goes back so it is not lost */
        json_t *rec = json_object_get(op->extra, "rec");
        if (mod_queue_put(op->m, rec, NULL, NULL) != 0)
            log_warn("moderation", "held item %s lost after a failed approval", op->id);
        return mod_op_finish(op, out->code, out->message, NULL);
    }
    review_push(op, true);
    removed(op);
    mod_op_audit_finish(op, out->offset,
                        out->offset ? json_pack("{s:I}", "offset", (json_int_t)out->offset) : NULL);
}

static void on_approved_stopped(struct mod_op *op, json_t *rec)
{
    mod_queue_put(op->m, rec, NULL, NULL);
    mod_op_finish(op, ERR_INTERNAL, NULL, NULL);
}

static void approve_then(struct mod_op *op, json_t *rec)
{
    json_t *info = json_object_get(rec, "info"), *data = json_object_get(rec, "data");
#define S(o, k) span_str(json_string_value(json_object_get(o, k)))
    struct clientinfo ci = {.user = S(info, "user"), .client = S(info, "client"),
                            .conn_info = S(info, "conn_info"), .chan_info = S(info, "chan_info")};
#undef S
    if (op->m->stopped) /* shutting down: the gate is gone; the item goes back */
        return on_approved_stopped(op, rec);
    struct approve *a = malloc(sizeof(*a));
    if (!a || !json_is_string(data)) {
        free(a);
        return mod_op_finish(op, ERR_INTERNAL, NULL, NULL);
    }
    a->op = op;
    struct span d = {(const uint8_t *)json_string_value(data), json_string_length(data)};
    struct gate_pub p = {.channel = span_str(op->channel), .data = d, .has_data = true,
                         .is_json = json_validate(d.p, d.n), .origin = GATE_API, .info = &ci,
                         .marks = GATE_MARK_REVIEWED};
    gate_publish(&op->m->node->gate, &p, &a->call, on_approved, a);
}

static void reject_then(struct mod_op *op, json_t *rec)
{
    (void)rec;
    review_push(op, false);
    removed(op);
    mod_op_audit_finish(op, 0, NULL);
}

static void resolve_then(struct mod_op *op, json_t *rec)
{
    removed(op);
    mod_op_audit_finish(op, (uint64_t)json_integer_value(json_object_get(rec, "offset")), NULL);
}

static void m_approve(const struct method_call *c, json_t *p, method_done *d, void *a)
{
    take(c, p, d, a, "mod.approve", "held", false, approve_then);
}
static void m_reject(const struct method_call *c, json_t *p, method_done *d, void *a)
{
    take(c, p, d, a, "mod.reject", "held", true, reject_then);
}
static void m_resolve(const struct method_call *c, json_t *p, method_done *d, void *a)
{
    take(c, p, d, a, "mod.resolve", "report", false, resolve_then);
}

/* ---- mod.queue {namespace?} ---- */

static void on_list(void *arg, int err, const struct record *recs, size_t n)
{
    struct mod_op *op = arg;
    if (err)
        return mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
    json_t *items = json_array();
    for (size_t i = 0; items && i < n; i++) {
        json_t *rec = json_loadb((const char *)recs[i].value.p, recs[i].value.n, 0, NULL);
        const char *ch = json_string_value(json_object_get(rec, "channel"));
        char ns[256];
        if (ch)
            ns_of(ch, ns, sizeof(ns));
        if (ch && (!op->channel || !strcmp(ns, op->channel)))
            json_array_append_new(items, public_item(rec));
        json_decref(rec);
    }
    mod_op_finish(op, items ? 0 : ERR_INTERNAL, NULL,
                  items ? json_pack("{s:o}", "items", items) : NULL);
}

static const struct mod_param queue_params[] = {{"namespace", MP_STR, false, 0, 255}};

static void m_queue(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct moderation *m = call->ctx;
    json_t *f[1];
    const char *msg;
    uint32_t code = mod_params(m, params, queue_params, 1, f, &msg);
    if (code)
        return method_error(done, arg, code, msg);
    struct mod_op *op = mod_op_new(m, call, done, arg, "mod.queue");
    if (!op)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    /* op->channel holds the namespace asked for */
    if (f[0] && !(op->channel = strdup(json_string_value(f[0]))))
        return mod_op_finish(op, ERR_INTERNAL, NULL, NULL);
    struct store *st = m->node->store;
    struct record_scan q = {.limit = RECORD_SCAN_MAX};
    int e = st->ops->record_scan ? st->ops->record_scan(st, span_str(KIND), &q, on_list, op)
                                 : ENGINE_ETEMP;
    if (e)
        mod_op_finish(op, proto_error_from_errno(e), NULL, NULL);
}

int mod_queue_register(struct moderation *m)
{
    return mod_method(m, "mod.approve", m_approve, 0, 0) ||
                   mod_method(m, "mod.reject", m_reject, 0, 0) ||
                   mod_method(m, "mod.resolve", m_resolve, 0, 0) ||
                   mod_method(m, "mod.queue", m_queue, 0, 0)
               ? -1
               : 0;
}
