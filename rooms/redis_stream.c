/* rooms/redis_stream.c — publications through Redis for the Redis engine:
 * publish (one Lua script assigns the offset, appends to the channel's
 * stream with XADD MAXLEN, refreshes the TTLs and PUBLISHes the envelope, so
 * offsets are gap-free and in the same order on every node), join/leave
 * events, history reads (XRANGE/XREVRANGE through a script that reports the
 * epoch and top offset and writes nothing: a channel never published to
 * reads as epoch "", offset 0) and history_remove. A history read
 * for a channel whose SUBSCRIBE is not confirmed yet is parked on the
 * channel (engine_redis.c runs it on the confirmation). Replies are decoded
 * once into publications handed to the caller's callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/rand.h"
#include "rooms/redis_engine.h"

void redis_hist_fail(struct hist_call *hc, int err)
{
    struct history_result res = {.err = err, .epoch = ""};
    hc->cb(hc->arg, &res);
    free(hc);
}

/* ---- publish, join/leave ---- */

struct pub_call {
    struct rshard *sh;
    engine_publish_cb *cb;
    void *arg;
};

static void on_published(void *arg, redisReply *r)
{
    struct pub_call *pc = arg;
    struct publish_result res = {0};
    char epoch[ENVELOPE_EPOCH_MAX + 1] = "";
    if (redis_reply_failed(r)) {
        redis_reply_check(pc->sh, r, "publish");
        res.err = ENGINE_ETEMP;
    } else if (r->type == REDIS_REPLY_ARRAY) {
        if (r->elements == 2 && r->element[0]->type == REDIS_REPLY_INTEGER &&
            r->element[1]->type == REDIS_REPLY_STRING && r->element[1]->len <= ENVELOPE_EPOCH_MAX) {
            res.offset = (uint64_t)r->element[0]->integer;
            memcpy(epoch, r->element[1]->str, r->element[1]->len);
            epoch[r->element[1]->len] = 0;
            res.epoch = epoch;
        } else {
            res.err = ENGINE_ETEMP;
        }
    }
    if (pc->cb)
        pc->cb(pc->arg, &res);
    free(pc);
}

int redis_publish(struct engine *eng, struct publication *pub, const struct publish_opts *o,
                  engine_publish_cb *cb, void *arg)
{
    struct redis_engine *e = (struct redis_engine *)eng;
    struct rshard *sh = shard_for(e, pub->channel);
    if (!rconn_ready(&sh->cmd))
        return ENGINE_ETEMP;
    char chan[REDIS_KEY_MAX];
    size_t chan_len = redis_key(e, chan, "client", pub->channel);
    struct pub_call *pc = malloc(sizeof(*pc));
    if (!pc || !chan_len) {
        free(pc);
        return ENGINE_ENOMEM;
    }
    *pc = (struct pub_call){sh, cb, arg};
    struct wbuf *b = &e->scratch;
    wbuf_reset(b);
    int rc;
    if (o->history_size > 0 && o->history_ttl > 0) {
        char stream[REDIS_KEY_MAX], meta[REDIS_KEY_MAX], size[24], ttl[24], mttl[24];
        char epoch[EPOCH_LEN + 1];
        envelope_put_pub_tail(b, pub);
        size_t ls = redis_key(e, stream, "stream", pub->channel);
        size_t lm = redis_key(e, meta, "meta", pub->channel);
        snprintf(size, sizeof(size), "%u", o->history_size);
        snprintf(ttl, sizeof(ttl), "%u", o->history_ttl);
        snprintf(mttl, sizeof(mttl), "%u", e->base.cfg->history_meta_ttl);
        rand_epoch(epoch);
        const char *keys[2] = {stream, meta};
        size_t klens[2] = {ls, lm};
        const char *args[6] = {(const char *)wbuf_data(b), size, ttl, mttl, epoch, chan};
        size_t alens[6] = {b->len, strlen(size), strlen(ttl), strlen(mttl), EPOCH_LEN, chan_len};
        rc = wbuf_ok(b) ? redis_eval(sh, RSCRIPT_PUBLISH, 2, keys, klens, 6, args, alens,
                                     on_published, pc)
                        : -1;
    } else {
        envelope_put_pub(b, pub, 0, (struct span){NULL, 0});
        const char *argv[3] = {"PUBLISH", chan, (const char *)wbuf_data(b)};
        size_t lens[3] = {7, chan_len, b->len};
        rc = wbuf_ok(b) ? rconn_command(&sh->cmd, on_published, pc, 3, argv, lens) : -1;
    }
    if (rc) {
        free(pc);
        return ENGINE_ETEMP;
    }
    return 0;
}

