/* community/chat_reactions.c — chat.react {channel, offset, emoji,
 * "remove"?: true} and the coalesced {"type":"reactions","target","counts"}
 * updates.
 *
 * One reaction per user per emoji per message, atomic across nodes with
 * single-record ops only: the membership record (chat.react M\x1fE\x1fU) is
 * put NX (already there: nothing changes), then the emoji's counter
 * (chat.rcount M\x1fE) is incremented; when that made it 1, the message's
 * distinct-emoji counter (chat.remoji M) is incremented, and a result over
 * chat_max_reactions is undone (all three) and answered 106. Removing runs
 * the same steps down (the counter at 0 deletes itself, record_incr).
 *
 * Updates: a reaction marks its message dirty on this node (at most
 * CHAT_DIRTY_MAX messages at once; past that a change still counts but its
 * update waits for the message's next one); a 250 ms timer publishes each
 * dirty message's full counts once, without history (so reactions never push
 * messages out of the history window) and droppable (a slow reader may lose
 * them; history shows the counts). So at most one update per message per
 * 250 ms from each node.
 *
 * Ownership: struct react_ctx is the call's until it answers; struct
 * chat_dirty entries are the module's (in c->react_dirty), then the flush's
 * until the update is published. */
#include "community/chat_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/errors.h"

struct chat_dirty {
    struct dict_entry de;      /* key = M (channel \x1f epoch \x1f offset) */
    struct chat *c;
    uint64_t offset;
    size_t chlen;              /* the channel is key[0..chlen) */
    size_t klen;
    char key[];
};

/* ---- the coalesced update ---- */

static void flush_one(struct chat_dirty *d);

static void on_flush_tick(uv_timer_t *t)
{
    struct chat *c = t->data;
    struct dict_iter it;
    dict_iter_init(&it, &c->react_dirty);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        dict_remove(&c->react_dirty, e);
        flush_one(DICT_CONTAINER(e, struct chat_dirty, de));
    }
    if (!c->react_dirty.count)
        uv_timer_stop(t);
}

static void on_counts(void *arg, int err, const struct record *recs, size_t n)
{
    struct chat_dirty *d = arg;
    size_t epos = d->klen + 1;
    json_t *counts = err ? NULL : json_object();
    for (size_t i = 0; counts && i < n; i++) {
        if (recs[i].key.n <= epos)
            continue;
        char v[24];
        size_t vn = recs[i].value.n < sizeof(v) - 1 ? recs[i].value.n : sizeof(v) - 1;
        memcpy(v, recs[i].value.p, vn);
        v[vn] = 0;
        long long cnt = strtoll(v, NULL, 10);
        if (cnt > 0)
            json_object_setn_new(counts, (const char *)recs[i].key.p + epos, recs[i].key.n - epos,
                                 json_integer(cnt));
    }
    if (counts && !d->c->stopped) {
        char *ch = strndup(d->key, d->chlen);
        json_t *ev = json_pack("{s:s,s:I,s:o}", "type", "reactions", "target",
                               (json_int_t)d->offset, "counts", counts);
        counts = NULL;
        if (ch && ev)
            chat_publish_event(d->c, ch, NULL, ev, false, NULL, NULL);
        else
            json_decref(ev);
        free(ch);
    }
    json_decref(counts);
    free(d);
}

static void flush_one(struct chat_dirty *d)
{
    if (d->c->stopped) {
        free(d);
        return;
    }
    char prefix[RECORD_KEY_MAX + 1];
    memcpy(prefix, d->key, d->klen);
    prefix[d->klen] = 0x1f;
    struct store *st = d->c->node->store;
    struct record_scan q = {.prefix = {(const uint8_t *)prefix, d->klen + 1},
                            .limit = RECORD_SCAN_MAX};
    if (st->ops->record_scan(st, chat_kind(CHAT_KIND_RCOUNT), &q, on_counts, d) != 0)
        free(d);
}

