/* rooms/engine_redis.c — the Redis engine: many nodes, one community.
 * Owns the shards (one Redis each, channels spread by shard_of()), and on
 * each shard the set of channels this node is subscribed to. Here: creation
 * and teardown, connection events, messages
 * arriving on the pub/sub link (decoded once into a publication and handed
 * to the hub), availability, and the periodic sweep (timeouts, heartbeats).
 * Publish and history live in redis_stream.c, presence in redis_presence.c,
 * the node registry and control channel in redis_nodes.c, the store's
 * records (bans, pins, counters, ...) in redis_records.c, the batched
 * SUBSCRIBE/UNSUBSCRIBE of the channels this node wants in redis_subs.c.
 *
 * The subscribe window: a history read for a channel whose SUBSCRIBE is not
 * confirmed yet waits (parked on the channel) until Redis confirms it, so
 * every publication after the read's top arrives live; the client layer
 * buffers live ones while the read runs and merges by offset.
 *
 * Faults: while a shard's connections are down its channels answer
 * ENGINE_ETEMP (client error 100, temporary). When the pub/sub link drops,
 * live publications may have been missed: every channel on that shard gets
 * ev.on_gap (positioned subscribers are told to recover), and again when its
 * SUBSCRIBE is confirmed on the new link. See docs/redis.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/rand.h"
#include "rooms/redis_engine.h"

int64_t redis_now_ms(const struct redis_engine *e) { return clock_now_ms(e->clock); }

size_t redis_key(const struct redis_engine *e, char *buf, const char *kind, struct span ch)
{
    int n = snprintf(buf, REDIS_KEY_MAX, "%s.%s.%.*s", e->prefix, kind, (int)ch.n,
                     (const char *)ch.p);
    return n > 0 && n < REDIS_KEY_MAX ? (size_t)n : 0;
}

static void load_scripts(struct rshard *sh);

void redis_reply_check(struct rshard *sh, redisReply *r, const char *what)
{
    if (!r || r->type != REDIS_REPLY_ERROR)
        return;
    if (!strncmp(r->str, "NOSCRIPT", 8)) {
        log_warn("redis", "shard %u: scripts missing (SCRIPT FLUSH?): loading them again",
                 sh->index);
        load_scripts(sh);
        return;
    }
    log_warn("redis", "shard %u: %s: %.*s", sh->index, what, (int)(r->len < 200 ? r->len : 200),
             r->str);
}

static void on_ignored_reply(void *arg, redisReply *r) { redis_reply_check(arg, r, "command"); }

int redis_fire(struct rshard *sh, int argc, const char **argv, const size_t *lens)
{
    return rconn_command(&sh->cmd, on_ignored_reply, sh, argc, argv, lens);
}

int redis_eval(struct rshard *sh, enum rscript s, int nkeys, const char **keys,
               const size_t *keylens, int nargs, const char **args, const size_t *arglens,
               rconn_reply_cb *cb, void *arg)
{
    const char *argv[16];
    size_t lens[16];
    char nk[16];
    if (3 + nkeys + nargs > 16)
        return -1;
    snprintf(nk, sizeof(nk), "%d", nkeys);
    argv[0] = "EVALSHA";
    lens[0] = 7;
    argv[1] = sh->e->sha[s];
    lens[1] = 40;
    argv[2] = nk;
    lens[2] = strlen(nk);
    int n = 3;
    for (int i = 0; i < nkeys; i++, n++) {
        argv[n] = keys[i];
        lens[n] = keylens[i];
    }
    for (int i = 0; i < nargs; i++, n++) {
        argv[n] = args[i];
        lens[n] = arglens[i];
    }
    return rconn_command(&sh->cmd, cb ? cb : on_ignored_reply, cb ? arg : sh, n, argv, lens);
}

static void load_scripts(struct rshard *sh)
{
    for (int i = 0; i < RSCRIPT_COUNT; i++) {
        const char *argv[3] = {"SCRIPT", "LOAD", redis_scripts[i].src};
        size_t lens[3] = {6, 4, strlen(redis_scripts[i].src)};
        rconn_command(&sh->cmd, on_ignored_reply, sh, 3, argv, lens);
    }
}

static void emit_gap(struct redis_engine *e, struct rchan *c)
{
    if (e->base.ev.on_gap)
        e->base.ev.on_gap(e->base.ev.arg, (struct span){(const uint8_t *)c->name, c->len});
}

static void run_waiters(struct rchan *c)
{
    struct hist_call *w = NULL;
    while (c->waiters) { /* parked newest first: send them in arrival order */
        struct hist_call *h = c->waiters;
        c->waiters = h->next;
        h->next = w;
        w = h;
    }
    while (w) {
        struct hist_call *next = w->next;
        if (redis_hist_send(w) != 0)
            redis_hist_fail(w, ENGINE_ETEMP);
        w = next;
    }
}

