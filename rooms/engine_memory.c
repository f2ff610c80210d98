/* rooms/engine_memory.c — the memory engine and store (one object serving
 * engine.h and store.h): one node, nothing to install.
 * Owns per-channel state (struct mchan: history stream + presence entries) in
 * a dict keyed by channel name. Every op completes synchronously: callbacks
 * run before the op returns, and publications are handed straight to
 * ev.on_publication (this node is the only subscriber there is).
 * Only publications (a stream) and presence entries make state: a history
 * read or positioned subscribe on a channel without a stream answers from
 * the empty stream (epoch "", offset 0) and keeps nothing. A channel's state
 * is freed by the sweep once it has no presence, no live publications and
 * its stream meta (epoch/top) has outlived history_meta_ttl; a stream whose
 * publications all expired gives its ring back at once.
 *
 * With a data_dir the state also has a durable copy (rooms/durable.h; the
 * loading and the completion of journalled publications are in
 * engine_memory_durable.c): a publish that keeps history takes the next
 * offset (next_top) at once but reaches the ring, the subscribers and the
 * publisher only after its batch committed; h.top is the committed top, the
 * only one readers see. A failed commit rolls next_top back to h.top. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/dict.h"
#include "rooms/engine_memory.h"
#include "rooms/store.h"
#include "rooms/durable_records.h"

struct pentry {                 /* one presence entry */
    struct dict_entry de;       /* key = info.client */
    struct clientinfo info;     /* spans into mem */
    uint8_t mem[];
};

static int64_t now_ms(const struct memengine *m) { return mem_now_ms(m); }

static struct memengine *of_store(struct store *s)
{
    return (struct memengine *)((char *)s - offsetof(struct memengine, store));
}

static struct mchan *find(struct memengine *m, struct span ch) { return mem_find(m, ch); }