int redis_publish_join(struct engine *eng, struct span ch, const struct clientinfo *info,
                       bool leave)
{
    struct redis_engine *e = (struct redis_engine *)eng;
    struct rshard *sh = shard_for(e, ch);
    char chan[REDIS_KEY_MAX];
    size_t chan_len = redis_key(e, chan, "client", ch);
    if (!chan_len || !rconn_ready(&sh->cmd))
        return ENGINE_ETEMP;
    wbuf_reset(&e->scratch);
    envelope_put_join(&e->scratch, info, leave);
    if (!wbuf_ok(&e->scratch))
        return ENGINE_ENOMEM;
    const char *argv[3] = {"PUBLISH", chan, (const char *)wbuf_data(&e->scratch)};
    size_t lens[3] = {7, chan_len, e->scratch.len};
    return redis_fire(sh, 3, argv, lens) ? ENGINE_ETEMP : 0;
}

/* ---- history ---- */

static void on_history(void *arg, redisReply *r)
{
    struct hist_call *hc = arg;
    struct rshard *sh = &hc->e->shards[hc->shard];
    if (redis_reply_failed(r) || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[1]->type != REDIS_REPLY_STRING || r->element[1]->len > ENVELOPE_EPOCH_MAX ||
        r->element[2]->type != REDIS_REPLY_ARRAY) {
        redis_reply_check(sh, r, "history");
        redis_hist_fail(hc, ENGINE_ETEMP);
        return;
    }
    char epoch[ENVELOPE_EPOCH_MAX + 1];
    memcpy(epoch, r->element[1]->str, r->element[1]->len);
    epoch[r->element[1]->len] = 0;
    struct history_result res = {.epoch = epoch};
    redisReply *top = r->element[0];
    if (top->type == REDIS_REPLY_INTEGER && top->integer >= 0)
        res.top = (uint64_t)top->integer;
    const struct history_query *q = &hc->q;
    if (q->has_since && q->since_epoch.n &&
        (q->since_epoch.n != strlen(epoch) || memcmp(q->since_epoch.p, epoch, q->since_epoch.n))) {
        res.err = ENGINE_EUNRECOVERABLE;
        hc->cb(hc->arg, &res);
        free(hc);
        return;
    }
    redisReply *entries = r->element[2];
    struct publication **pubs = entries->elements ? malloc(sizeof(*pubs) * entries->elements) : NULL;
    if (entries->elements && !pubs) {
        redis_hist_fail(hc, ENGINE_ENOMEM);
        return;
    }
    struct span ch = {(const uint8_t *)hc->ch, hc->ch_len};
    size_t n = 0;
    for (size_t i = 0; i < entries->elements; i++) {
        redisReply *en = entries->element[i];
        if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 ||
            en->element[1]->type != REDIS_REPLY_ARRAY || en->element[1]->elements != 2 ||
            en->element[1]->element[1]->type != REDIS_REPLY_STRING)
            continue;
        redisReply *v = en->element[1]->element[1];
        struct envelope env;
        if (envelope_decode((const uint8_t *)v->str, v->len, &env) != 0 ||
            env.kind != ENVELOPE_PUB || !env.offset) {
            log_warn("redis", "history of %.*s: malformed stream entry skipped", (int)hc->ch_len,
                     hc->ch);
            continue;
        }
        struct publication *p = envelope_publication(&env, ch);
        if (p)
            pubs[n++] = p;
    }
    res.pubs = pubs;
    res.npubs = n;
    hc->cb(hc->arg, &res);
    for (size_t i = 0; i < n; i++)
        publication_unref(pubs[i]);
    free(pubs);
    free(hc);
}