static void on_confirm(struct rshard *sh, const char *name, size_t len, bool subscribed)
{
    struct redis_engine *e = sh->e;
    if (len < e->client_prefix_len || memcmp(name, e->client_prefix, e->client_prefix_len) != 0)
        return; /* the control or node channel */
    struct span ch = {(const uint8_t *)name + e->client_prefix_len, len - e->client_prefix_len};
    if (subscribed) { /* every SUBSCRIBE we sent is confirmed once, whatever we want now */
        if (sh->sub_unconfirmed)
            sh->sub_unconfirmed--;
        sh->sub_progress_ms = (int64_t)uv_now(e->loop);
    }
    struct rchan *c = redis_chan_find(sh, ch);
    if (!c)
        return;
    if (!subscribed) {
        if (c->state == RCHAN_UNSUB_SENT) {
            c->state = RCHAN_NONE;
            if (!c->wanted)
                redis_chan_queue(sh, c);
        }
        return;
    }
    if (c->state != RCHAN_SUB_SENT)
        return;
    c->state = RCHAN_SUBSCRIBED;
    if (!c->wanted)
        return;
    if (c->lost) { /* publications may have gone by while we were not subscribed */
        c->lost = false;
        emit_gap(e, c);
    }
    run_waiters(c);
}

/* ---- messages from the pub/sub link ---- */

static void on_message(struct rshard *sh, const char *name, size_t len, const uint8_t *p,
                       size_t n)
{
    struct redis_engine *e = sh->e;
    if (len > e->client_prefix_len && !memcmp(name, e->client_prefix, e->client_prefix_len)) {
        struct span ch = {(const uint8_t *)name + e->client_prefix_len,
                          len - e->client_prefix_len};
        struct envelope env;
        if (envelope_decode(p, n, &env) != 0) {
            log_warn("redis", "shard %u: malformed message on %.*s dropped (%zu bytes)",
                     sh->index, (int)(len < 200 ? len : 200), name, n);
            return;
        }
        if (env.kind == ENVELOPE_PUB) {
            struct publication *pub = envelope_publication(&env, ch);
            if (!pub)
                return;
            e->base.ev.on_publication(e->base.ev.arg, pub);
            publication_unref(pub);
        } else {
            e->base.ev.on_join(e->base.ev.arg, ch, &env.info, env.kind == ENVELOPE_LEAVE);
        }
        return;
    }
    if (sh->index == 0 && len == strlen(e->control_chan) && !memcmp(name, e->control_chan, len)) {
        redis_nodes_on_message(e, p, n);
        return;
    }
    if (len == strlen(e->node_chan) && !memcmp(name, e->node_chan, len))
        sh->beats_unseen = 0;
}

static void on_sub_push(struct rconn *rc, redisReply *r)
{
    struct rshard *sh = rc->data;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3)
        return;
    redisReply *t = r->element[0], *name = r->element[1], *v = r->element[2];
    if (t->type != REDIS_REPLY_STRING || name->type != REDIS_REPLY_STRING)
        return;
    if (!strcmp(t->str, "message") && v->type == REDIS_REPLY_STRING)
        on_message(sh, name->str, name->len, (const uint8_t *)v->str, v->len);
    else if (!strcmp(t->str, "subscribe"))
        on_confirm(sh, name->str, name->len, true);
    else if (!strcmp(t->str, "unsubscribe"))
        on_confirm(sh, name->str, name->len, false);
}