struct mchan *mem_chan_get(struct memengine *m, struct span ch)
{
    struct mchan *c = find(m, ch);
    if (c)
        return c;
    c = calloc(1, sizeof(*c) + ch.n + 1);
    if (!c)
        return NULL;
    memcpy(c->name, ch.p, ch.n);
    c->name_len = ch.n;
    c->de.key = c->name;
    c->de.klen = ch.n;
    dict_init(&c->presence);
    if (dict_insert(&m->chans, &c->de) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

/* Returns true when the stream was created now (a fresh epoch). */
static bool stream_touch(struct memengine *m, struct mchan *c)
{
    bool fresh = !c->has_stream;
    if (fresh) {
        history_init(&c->h);
        c->has_stream = true;
        c->next_top = c->clear_at = 0;
    }
    c->meta_expire_ms = now_ms(m) + (int64_t)m->base.cfg->history_meta_ttl * 1000;
    return fresh;
}

static void chan_free(struct memengine *m, struct mchan *c)
{
    dict_remove(&m->chans, &c->de);
    struct dict_iter it;
    dict_iter_init(&it, &c->presence);
    for (struct dict_entry *e; (e = dict_next(&it));)
        free(DICT_CONTAINER(e, struct pentry, de));
    dict_free(&c->presence);
    if (c->has_stream)
        history_free(&c->h);
    free(c);
}

static void maybe_free(struct memengine *m, struct mchan *c, int64_t now)
{
    if (c->presence.count || c->pending)
        return;
    if (c->has_stream && (c->h.count || c->meta_expire_ms > now))
        return;
    chan_free(m, c);
}

static int mem_publish(struct engine *e, struct publication *pub, const struct publish_opts *o,
                       engine_publish_cb *cb, void *arg)
{
    struct memengine *m = (struct memengine *)e;
    struct publish_result res = {0};
    if (o->history_size > 0 && o->history_ttl > 0) {
        struct mchan *c = mem_chan_get(m, pub->channel);
        if (!c)
            return ENGINE_ENOMEM;
        bool fresh = stream_touch(m, c);
        int64_t now = now_ms(m);
        if (m->dur) { /* answered by on_durable_pub once committed */
            int rc = durable_pub(m->dur, pub, c->h.epoch, c->next_top + 1, o->history_size,
                                 now + (int64_t)o->history_ttl * 1000, c->meta_expire_ms, fresh,
                                 cb, arg);
            if (rc)
                return rc;
            c->next_top++;
            c->pending++;
            return 0;
        }
        history_expire(&c->h, now);
        if (history_append(&c->h, pub, o->history_size, now + (int64_t)o->history_ttl * 1000))
            return ENGINE_ENOMEM;
        res.offset = pub->offset;
        res.epoch = c->h.epoch;
    } else if (m->dur) {
        /* not kept, but must not overtake kept ones still waiting for
         * their commit in this channel: it queues behind them (offset 0:
         * nothing is written) */
        struct mchan *c = find(m, pub->channel);
        if (c && c->pending) {
            int rc = durable_pub(m->dur, pub, "", 0, 0, 0, 0, false, cb, arg);
            if (rc == 0)
                c->pending++;
            return rc;
        }
    }
    e->ev.on_publication(e->ev.arg, pub);
    if (cb)
        cb(arg, &res);
    return 0;
}

static int mem_publish_join(struct engine *e, struct span channel, const struct clientinfo *info,
                            bool leave)
{
    e->ev.on_join(e->ev.arg, channel, info, leave);
    return 0;
}

static int mem_history(struct store *st, struct span channel, const struct ns_config *ns,
                       const struct history_query *q, store_history_cb *cb, void *arg)
{
    struct memengine *m = of_store(st);
    struct mchan *c = find(m, channel);
    if (!c || !c->has_stream) {
        /* Never published (or its meta expired): the empty stream, with no
         * state made for it — a read must not let anyone grow the engine.
         * Epoch "" at offset 0 is the position before the first
         * publication: recovering from it matches whatever epoch that
         * publication creates (an empty since-epoch matches any), so
         * nothing published after this read is lost to its reader. */
        struct history_result res = {.top = 0, .epoch = ""};
        if (q->has_since && q->since_epoch.n)
            res.err = ENGINE_EUNRECOVERABLE;
        cb(arg, &res);
        return 0;
    }
    history_expire(&c->h, now_ms(m));
    struct history_result res = {.top = c->h.top, .epoch = c->h.epoch};
    if (q->has_since && q->since_epoch.n &&
        (q->since_epoch.n != strlen(c->h.epoch) ||
         memcmp(q->since_epoch.p, c->h.epoch, q->since_epoch.n) != 0)) {
        res.err = ENGINE_EUNRECOVERABLE;
        cb(arg, &res);
        return 0;
    }
    if (m->scratch_cap < c->h.count) {
        struct publication **s = realloc(m->scratch, sizeof(*s) * c->h.count);
        if (!s)
            return ENGINE_ENOMEM;
        m->scratch = s;
        m->scratch_cap = c->h.count;
    }
    res.npubs = history_select(&c->h, q, m->scratch, c->h.count);
    res.pubs = m->scratch;
    cb(arg, &res);
    return 0;
}

static int mem_history_remove(struct store *st, struct span channel)
{
    struct memengine *m = of_store(st);
    struct mchan *c = find(m, channel);
    if (c && c->has_stream) {
        history_clear(&c->h);
        c->clear_at = c->next_top; /* pending ones are removed too, when they land */
    }
    if (m->dur && c && c->has_stream)
        return durable_remove(m->dur, channel);
    return 0;
}

static int mem_presence_add(struct store *st, struct span channel, const struct clientinfo *info)
{
    struct memengine *m = of_store(st);
    struct mchan *c = mem_chan_get(m, channel);
    if (!c)
        return ENGINE_ENOMEM;
    if (dict_find(&c->presence, info->client.p, info->client.n))
        return 0; /* refresh: nothing expires in memory while the client lives */
    size_t n = info->user.n + info->client.n + info->conn_info.n + info->chan_info.n;
    struct pentry *pe = malloc(sizeof(*pe) + n);
    if (!pe)
        return ENGINE_ENOMEM;
    uint8_t *w = pe->mem;
    const struct span *src[4] = {&info->user, &info->client, &info->conn_info, &info->chan_info};
    struct span *dst[4] = {&pe->info.user, &pe->info.client, &pe->info.conn_info,
                           &pe->info.chan_info};
    for (int i = 0; i < 4; i++) {
        dst[i]->p = w;
        dst[i]->n = src[i]->n;
        if (src[i]->n)
            memcpy(w, src[i]->p, src[i]->n);
        w += src[i]->n;
    }
    pe->de.key = (const char *)pe->info.client.p;
    pe->de.klen = pe->info.client.n;
    if (dict_insert(&c->presence, &pe->de) != 0) {
        free(pe);
        return ENGINE_ENOMEM;
    }
    return 0;
}

static int mem_presence_remove(struct store *st, struct span channel, struct span client_id)
{
    struct memengine *m = of_store(st);
    struct mchan *c = find(m, channel);
    if (!c)
        return 0;
    struct dict_entry *de = dict_find(&c->presence, client_id.p, client_id.n);
    if (de) {
        dict_remove(&c->presence, de);
        free(DICT_CONTAINER(de, struct pentry, de));
    }
    maybe_free(m, c, now_ms(m));
    return 0;
}

static int mem_presence_get(struct store *st, struct span channel, store_presence_cb *cb,
                            void *arg)
{
    struct memengine *m = of_store(st);
    struct mchan *c = find(m, channel);
    size_t n = c ? c->presence.count : 0;
    if (n > m->pscratch_cap) {
        struct clientinfo *s = realloc(m->pscratch, sizeof(*s) * n);
        if (!s)
            return ENGINE_ENOMEM;
        m->pscratch = s;
        m->pscratch_cap = n;
    }
    size_t i = 0;
    if (c) {
        struct dict_iter it;
        dict_iter_init(&it, &c->presence);
        for (struct dict_entry *de; (de = dict_next(&it));)
            m->pscratch[i++] = DICT_CONTAINER(de, struct pentry, de)->info;
    }
    cb(arg, 0, m->pscratch, i);
    return 0;
}

static int mem_presence_stats(struct store *st, struct span channel, store_stats_cb *cb, void *arg)
{
    struct memengine *m = of_store(st);
    struct mchan *c = find(m, channel);
    uint32_t clients = 0, users = 0;
    if (c) {
        /* distinct users: a throwaway dict keyed by the entries' own user spans */
        struct dict seen;
        dict_init(&seen);
        struct dict_entry *keys = calloc(c->presence.count ? c->presence.count : 1, sizeof(*keys));
        if (!keys)
            return ENGINE_ENOMEM;
        struct dict_iter it;
        dict_iter_init(&it, &c->presence);
        for (struct dict_entry *de; (de = dict_next(&it));) {
            struct pentry *pe = DICT_CONTAINER(de, struct pentry, de);
            clients++;
            if (dict_find(&seen, pe->info.user.p, pe->info.user.n))
                continue;
            keys[users].key = (const char *)pe->info.user.p;
            keys[users].klen = pe->info.user.n;
            if (dict_insert(&seen, &keys[users]) == 0)
                users++;
        }
        dict_free(&seen);
        free(keys);
    }
    cb(arg, 0, clients, users);
    return 0;
}

static int mem_record_put(struct store *st, struct span kind, const struct record *r,
                          unsigned flags, store_records_cb *cb, void *arg)
{
    struct memengine *m = of_store(st);
    if (m->dur)
        return durable_records_put(m->dur, &m->recs, kind, r, flags, now_ms(m), cb, arg);
    return records_put(&m->recs, kind, r, flags, now_ms(m), cb, arg);
}

static int mem_record_get(struct store *st, struct span kind, struct span key,
                          store_records_cb *cb, void *arg)
{
    struct memengine *m = of_store(st);
    return records_get(&m->recs, kind, key, now_ms(m), cb, arg);
}

static int mem_record_del(struct store *st, struct span kind, struct span key,
                          store_records_cb *cb, void *arg)
{
    struct memengine *m = of_store(st);
    if (m->dur)
        return durable_records_del(m->dur, &m->recs, kind, key, now_ms(m), cb, arg);
    return records_del(&m->recs, kind, key, now_ms(m), cb, arg);
}

static int mem_record_scan(struct store *st, struct span kind, const struct record_scan *q,
                           store_records_cb *cb, void *arg)
{
    struct memengine *m = of_store(st);
    return records_scan(&m->recs, kind, q, now_ms(m), cb, arg);
}

static int mem_record_incr(struct store *st, struct span kind, struct span key, int64_t delta,
                           int64_t expire_ms, store_records_cb *cb, void *arg)
{
    struct memengine *m = of_store(st);
    if (m->dur)
        return durable_records_incr(m->dur, &m->recs, kind, key, delta, expire_ms, now_ms(m), cb,
                                    arg);
    return records_incr(&m->recs, kind, key, delta, expire_ms, now_ms(m), cb, arg);
}

static int mem_noop(struct engine *e, struct span channel) { return 0; }

static void mem_sweep(struct store *st, int64_t now)
{
    struct memengine *m = of_store(st);
    struct dict_iter it;
    dict_iter_init(&it, &m->chans);
    for (struct dict_entry *de; (de = dict_next(&it));) {
        struct mchan *c = DICT_CONTAINER(de, struct mchan, de);
        if (c->has_stream) {
            history_expire(&c->h, now);
            if (!c->h.count && c->h.cap)
                history_free(&c->h); /* only epoch and top are left to keep */
        }
        maybe_free(m, c, now);
    }
    records_sweep(&m->recs, now);
    if (m->dur)
        durable_sweep(m->dur, now);
}

static size_t mem_channel_count(struct store *st)
{
    return of_store(st)->chans.count;
}

void mem_destroy(struct engine *e)
{
    struct memengine *m = (struct memengine *)e;
    durable_free(m->dur); /* first: it may complete pending publications */
    struct dict_iter it;
    dict_iter_init(&it, &m->chans);
    for (struct dict_entry *de; (de = dict_next(&it));)
        chan_free(m, DICT_CONTAINER(de, struct mchan, de));
    dict_free(&m->chans);
    records_free(&m->recs);
    free(m->scratch);
    free(m->pscratch);
    free(m);
}

static void mem_shutdown(struct engine *e) { durable_shutdown(((struct memengine *)e)->dur); }

static int mem_health(struct store *st) { return of_store(st)->dur ? durable_health(of_store(st)->dur) : 0; }

static int mem_durable_stats(struct store *st, struct store_durable_stats *out)
{
    if (!of_store(st)->dur)
        return -1;
    durable_stats(of_store(st)->dur, out);
    return 0;
}

static const struct engine_ops memory_ops = {
    .publish = mem_publish,
    .publish_join = mem_publish_join,
    .subscribe = mem_noop,
    .unsubscribe = mem_noop,
    .destroy = mem_destroy,
    .shutdown = mem_shutdown,
};

static const struct store_ops memory_store_ops = {
    .history = mem_history,
    .history_remove = mem_history_remove,
    .presence_add = mem_presence_add,
    .presence_remove = mem_presence_remove,
    .presence_get = mem_presence_get,
    .presence_stats = mem_presence_stats,
    .record_put = mem_record_put,
    .record_get = mem_record_get,
    .record_del = mem_record_del,
    .record_scan = mem_record_scan,
    .record_incr = mem_record_incr,
    .sweep = mem_sweep,
    .channel_count = mem_channel_count,
    .health = mem_health,
    .durable_stats = mem_durable_stats,
    .destroy = NULL, /* freed with the engine (mem_destroy) */
};

struct engine *engine_memory_new(const struct config *cfg, const struct engine_events *ev,
                                 const struct clock *clk, struct store **store)
{
    struct memengine *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->clock = clk;
    m->base.ops = &memory_ops;
    m->base.ev = *ev;
    m->base.cfg = cfg;
    m->store.ops = &memory_store_ops;
    m->store.cfg = cfg;
    dict_init(&m->chans);
    records_init(&m->recs);
    *store = &m->store;
    return &m->base;
}
