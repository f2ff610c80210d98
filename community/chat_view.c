/* community/chat_view.c — the history view of a chat namespace (the gate's
 * view hook, node/gate.h gate_history()): every history read and recovery
 * shows each message as it is now. Two range scans over the records of the
 * offsets the answer touches (chat.msg states, chat.rcount counts), then
 * each publication that changed is rebuilt once for this read:
 *   a message: its newest text, mentions and "edited_ts" after an edit, its
 *     "reactions" {emoji: count}, or {"type":"message","deleted":true};
 *   an edit of a deleted message: {"type":"edit","target","ts","deleted":true}
 *     (no text);
 *   anything else as stored.
 * Ownership: struct view_ctx is the hook's from the hook call until
 * gate_view_resume(); the states/counts objects are its own. */
#include "community/chat_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct view_ctx {
    struct chat *c;               /* borrowed */
    struct gate_view *v;          /* the gate's */
    char prefix[RECORD_KEY_MAX + 1]; /* S = channel \x1f epoch \x1f */
    size_t plen;
    uint64_t lo, hi;              /* offsets whose state matters */
    json_t *states;               /* owned: "offset" -> chat.msg value */
    json_t *counts;               /* owned: "offset" -> {emoji: count} */
    bool counts_phase;            /* scanning chat.rcount (else chat.msg) */
    char after[RECORD_KEY_MAX + 1];
    size_t alen;
};

static void view_end(struct view_ctx *x, int err);
static void scan_page(struct view_ctx *x);

static int64_t parse_i64(struct span v)
{
    char buf[24];
    size_t n = v.n < sizeof(buf) - 1 ? v.n : sizeof(buf) - 1;
    memcpy(buf, v.p, n);
    buf[n] = 0;
    return strtoll(buf, NULL, 10);
}

static void on_scan(void *arg, int err, const struct record *recs, size_t n)
{
    struct view_ctx *x = arg;
    if (err)
        return view_end(x, err);
    bool msg = !x->counts_phase;
    for (size_t i = 0; i < n; i++) {
        const struct record *r = &recs[i];
        uint64_t off = chat_key_offset(r->key.p, r->key.n, x->plen);
        if (!off || off > x->hi)
            goto next_kind;
        char k[24];
        snprintf(k, sizeof(k), "%" PRIu64, off);
        if (msg) {
            json_t *st = json_loadb((const char *)r->value.p, r->value.n, 0, NULL);
            if (json_is_object(st))
                json_object_set_new(x->states, k, st);
            else
                json_decref(st);
        } else {
            size_t epos = x->plen + CHAT_OFF_DIGITS + 1; /* S<off>\x1f<emoji> */
            int64_t cnt = parse_i64(r->value);
            if (r->key.n <= epos || r->key.p[epos - 1] != 0x1f || cnt <= 0)
                continue;
            json_t *o = json_object_get(x->counts, k);
            if (!o) {
                o = json_object();
                json_object_set_new(x->counts, k, o);
            }
            json_object_setn_new(o, (const char *)r->key.p + epos, r->key.n - epos,
                                 json_integer(cnt));
        }
    }
    if (n == RECORD_SCAN_MAX) { /* more may follow: the next page */
        const struct record *last = &recs[n - 1];
        memcpy(x->after, last->key.p, last->key.n);
        x->alen = last->key.n;
        return scan_page(x);
    }
next_kind:
    if (msg) {
        x->counts_phase = true;
        x->alen = (size_t)snprintf(x->after, sizeof(x->after), "%s%020" PRIu64 "\xff", x->prefix,
                                   x->lo - 1);
        return scan_page(x);
    }
    view_end(x, 0);
}

static void scan_page(struct view_ctx *x)
{
    if (x->c->stopped) /* shutdown: the store is being torn down */
        return view_end(x, ENGINE_ETEMP);
    struct store *st = x->c->node->store;
    struct record_scan q = {.prefix = {(const uint8_t *)x->prefix, x->plen},
                            .after = {(const uint8_t *)x->after, x->alen},
                            .limit = RECORD_SCAN_MAX};
    int rc = st->ops->record_scan(st, chat_kind(x->counts_phase ? CHAT_KIND_RCOUNT : CHAT_KIND_MSG),
                                  &q, on_scan, x);
    if (rc)
        view_end(x, rc);
}