static void sub_up(struct rshard *sh)
{
    struct redis_engine *e = sh->e;
    const char *argv[3] = {"SUBSCRIBE", e->node_chan, e->control_chan};
    size_t lens[3] = {9, strlen(e->node_chan), strlen(e->control_chan)};
    rconn_pubsub(&sh->sub, sh->index == 0 ? 3 : 2, argv, lens);
    sh->beats_unseen = 0;
    sh->sub_unconfirmed = 0;
    struct dict_iter it;
    dict_iter_init(&it, &sh->chans);
    for (struct dict_entry *de; (de = dict_next(&it));) {
        struct rchan *c = DICT_CONTAINER(de, struct rchan, de);
        if (c->wanted)
            redis_chan_queue(sh, c);
    }
    if (sh->index == 0)
        redis_nodes_announce(e);
}

/* The pub/sub link dropped: Redis forgot our subscriptions, and messages
 * published meanwhile are gone from the link (not from the streams). */
static void sub_down(struct rshard *sh)
{
    struct redis_engine *e = sh->e;
    struct hist_call *waiters = NULL;
    size_t n = 0, k = 0;
    struct rchan **gap = malloc(sizeof(*gap) * (sh->chans.count ? sh->chans.count : 1));
    struct dict_iter it;
    dict_iter_init(&it, &sh->chans);
    for (struct dict_entry *de; (de = dict_next(&it));) {
        struct rchan *c = DICT_CONTAINER(de, struct rchan, de);
        if (c->state == RCHAN_SUBSCRIBED)
            c->lost = true;
        c->state = RCHAN_NONE;
        while (c->waiters) {
            struct hist_call *w = c->waiters;
            c->waiters = w->next;
            w->next = waiters;
            waiters = w;
        }
        if (c->wanted && gap)
            gap[n++] = c;
        else if (!c->wanted)
            redis_chan_queue(sh, c);
    }
    sh->sub_unconfirmed = 0;
    while (waiters) {
        struct hist_call *w = waiters;
        waiters = w->next;
        redis_hist_fail(w, ENGINE_ETEMP);
    }
    /* rchans are freed only by the flush, so the pointers stay valid while
     * the gaps make clients unsubscribe (which only queues) */
    for (k = 0; k < n; k++)
        emit_gap(e, gap[k]);
    free(gap);
    if (n)
        log_info("redis", "shard %u: pub/sub link lost: %zu channels told to recover", sh->index,
                 n);
}

static void on_sub_state(struct rconn *rc, bool up)
{
    struct rshard *sh = rc->data;
    if (up)
        sub_up(sh);
    else
        sub_down(sh);
}

static void on_cmd_state(struct rconn *rc, bool up)
{
    struct rshard *sh = rc->data;
    if (!up)
        return;
    load_scripts(sh);
    redis_presence_shard_up(sh->e, sh->index, redis_now_ms(sh->e));
    if (sh->index == 0)
        redis_nodes_announce(sh->e);
}

static int r_available(struct engine *eng, struct span ch)
{
    struct rshard *sh = shard_for((struct redis_engine *)eng, ch);
    return rconn_ready(&sh->cmd) && rconn_ready(&sh->sub) ? 0 : ENGINE_ETEMP;
}

/* ---- periodic work ---- */

static void on_beat(void *arg, redisReply *r)
{
    struct rshard *sh = arg;
    if (!r || r->type != REDIS_REPLY_INTEGER || !rconn_ready(&sh->sub))
        return;
    if (r->integer == 0) {
        /* Redis says nobody listens on our node channel: our link is dead */
        if ((int64_t)uv_now(sh->e->loop) - sh->sub.ready_ms > 2000)
            rconn_reset(&sh->sub, "not subscribed any more");
    } else if (++sh->beats_unseen > REDIS_BEATS_MISSED_MAX) {
        rconn_reset(&sh->sub, "heartbeats not delivered");
    }
}

