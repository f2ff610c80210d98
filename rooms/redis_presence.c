/* rooms/redis_presence.c — presence through Redis for the Redis engine:
 * per channel a hash (client id → ClientInfo) and a sorted set (client id →
 * expire-at, unix seconds), both with a TTL. Each node keeps a registry of
 * the entries it added (struct rpres, owned by the engine) and re-adds them
 * every presence_ttl/3 from the engine's periodic sweep — one shared list
 * ordered by due time, no per-connection timers — so the entries of a node
 * that dies expire on their own. A reader prunes expired entries first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "rooms/redis_engine.h"

#define E(st) redis_of_store(st)

static struct rpres *pres_find(struct redis_engine *e, struct span ch, struct span client,
                               char *key, size_t *klen)
{
    if (ch.n + 1 + client.n > REDIS_KEY_MAX)
        return NULL;
    memcpy(key, ch.p, ch.n);
    key[ch.n] = 0;
    memcpy(key + ch.n + 1, client.p, client.n);
    *klen = ch.n + 1 + client.n;
    struct dict_entry *de = dict_find(&e->pres, key, *klen);
    return de ? DICT_CONTAINER(de, struct rpres, de) : NULL;
}

static void list_unlink(struct redis_engine *e, struct rpres *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        e->pres_head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        e->pres_tail = p->prev;
    p->prev = p->next = NULL;
}

static void list_append(struct redis_engine *e, struct rpres *p)
{
    p->prev = e->pres_tail;
    p->next = NULL;
    if (e->pres_tail)
        e->pres_tail->next = p;
    else
        e->pres_head = p;
    e->pres_tail = p;
}

static void list_prepend(struct redis_engine *e, struct rpres *p)
{
    p->next = e->pres_head;
    p->prev = NULL;
    if (e->pres_head)
        e->pres_head->prev = p;
    else
        e->pres_tail = p;
    e->pres_head = p;
}

static int two_keys(struct redis_engine *e, struct span ch, char *data, char *exp, size_t *lens)
{
    lens[0] = redis_key(e, data, "presence.data", ch);
    lens[1] = redis_key(e, exp, "presence.expire", ch);
    return lens[0] && lens[1] ? 0 : -1;
}

/* Sends the entry's ZADD/HSET (fire and forget). */
static void pres_send(struct redis_engine *e, struct rpres *p, int64_t now)
{
    struct rshard *sh = &e->shards[p->shard];
    if (!rconn_ready(&sh->cmd))
        return; /* re-added when the connection is back (redis_presence_shard_up) */
    struct span ch = {p->mem, p->ch_len};
    char data[REDIS_KEY_MAX], exp[REDIS_KEY_MAX], ttl[16], at[24];
    size_t klens[2];
    if (two_keys(e, ch, data, exp, klens))
        return;
    uint32_t t = e->base.cfg->redis_presence_ttl;
    snprintf(ttl, sizeof(ttl), "%u", t);
    snprintf(at, sizeof(at), "%lld", (long long)(now / 1000 + t));
    const char *keys[2] = {data, exp};
    const char *args[4] = {ttl, at, (const char *)p->mem + p->ch_len + 1,
                           (const char *)p->mem + p->ch_len + 1 + p->client_len};
    size_t alens[4] = {strlen(ttl), strlen(at), p->client_len, p->info_len};
    redis_eval(sh, RSCRIPT_PRESENCE_ADD, 2, keys, klens, 4, args, alens, NULL, NULL);
}

int redis_presence_add(struct store *eng, struct span ch, const struct clientinfo *info)
{
    struct redis_engine *e = E(eng);
    char key[REDIS_KEY_MAX];
    size_t klen = 0; /* set by pres_find; gcc -O3 cannot see it (release build) */
    struct rpres *p = pres_find(e, ch, info->client, key, &klen);
    int64_t now = redis_now_ms(e);
    if (!p) {
        if (ch.n + 1 + info->client.n > REDIS_KEY_MAX)
            return ENGINE_ENOMEM;
        wbuf_reset(&e->scratch);
        envelope_put_info(&e->scratch, info);
        if (!wbuf_ok(&e->scratch))
            return ENGINE_ENOMEM;
        p = calloc(1, sizeof(*p) + klen + e->scratch.len);
        if (!p)
            return ENGINE_ENOMEM;
        memcpy(p->mem, key, klen);
        memcpy(p->mem + klen, wbuf_data(&e->scratch), e->scratch.len);
        p->ch_len = ch.n;
        p->client_len = info->client.n;
        p->info_len = e->scratch.len;
        p->shard = shard_of(ch.p, ch.n, e->nshards);
        p->de.key = (const char *)p->mem;
        p->de.klen = klen;
        if (dict_insert(&e->pres, &p->de) != 0) {
            free(p);
            return ENGINE_ENOMEM;
        }
    } else {
        list_unlink(e, p);
    }
    p->due_ms = now + e->pres_interval_ms;
    list_append(e, p);
    if (!rconn_ready(&e->shards[p->shard].cmd))
        return ENGINE_ETEMP;
    pres_send(e, p, now);
    return 0;
}

int redis_presence_remove(struct store *eng, struct span ch, struct span client)
{
    struct redis_engine *e = E(eng);
    char key[REDIS_KEY_MAX];
    size_t klen;
    struct rpres *p = pres_find(e, ch, client, key, &klen);
    if (p) {
        list_unlink(e, p);
        dict_remove(&e->pres, &p->de);
        free(p);
    }
    struct rshard *sh = shard_for(e, ch);
    char data[REDIS_KEY_MAX], exp[REDIS_KEY_MAX];
    size_t klens[2];
    if (!rconn_ready(&sh->cmd) || two_keys(e, ch, data, exp, klens))
        return ENGINE_ETEMP; /* the entry expires by itself */
    const char *keys[2] = {data, exp};
    const char *args[1] = {(const char *)client.p};
    size_t alens[1] = {client.n};
    return redis_eval(sh, RSCRIPT_PRESENCE_REM, 2, keys, klens, 1, args, alens, NULL, NULL)
               ? ENGINE_ETEMP
               : 0;
}