/* The publication p rewritten for this read, or NULL to keep it. */
static struct publication *rewrite(struct view_ctx *x, struct publication *p)
{
    if (!p->offset || !p->data_is_json)
        return NULL;
    json_t *d = json_loadb((const char *)p->data.p, p->data.n, 0, NULL);
    const char *type = json_string_value(json_object_get(d, "type"));
    json_t *out = NULL;
    char k[24];
    if (type && !strcmp(type, "message")) {
        snprintf(k, sizeof(k), "%" PRIu64, p->offset);
        json_t *st = json_object_get(x->states, k);
        json_t *cnt = json_object_get(x->counts, k);
        if (json_is_true(json_object_get(st, "deleted"))) {
            out = json_pack("{s:s,s:b}", "type", "message", "deleted", 1);
        } else if (st || cnt) {
            out = json_incref(d);
            json_t *t = json_object_get(st, "text");
            if (json_is_string(t)) {
                json_object_set(out, "text", t);
                json_t *m = json_object_get(st, "mentions");
                if (json_is_array(m))
                    json_object_set(out, "mentions", m);
                json_object_set(out, "edited_ts", json_object_get(st, "edited_ts"));
            }
            if (cnt)
                json_object_set(out, "reactions", cnt);
        }
    } else if (type && !strcmp(type, "edit")) {
        json_t *target = json_object_get(d, "target");
        snprintf(k, sizeof(k), "%" JSON_INTEGER_FORMAT, json_integer_value(target));
        if (json_is_true(json_object_get(json_object_get(x->states, k), "deleted")))
            out = json_pack("{s:s,s:O,s:O,s:b}", "type", "edit", "target", target, "ts",
                            json_object_get(d, "ts") ? json_object_get(d, "ts") : json_null(),
                            "deleted", 1);
    }
    json_decref(d);
    if (!out)
        return NULL;
    char *text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    if (!text)
        return NULL;
    struct publication *np = publication_new(p->channel, span_str(text), true,
                                             p->has_info ? &p->info : NULL);
    free(text);
    if (np) {
        np->offset = p->offset;
        np->time_ms = p->time_ms;
    }
    return np;
}

static void view_end(struct view_ctx *x, int err)
{
    if (!err) {
        size_t n;
        struct publication **pubs = gate_view_pubs(x->v, &n);
        for (size_t i = 0; i < n; i++) {
            struct publication *np = rewrite(x, pubs[i]);
            if (np) {
                publication_unref(pubs[i]);
                pubs[i] = np;
            }
        }
    }
    struct gate_view *v = x->v;
    json_decref(x->states);
    json_decref(x->counts);
    free(x);
    /* a failed state read must not show deleted text: the read fails */
    gate_view_resume(v, err ? (err == -ENOMEM ? ENGINE_ENOMEM : ENGINE_ETEMP) : 0);
}

/* The offsets whose state the answer needs: its messages and the targets of
 * its edits. False when there is none. */
static bool range_of(struct gate_view *v, uint64_t *lo, uint64_t *hi)
{
    size_t n;
    struct publication **pubs = gate_view_pubs(v, &n);
    *lo = UINT64_MAX;
    *hi = 0;
    for (size_t i = 0; i < n; i++) {
        struct publication *p = pubs[i];
        if (!p->offset)
            continue;
        uint64_t t = p->offset;
        /* an edit's target may lie before the answer's first offset */
        json_t *d = p->data_is_json ? json_loadb((const char *)p->data.p, p->data.n, 0, NULL)
                                    : NULL;
        json_t *target = json_object_get(d, "target");
        if (json_is_integer(target) && json_integer_value(target) > 0 &&
            (uint64_t)json_integer_value(target) < t)
            t = (uint64_t)json_integer_value(target);
        json_decref(d);
        if (t < *lo)
            *lo = t;
        if (p->offset > *hi)
            *hi = p->offset;
    }
    return *hi > 0;
}

void chat_view(void *ctx, struct gate_view *v)
{
    struct chat *c = ctx;
    uint64_t lo, hi;
    if (c->stopped)
        return gate_view_resume(v, ENGINE_ETEMP);
    if (!chat_has_records(c) || !range_of(v, &lo, &hi))
        return gate_view_resume(v, 0);
    struct view_ctx *x = calloc(1, sizeof(*x));
    if (!x)
        return gate_view_resume(v, ENGINE_ENOMEM);
    x->c = c;
    x->v = v;
    x->lo = lo;
    x->hi = hi;
    int pl = chat_key_stream(x->prefix, CHAT_STREAM_KEY_MAX, gate_view_channel(v),
                             gate_view_epoch(v));
    x->states = json_object();
    x->counts = json_object();
    if (pl < 0 || !x->states || !x->counts)
        return view_end(x, pl < 0 ? -EINVAL : -ENOMEM);
    x->plen = (size_t)pl;
    x->alen = (size_t)snprintf(x->after, sizeof(x->after), "%s%020" PRIu64 "\xff", x->prefix, lo - 1);
    scan_page(x);
}