int redis_hist_send(struct hist_call *hc)
{
    struct redis_engine *e = hc->e;
    struct rshard *sh = &e->shards[hc->shard];
    struct span ch = {(const uint8_t *)hc->ch, hc->ch_len};
    char stream[REDIS_KEY_MAX], meta[REDIS_KEY_MAX], mttl[24], start[32], count[24];
    char epoch[EPOCH_LEN + 1];
    size_t ls = redis_key(e, stream, "stream", ch), lm = redis_key(e, meta, "meta", ch);
    const struct history_query *q = &hc->q;
    const char *mode = "0";
    snprintf(start, sizeof(start), "-");
    if (q->limit != 0 && !q->reverse) {
        mode = "f";
        if (q->has_since)
            snprintf(start, sizeof(start), "%llu", (unsigned long long)q->since_offset + 1);
    } else if (q->limit != 0) {
        mode = "r";
        if (q->has_since)
            snprintf(start, sizeof(start), "%llu",
                     (unsigned long long)(q->since_offset ? q->since_offset - 1 : 0));
        else
            snprintf(start, sizeof(start), "+");
    }
    snprintf(count, sizeof(count), "%d", q->limit > 0 ? q->limit : 0);
    snprintf(mttl, sizeof(mttl), "%u", e->base.cfg->history_meta_ttl);
    rand_epoch(epoch);
    const char *keys[2] = {stream, meta};
    size_t klens[2] = {ls, lm};
    const char *args[5] = {epoch, mttl, mode, start, count};
    size_t alens[5] = {EPOCH_LEN, strlen(mttl), 1, strlen(start), strlen(count)};
    return redis_eval(sh, RSCRIPT_HISTORY, 2, keys, klens, 5, args, alens, on_history, hc);
}

int redis_history(struct store *st, struct span ch, const struct ns_config *ns,
                  const struct history_query *q, store_history_cb *cb, void *arg)
{
    struct redis_engine *e = redis_of_store(st);
    struct rshard *sh = shard_for(e, ch);
    if (!rconn_ready(&sh->cmd))
        return ENGINE_ETEMP;
    struct rchan *c = redis_chan_find(sh, ch);
    bool park = c && c->wanted && c->state != RCHAN_SUBSCRIBED;
    if (park && !rconn_ready(&sh->sub))
        return ENGINE_ETEMP;
    struct hist_call *hc = calloc(1, sizeof(*hc) + ch.n + 1);
    if (!hc)
        return ENGINE_ENOMEM;
    hc->e = e;
    hc->cb = cb;
    hc->arg = arg;
    hc->q = *q;
    hc->shard = sh->index;
    if (q->since_epoch.n) {
        /* longer than any epoch we make: can never match */
        size_t n = q->since_epoch.n <= ENVELOPE_EPOCH_MAX ? q->since_epoch.n : ENVELOPE_EPOCH_MAX + 1;
        memcpy(hc->epoch, q->since_epoch.p, n);
        hc->q.since_epoch = (struct span){(const uint8_t *)hc->epoch, n};
    }
    memcpy(hc->ch, ch.p, ch.n);
    hc->ch_len = ch.n;
    if (park) { /* answered once Redis confirms the SUBSCRIBE */
        hc->next = c->waiters;
        c->waiters = hc;
        return 0;
    }
    if (redis_hist_send(hc) != 0) {
        free(hc);
        return ENGINE_ETEMP;
    }
    return 0;
}

int redis_history_remove(struct store *st, struct span ch)
{
    struct redis_engine *e = redis_of_store(st);
    struct rshard *sh = shard_for(e, ch);
    char stream[REDIS_KEY_MAX];
    size_t ls = redis_key(e, stream, "stream", ch);
    const char *argv[2] = {"DEL", stream};
    size_t lens[2] = {3, ls};
    /* the meta (epoch, top offset) stays, so positions remain valid */
    return ls && redis_fire(sh, 2, argv, lens) == 0 ? 0
                                                                                   : ENGINE_ETEMP;
}