struct pres_call {
    struct rshard *sh;
    store_presence_cb *get_cb;   /* one of the two */
    store_stats_cb *stats_cb;
    void *arg;
};

static void pres_fail(struct pres_call *pc, int err)
{
    if (pc->get_cb)
        pc->get_cb(pc->arg, err, NULL, 0);
    else
        pc->stats_cb(pc->arg, err, 0, 0);
    free(pc);
}

static void on_presence(void *arg, redisReply *r)
{
    struct pres_call *pc = arg;
    if (redis_reply_failed(r) || r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
        redis_reply_check(pc->sh, r, "presence");
        pres_fail(pc, ENGINE_ETEMP);
        return;
    }
    size_t total = r->elements / 2, n = 0;
    struct clientinfo *ci = malloc(sizeof(*ci) * (total ? total : 1));
    if (!ci) {
        pres_fail(pc, ENGINE_ENOMEM);
        return;
    }
    for (size_t i = 0; i < total; i++) {
        redisReply *v = r->element[2 * i + 1];
        if (v->type != REDIS_REPLY_STRING ||
            envelope_decode_info((const uint8_t *)v->str, v->len, &ci[n]) != 0)
            continue; /* not ours, or damaged: skip it */
        n++;
    }
    if (pc->get_cb) {
        pc->get_cb(pc->arg, 0, ci, n);
    } else {
        /* distinct users: a throwaway dict keyed by the entries' user spans */
        struct dict seen;
        dict_init(&seen);
        struct dict_entry *keys = calloc(n ? n : 1, sizeof(*keys));
        uint32_t users = 0;
        for (size_t i = 0; keys && i < n; i++) {
            if (dict_find(&seen, ci[i].user.p, ci[i].user.n))
                continue;
            keys[users].key = (const char *)ci[i].user.p;
            keys[users].klen = ci[i].user.n;
            if (dict_insert(&seen, &keys[users]) == 0)
                users++;
        }
        dict_free(&seen);
        if (keys)
            pc->stats_cb(pc->arg, 0, (uint32_t)n, users);
        else
            pc->stats_cb(pc->arg, ENGINE_ENOMEM, 0, 0);
        free(keys);
    }
    free(ci);
    free(pc);
}

static int presence_read(struct redis_engine *e, struct span ch, struct pres_call *pc)
{
    struct rshard *sh = shard_for(e, ch);
    char data[REDIS_KEY_MAX], exp[REDIS_KEY_MAX], now[24];
    size_t klens[2];
    if (!rconn_ready(&sh->cmd) || two_keys(e, ch, data, exp, klens)) {
        free(pc);
        return ENGINE_ETEMP;
    }
    pc->sh = sh;
    snprintf(now, sizeof(now), "%lld", (long long)(redis_now_ms(e) / 1000));
    const char *keys[2] = {data, exp};
    const char *args[1] = {now};
    size_t alens[1] = {strlen(now)};
    if (redis_eval(sh, RSCRIPT_PRESENCE_GET, 2, keys, klens, 1, args, alens, on_presence, pc)) {
        free(pc);
        return ENGINE_ETEMP;
    }
    return 0;
}

int redis_presence_get(struct store *eng, struct span ch, store_presence_cb *cb, void *arg)
{
    struct pres_call *pc = calloc(1, sizeof(*pc));
    if (!pc)
        return ENGINE_ENOMEM;
    pc->get_cb = cb;
    pc->arg = arg;
    return presence_read(E(eng), ch, pc);
}

int redis_presence_stats(struct store *eng, struct span ch, store_stats_cb *cb, void *arg)
{
    struct pres_call *pc = calloc(1, sizeof(*pc));
    if (!pc)
        return ENGINE_ENOMEM;
    pc->stats_cb = cb;
    pc->arg = arg;
    return presence_read(E(eng), ch, pc);
}

void redis_presence_sweep(struct redis_engine *e, int64_t now)
{
    for (int n = 0; n < REDIS_PRESENCE_BURST && e->pres_head && e->pres_head->due_ms <= now; n++) {
        struct rpres *p = e->pres_head;
        list_unlink(e, p);
        p->due_ms = now + e->pres_interval_ms;
        list_append(e, p);
        pres_send(e, p, now);
    }
}

/* A command connection came (back): its Redis may have lost or expired our
 * entries, so they are all due now (the sweep sends them, in bursts). */
void redis_presence_shard_up(struct redis_engine *e, uint32_t shard, int64_t now)
{
    struct rpres *due_tail = NULL; /* collected through prev, in list order */
    for (struct rpres *p = e->pres_head, *next; p; p = next) {
        next = p->next;
        if (p->shard != shard)
            continue;
        list_unlink(e, p);
        p->due_ms = now;
        p->prev = due_tail;
        due_tail = p;
    }
    while (due_tail) { /* keep their order: prepend from the back */
        struct rpres *p = due_tail;
        due_tail = p->prev;
        list_prepend(e, p);
    }
}

void redis_presence_free(struct redis_engine *e)
{
    while (e->pres_head) {
        struct rpres *p = e->pres_head;
        list_unlink(e, p);
        free(p);
    }
    dict_free(&e->pres);
}