/* Marks message key M (its channel: the first chlen bytes) for an update. */
static void mark_dirty(struct chat *c, const char *key, size_t klen, size_t chlen, uint64_t off)
{
    if (c->stopped || !c->timers || dict_find(&c->react_dirty, key, klen) ||
        c->react_dirty.count >= CHAT_DIRTY_MAX)
        return;
    struct chat_dirty *d = malloc(sizeof(*d) + klen + 1);
    if (!d)
        return;
    *d = (struct chat_dirty){.c = c, .offset = off, .chlen = chlen, .klen = klen};
    memcpy(d->key, key, klen);
    d->key[klen] = 0;
    d->de.key = d->key;
    d->de.klen = klen;
    if (dict_insert(&c->react_dirty, &d->de) != 0) {
        free(d);
        return;
    }
    if (!uv_is_active((uv_handle_t *)&c->react_timer))
        uv_timer_start(&c->react_timer, on_flush_tick, CHAT_REACT_COALESCE_MS,
                       CHAT_REACT_COALESCE_MS);
}

void chat_reactions_stop(struct chat *c)
{
    if (c->timers)
        uv_timer_stop(&c->react_timer);
}

void chat_reactions_free(struct chat *c)
{
    struct dict_iter it;
    dict_iter_init(&it, &c->react_dirty);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        dict_remove(&c->react_dirty, e);
        free(DICT_CONTAINER(e, struct chat_dirty, de));
    }
}

/* ---- chat.react ---- */

struct react_ctx {
    struct chat *c;
    method_done *done;
    void *arg;
    bool remove;
    uint32_t max;                 /* chat_max_reactions */
    int64_t expire;
    char *channel;                /* owned */
    char user[160];
    char emoji[CHAT_EMOJI_MAX + 1];
    uint64_t offset;
    char m[RECORD_KEY_MAX + 1];   /* M */
    size_t mlen;
    char ek[RECORD_KEY_MAX + 1];  /* M \x1f E */
    size_t eklen;
    char uk[RECORD_KEY_MAX + 1];  /* M \x1f E \x1f U */
    size_t uklen;
};

static struct span sp(const char *p, size_t n) { return (struct span){(const uint8_t *)p, n}; }

static void react_end(struct react_ctx *x, uint32_t code, const char *msg)
{
    if (code) {
        method_error(x->done, x->arg, code, msg);
    } else {
        mark_dirty(x->c, x->m, x->mlen, strlen(x->channel), x->offset);
        method_ok(x->done, x->arg, NULL);
    }
    free(x->channel);
    free(x);
}

static int64_t incr_value(const struct record *recs, size_t n)
{
    if (!n)
        return 0;
    char v[24];
    size_t vn = recs[0].value.n < sizeof(v) - 1 ? recs[0].value.n : sizeof(v) - 1;
    memcpy(v, recs[0].value.p, vn);
    v[vn] = 0;
    return strtoll(v, NULL, 10);
}

static void on_distinct(void *arg, int err, const struct record *recs, size_t n)
{
    struct react_ctx *x = arg;
    struct store *st = x->c->node->store;
    if (x->remove || err || x->c->stopped)
        return react_end(x, err ? ERR_INTERNAL : 0, NULL);
    if (incr_value(recs, n) <= (int64_t)x->max)
        return react_end(x, 0, NULL);
    /* one emoji too many: undo all three */
    st->ops->record_incr(st, chat_kind(CHAT_KIND_REMOJI), sp(x->m, x->mlen), -1, x->expire, NULL,
                         NULL);
    st->ops->record_incr(st, chat_kind(CHAT_KIND_RCOUNT), sp(x->ek, x->eklen), -1, x->expire,
                         NULL, NULL);
    st->ops->record_del(st, chat_kind(CHAT_KIND_REACT), sp(x->uk, x->uklen), NULL, NULL);
    react_end(x, ERR_LIMIT_EXCEEDED, "too many distinct reactions");
}

static void on_count(void *arg, int err, const struct record *recs, size_t n)
{
    struct react_ctx *x = arg;
    if (err || x->c->stopped)
        return react_end(x, ERR_INTERNAL, NULL);
    int64_t v = incr_value(recs, n);
    /* a new emoji (now 1) or a gone one (now 0): the distinct count moves */
    if (x->remove ? v > 0 : v != 1)
        return react_end(x, 0, NULL);
    struct store *st = x->c->node->store;
    if (st->ops->record_incr(st, chat_kind(CHAT_KIND_REMOJI), sp(x->m, x->mlen),
                             x->remove ? -1 : 1, x->expire, on_distinct, x) != 0)
        react_end(x, ERR_INTERNAL, NULL);
}