static void r_sweep(struct engine *eng, int64_t now)
{
    struct redis_engine *e = (struct redis_engine *)eng;
    int64_t mono = (int64_t)uv_now(e->loop);
    for (uint32_t i = 0; i < e->nshards; i++) {
        struct rshard *sh = &e->shards[i];
        rconn_check(&sh->cmd);
        rconn_check(&sh->sub);
        if (sh->sub_unconfirmed && rconn_ready(&sh->sub) &&
            mono - sh->sub_progress_ms > (int64_t)e->base.cfg->redis_command_timeout_ms)
            rconn_reset(&sh->sub, "SUBSCRIBE not confirmed");
        if (mono >= sh->next_beat_ms && rconn_ready(&sh->cmd) && rconn_ready(&sh->sub)) {
            sh->next_beat_ms = mono + REDIS_BEAT_MS;
            const char *argv[3] = {"PUBLISH", e->node_chan, ""};
            size_t lens[3] = {7, strlen(e->node_chan), 0};
            rconn_command(&sh->cmd, on_beat, sh, 3, argv, lens);
        }
    }
    redis_nodes_sweep(e, now);
}

static void r_store_sweep(struct store *st, int64_t now)
{
    redis_presence_sweep(redis_of_store(st), now);
    redis_records_sweep(redis_of_store(st), now);
}

static const struct store_ops redis_store_ops = {
    .history = redis_history,
    .history_remove = redis_history_remove,
    .presence_add = redis_presence_add,
    .presence_remove = redis_presence_remove,
    .presence_get = redis_presence_get,
    .presence_stats = redis_presence_stats,
    .record_put = redis_record_put,
    .record_get = redis_record_get,
    .record_del = redis_record_del,
    .record_scan = redis_record_scan,
    .record_incr = redis_record_incr,
    .sweep = r_store_sweep,
    .destroy = NULL, /* freed with the engine (r_destroy) */
};

/* ---- lifecycle ---- */

static void r_shutdown(struct engine *eng)
{
    struct redis_engine *e = (struct redis_engine *)eng;
    if (e->closing)
        return;
    redis_nodes_bye(e);
    e->closing = true;
    for (uint32_t i = 0; i < e->nshards; i++) {
        struct rshard *sh = &e->shards[i];
        struct dict_iter it;
        dict_iter_init(&it, &sh->chans);
        for (struct dict_entry *de; (de = dict_next(&it));) {
            struct rchan *c = DICT_CONTAINER(de, struct rchan, de);
            while (c->waiters) {
                struct hist_call *w = c->waiters;
                c->waiters = w->next;
                redis_hist_fail(w, ENGINE_ETEMP);
            }
        }
    }
    for (uint32_t i = 0; i < e->nshards; i++) {
        rconn_close(&e->shards[i].cmd);
        rconn_close(&e->shards[i].sub);
    }
    if (e->flush_active)
        uv_prepare_stop(&e->flush);
    e->flush_active = false;
    if (!uv_is_closing((uv_handle_t *)&e->flush))
        uv_close((uv_handle_t *)&e->flush, NULL);
}

static void r_destroy(struct engine *eng)
{
    struct redis_engine *e = (struct redis_engine *)eng;
    for (uint32_t i = 0; i < e->nshards; i++) {
        struct rshard *sh = &e->shards[i];
        struct dict_iter it;
        dict_iter_init(&it, &sh->chans);
        for (struct dict_entry *de; (de = dict_next(&it));)
            free(DICT_CONTAINER(de, struct rchan, de));
        dict_free(&sh->chans);
        rconn_free(&sh->cmd);
        rconn_free(&sh->sub);
        redis_addr_free(&sh->addr);
    }
    free(e->shards);
    redis_presence_free(e);
    redis_nodes_free(e);
    wbuf_free(&e->scratch);
    free(e);
}

