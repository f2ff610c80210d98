/* rooms/redis_subs.c — the channels this node wants from each shard of the
 * Redis engine: the per-shard channel entries (struct rchan, owned by the
 * shard's dict), and their SUBSCRIBE/UNSUBSCRIBE, queued and sent in batches
 * once per loop turn (see redis_engine.h; confirmations arrive in
 * engine_redis.c). */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "rooms/redis_engine.h"

/* ---- channels this node wants: batched SUBSCRIBE / UNSUBSCRIBE ---- */

struct rchan *redis_chan_find(struct rshard *sh, struct span ch)
{
    struct dict_entry *de = dict_find(&sh->chans, ch.p, ch.n);
    return de ? DICT_CONTAINER(de, struct rchan, de) : NULL;
}

static void on_flush(uv_prepare_t *h);

void redis_chan_queue(struct rshard *sh, struct rchan *c)
{
    struct redis_engine *e = sh->e;
    if (!c->queued) {
        c->queued = true;
        c->next_q = sh->queue;
        sh->queue = c;
    }
    if (!e->flush_active && !e->closing) {
        uv_prepare_start(&e->flush, on_flush);
        e->flush_active = true;
    }
}

static void chan_free(struct rshard *sh, struct rchan *c)
{
    dict_remove(&sh->chans, &c->de);
    free(c);
}

/* Sends SUBSCRIBE or UNSUBSCRIBE for n channels in batches. */
static void send_batch(struct rshard *sh, bool subscribe, struct rchan **list, size_t n)
{
    struct redis_engine *e = sh->e;
    for (size_t at = 0; at < n; at += REDIS_SUB_BATCH) {
        size_t k = n - at < REDIS_SUB_BATCH ? n - at : REDIS_SUB_BATCH;
        const char **argv = malloc(sizeof(*argv) * (k + 1));
        size_t *lens = malloc(sizeof(*lens) * (k + 1));
        size_t total = 0;
        for (size_t i = 0; i < k; i++)
            total += e->client_prefix_len + list[at + i]->len;
        char *names = malloc(total ? total : 1);
        if (!argv || !lens || !names) {
            free(argv);
            free(lens);
            free(names);
            rconn_reset(&sh->sub, "out of memory"); /* resubscribes everything later */
            return;
        }
        argv[0] = subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE";
        lens[0] = strlen(argv[0]);
        char *w = names;
        for (size_t i = 0; i < k; i++) {
            struct rchan *c = list[at + i];
            memcpy(w, e->client_prefix, e->client_prefix_len);
            memcpy(w + e->client_prefix_len, c->name, c->len);
            argv[1 + i] = w;
            lens[1 + i] = e->client_prefix_len + c->len;
            w += lens[1 + i];
        }
        rconn_pubsub(&sh->sub, (int)k + 1, argv, lens);
        free(argv);
        free(lens);
        free(names);
    }
}

static void flush_shard(struct rshard *sh)
{
    struct rchan *q = sh->queue;
    sh->queue = NULL;
    size_t count = 0;
    for (struct rchan *c = q; c; c = c->next_q)
        count++;
    struct rchan **subs = malloc(sizeof(*subs) * (count ? count : 1));
    struct rchan **unsubs = malloc(sizeof(*unsubs) * (count ? count : 1));
    size_t ns = 0, nu = 0;
    bool up = rconn_ready(&sh->sub) && subs && unsubs;
    while (q) {
        struct rchan *c = q;
        q = q->next_q;
        c->queued = false;
        if (c->wanted) {
            if (up && (c->state == RCHAN_NONE || c->state == RCHAN_UNSUB_SENT)) {
                c->state = RCHAN_SUB_SENT;
                subs[ns++] = c;
            }
        } else if (up && (c->state == RCHAN_SUBSCRIBED || c->state == RCHAN_SUB_SENT)) {
            c->state = RCHAN_UNSUB_SENT;
            unsubs[nu++] = c;
        } else if (c->state == RCHAN_NONE && !c->waiters) {
            chan_free(sh, c);
        }
    }
    if (ns) {
        if (!sh->sub_unconfirmed)
            sh->sub_progress_ms = (int64_t)uv_now(sh->e->loop);
        sh->sub_unconfirmed += (uint32_t)ns;
        send_batch(sh, true, subs, ns);
    }
    if (nu)
        send_batch(sh, false, unsubs, nu);
    free(subs);
    free(unsubs);
    if (!up && !(subs && unsubs))
        log_error("redis", "shard %u: out of memory flushing subscriptions", sh->index);
}

static void on_flush(uv_prepare_t *h)
{
    struct redis_engine *e = h->data;
    uv_prepare_stop(h);
    e->flush_active = false;
    for (uint32_t i = 0; i < e->nshards; i++)
        if (e->shards[i].queue)
            flush_shard(&e->shards[i]);
}

int redis_subscribe(struct engine *eng, struct span ch)
{
    struct redis_engine *e = (struct redis_engine *)eng;
    struct rshard *sh = shard_for(e, ch);
    struct rchan *c = redis_chan_find(sh, ch);
    if (!c) {
        c = calloc(1, sizeof(*c) + ch.n + 1);
        if (!c)
            return ENGINE_ENOMEM;
        memcpy(c->name, ch.p, ch.n);
        c->len = ch.n;
        c->de.key = c->name;
        c->de.klen = ch.n;
        if (dict_insert(&sh->chans, &c->de) != 0) {
            free(c);
            return ENGINE_ENOMEM;
        }
    }
    c->wanted = true;
    redis_chan_queue(sh, c);
    return 0;
}

int redis_unsubscribe(struct engine *eng, struct span ch)
{
    struct redis_engine *e = (struct redis_engine *)eng;
    struct rshard *sh = shard_for(e, ch);
    struct rchan *c = redis_chan_find(sh, ch);
    if (c) {
        c->wanted = false;
        redis_chan_queue(sh, c);
    }
    return 0;
}