static void on_member(void *arg, int err, const struct record *recs, size_t n)
{
    (void)recs;
    struct react_ctx *x = arg;
    if (err || x->c->stopped)
        return react_end(x, ERR_INTERNAL, NULL);
    /* add: n == 1 = already reacted; remove: n == 0 = had not */
    if (x->remove ? n == 0 : n == 1)
        return react_end(x, 0, NULL);
    struct store *st = x->c->node->store;
    if (st->ops->record_incr(st, chat_kind(CHAT_KIND_RCOUNT), sp(x->ek, x->eklen),
                             x->remove ? -1 : 1, x->expire, on_count, x) != 0)
        react_end(x, ERR_INTERNAL, NULL);
}

static void on_target(void *arg, const struct chat_found *f)
{
    struct react_ctx *x = arg;
    if (f->err)
        return react_end(x, ERR_INTERNAL, NULL);
    if (!f->pub || !f->is_message || f->deleted)
        return react_end(x, ERR_BAD_REQUEST, "no such message in history");
    int ml = chat_key_msg(x->m, sizeof(x->m), span_str(x->channel), f->epoch, x->offset);
    if (ml < 0)
        return react_end(x, ERR_BAD_REQUEST, NULL);
    x->mlen = (size_t)ml;
    x->eklen = (size_t)snprintf(x->ek, sizeof(x->ek), "%s\x1f%s", x->m, x->emoji);
    int ul = snprintf(x->uk, sizeof(x->uk), "%s\x1f%s", x->ek, x->user);
    if (ul < 0 || (size_t)ul >= RECORD_KEY_MAX)
        return react_end(x, ERR_BAD_REQUEST, NULL);
    x->uklen = (size_t)ul;
    struct store *st = x->c->node->store;
    struct record r = {.key = sp(x->uk, x->uklen), .value = {(const uint8_t *)"", 0},
                       .expire_ms = x->expire};
    int rc = x->remove
                 ? st->ops->record_del(st, chat_kind(CHAT_KIND_REACT), r.key, on_member, x)
                 : st->ops->record_put(st, chat_kind(CHAT_KIND_REACT), &r, RECORD_NX, on_member, x);
    if (rc)
        react_end(x, ERR_INTERNAL, NULL);
}

void chat_m_react(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct chat *c = call->ctx;
    struct chat_target t;
    if (chat_params_target(c, params, true, &t, done, arg))
        return;
    if (!chat_may_publish(call, t.ns))
        return method_error(done, arg, ERR_PERMISSION_DENIED, NULL);
    static const char *const keys[] = {"channel", "offset", "emoji", "remove", NULL};
    static const char *const keys_api[] = {"channel", "offset", "emoji", "remove", "user", NULL};
    const char *actor = chat_actor(call, params);
    json_t *emoji = json_object_get(params, "emoji");
    json_t *remove = json_object_get(params, "remove");
    if (!actor || !chat_params_only(params, call->origin == METHOD_API ? keys_api : keys) ||
        !json_is_string(emoji) || !chat_emoji_ok(json_string_value(emoji), json_string_length(emoji)) ||
        (remove && !json_is_boolean(remove)))
        return method_error(done, arg, ERR_BAD_REQUEST,
                            "react takes {channel, offset, emoji, remove?}: emoji is 1..32 bytes "
                            "of UTF-8 without ASCII, controls or spaces");
    struct react_ctx *x = calloc(1, sizeof(*x));
    if (!x || !(x->channel = strdup(t.channel))) {
        free(x);
        return method_error(done, arg, ERR_INTERNAL, NULL);
    }
    x->c = c;
    x->done = done;
    x->arg = arg;
    x->remove = json_is_true(remove);
    x->max = t.ns->chat_max_reactions;
    x->expire = chat_state_expire(c, t.ns);
    x->offset = t.offset;
    snprintf(x->user, sizeof(x->user), "%s", actor);
    memcpy(x->emoji, json_string_value(emoji), json_string_length(emoji) + 1);
    if (chat_find(c, span_str(x->channel), t.ns, t.offset, true, on_target, x) != 0)
        react_end(x, ERR_INTERNAL, NULL);
}