static const struct engine_ops redis_ops = {
    .publish = redis_publish,
    .publish_join = redis_publish_join,
    .subscribe = redis_subscribe,
    .unsubscribe = redis_unsubscribe,
    .sweep = r_sweep,
    .destroy = r_destroy,
    .available = r_available,
    .control = redis_control,
    .nodes = redis_nodes,
    .shutdown = r_shutdown,
};

struct engine *engine_redis_new(const struct config *cfg, const struct engine_events *ev,
                                struct uv_loop_s *loop, const char *node_uid,
                                const struct clock *clk, struct store **store)
{
    if (!cfg->nredis_urls)
        return NULL;
    struct redis_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->base.ops = &redis_ops;
    e->base.ev = *ev;
    e->base.cfg = cfg;
    e->store.ops = &redis_store_ops;
    e->store.cfg = cfg;
    e->loop = loop;
    e->clock = clk;
    snprintf(e->uid, sizeof(e->uid), "%s", node_uid);
    snprintf(e->prefix, sizeof(e->prefix), "%s", cfg->redis_prefix);
    for (int i = 0; i < RSCRIPT_COUNT; i++)
        redis_script_sha1(redis_scripts[i].src, e->sha[i]);
    wbuf_init(&e->scratch);
    dict_init(&e->pres);
    dict_init(&e->nodes);
    e->pres_interval_ms = (int64_t)cfg->redis_presence_ttl * 1000 / 3;
    if (e->pres_interval_ms < 1000)
        e->pres_interval_ms = 1000;
    e->client_prefix_len = redis_key(e, e->client_prefix, "client", (struct span){NULL, 0});
    snprintf(e->control_chan, sizeof(e->control_chan), "%s.control", e->prefix);
    snprintf(e->node_chan, sizeof(e->node_chan), "%s.node.%s", e->prefix, e->uid);
    e->shards = calloc(cfg->nredis_urls, sizeof(*e->shards));
    if (!e->shards) {
        free(e);
        return NULL;
    }
    e->nshards = (uint32_t)cfg->nredis_urls;
    for (uint32_t i = 0; i < e->nshards; i++) {
        char err[256];
        if (redis_addr_parse(cfg->redis_urls[i], &e->shards[i].addr, err, sizeof(err)) != 0) {
            log_error("redis", "%s", err);
            for (uint32_t j = 0; j < i; j++)
                redis_addr_free(&e->shards[j].addr);
            free(e->shards);
            free(e);
            return NULL;
        }
    }
    /* nothing can fail from here on: the handles belong to the loop now */
    uv_prepare_init(loop, &e->flush);
    e->flush.data = e;
    for (uint32_t i = 0; i < e->nshards; i++) {
        struct rshard *sh = &e->shards[i];
        char name[48];
        sh->e = e;
        sh->index = i;
        dict_init(&sh->chans);
        snprintf(name, sizeof(name), "redis shard %u cmd", i);
        rconn_init(&sh->cmd, loop, &sh->addr, name, false, cfg->redis_connect_timeout_ms,
                   cfg->redis_command_timeout_ms);
        snprintf(name, sizeof(name), "redis shard %u pub/sub", i);
        rconn_init(&sh->sub, loop, &sh->addr, name, true, cfg->redis_connect_timeout_ms,
                   cfg->redis_command_timeout_ms);
        sh->cmd.data = sh->sub.data = sh;
        sh->cmd.on_state = on_cmd_state;
        sh->sub.on_state = on_sub_state;
        sh->sub.on_push = on_sub_push;
    }
    for (uint32_t i = 0; i < e->nshards; i++) {
        log_info("redis", "shard %u: %s:%d", i, e->shards[i].addr.host, e->shards[i].addr.port);
        rconn_start(&e->shards[i].cmd);
        rconn_start(&e->shards[i].sub);
    }
    *store = &e->store;
    return &e->base;
}
