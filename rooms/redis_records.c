/* rooms/redis_records.c — the store's records (store.h, "Records") for the
 * Redis engine: put, get, del, scan, incr and the expiry sweep, each one
 * Lua script (redis_scripts.c), so each op is atomic on its own. All
 * records of one kind live on the shard shard_of(kind) picks (the kind name
 * hashed as a channel name would be), so one script sees the whole kind
 * and a scan sees every key. Key layout and limits: docs/redis.md,
 * "Records".
 *
 * Ownership: each op in flight is one struct rec_call (owned by the command
 * in flight), holding a copy of its keys and arguments so a NOSCRIPT reply
 * (someone ran SCRIPT FLUSH) can load the scripts and send it once more.
 * What a callback gets points into the reply and lives for the callback
 * only. The node's clock decides what has expired (ARGV "now"), never
 * Redis's TIME. A shard that is not connected answers ENGINE_ETEMP at once
 * (the callback does not run); a connection lost with the op in flight
 * runs the callback once with ENGINE_ETEMP (redis_conn.c answers every
 * command exactly once, at shutdown too). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/omap.h"
#include "rooms/records.h"
#include "rooms/redis_engine.h"

#define REC_ARGS_MAX 10             /* keys + args of one script call */
#define REC_SCAN_EXAMINE 10000      /* keys one scan may look at (expired ones skipped) */
#define REC_SWEEP_BUDGET "1000"     /* expired records one sweep removes per shard */
#define REC_SWEEP_KINDS "16"        /* kinds one sweep visits per shard */
#define REC_NAME_MAX (REDIS_PREFIX_MAX + RECORD_KIND_MAX + 16)

enum rec_op { REC_PUT, REC_GET, REC_DEL, REC_SCAN, REC_INCR };

struct rec_call {
    struct redis_engine *e;        /* borrowed */
    uint32_t shard;
    enum rec_op op;
    enum rscript script;
    bool retried;                  /* sent again after NOSCRIPT */
    store_records_cb *cb;          /* may be NULL (put, del, incr) */
    void *arg;
    int64_t expire_ms;             /* incr: the expiry its record gets */
    int nkeys, nargs;
    const char *argv[REC_ARGS_MAX]; /* keys then args, pointing into mem */
    size_t lens[REC_ARGS_MAX];
    struct span key;               /* the record key (into mem), or empty for scan */
    uint8_t mem[];                 /* owned copy of every key and arg */
};

/* ---- building a call ---- */

/* The names of one kind's keys: P.rec.<kind>.keys|vals|exp, and the shard's
 * P.rec.due. kind is checked ([a-z0-9_.]), so the names are plain text. */
struct rec_names {
    char k[REC_NAME_MAX], v[REC_NAME_MAX], x[REC_NAME_MAX], due[REC_NAME_MAX];
};

static void names_of(const struct redis_engine *e, struct span kind, struct rec_names *nm)
{
    int n = (int)kind.n;
    const char *p = (const char *)kind.p;
    snprintf(nm->k, sizeof(nm->k), "%s.rec.%.*s.keys", e->prefix, n, p);
    snprintf(nm->v, sizeof(nm->v), "%s.rec.%.*s.vals", e->prefix, n, p);
    snprintf(nm->x, sizeof(nm->x), "%s.rec.%.*s.exp", e->prefix, n, p);
    snprintf(nm->due, sizeof(nm->due), "%s.rec.due", e->prefix);
}

/* A call answering cb(arg) with copies of n strings (the first nkeys are
 * keys). keyarg: the index of the record key among them (-1: none). NULL
 * on OOM. */
static struct rec_call *call_new(struct redis_engine *e, struct span kind, enum rec_op op,
                                 enum rscript s, int nkeys, int n, const char *const *v,
                                 const size_t *l, int keyarg, store_records_cb *cb, void *arg)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += l[i];
    struct rec_call *c = calloc(1, sizeof(*c) + total + 1);
    if (!c)
        return NULL;
    c->e = e;
    c->shard = shard_of(kind.p, kind.n, e->nshards);
    c->op = op;
    c->script = s;
    c->nkeys = nkeys;
    c->nargs = n - nkeys;
    c->cb = cb;
    c->arg = arg;
    uint8_t *p = c->mem;
    for (int i = 0; i < n; i++) {
        if (l[i])
            memcpy(p, v[i], l[i]);
        c->argv[i] = (const char *)p;
        c->lens[i] = l[i];
        if (i == keyarg)
            c->key = (struct span){p, l[i]};
        p += l[i];
    }
    return c;
}

static void on_reply(void *arg, redisReply *r);

static int call_send(struct rec_call *c)
{
    struct rshard *sh = &c->e->shards[c->shard];
    return redis_eval(sh, c->script, c->nkeys, c->argv, c->lens, c->nargs, c->argv + c->nkeys,
                      c->lens + c->nkeys, on_reply, c);
}

/* Sends c; on failure frees it. 0 or ENGINE_ETEMP (the callback will not run). */
static int call_start(struct rec_call *c)
{
    if (!c)
        return ENGINE_ENOMEM;
    if (call_send(c) != 0) {
        free(c);
        return ENGINE_ETEMP;
    }
    return 0;
}

/* ---- replies ---- */

/* An expiry as the script returns it: a sorted-set score's text ('0' =
 * none). Scores are doubles: exact below 2^53 ms; beyond, the nearest
 * double, clamped to int64. */
static int64_t parse_ms(const redisReply *r)
{
    char buf[64];
    size_t n = r->len < sizeof(buf) - 1 ? r->len : sizeof(buf) - 1;
    memcpy(buf, r->str, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (!errno && *end == 0)
        return v;
    double d = strtod(buf, &end);
    if (d != d)
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

static bool all_strings(const redisReply *r)
{
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return false;
    return true;
}

static struct span str_span(const redisReply *r)
{
    return (struct span){(const uint8_t *)r->str, r->len};
}

static void finish(struct rec_call *c, int err, const struct record *recs, size_t n)
{
    if (c->cb)
        c->cb(c->arg, err, recs, n);
    free(c);
}

/* A well-formed reply: {} or {value, exp} (put, get, del), {value} (incr),
 * {key, value, exp, ...} (scan). */
static void answer(struct rec_call *c, const redisReply *r)
{
    size_t ne = r->elements;
    if (c->op == REC_SCAN) {
        size_t n = ne / 3;
        struct record *recs = n ? malloc(sizeof(*recs) * n) : NULL;
        if (n && !recs) {
            finish(c, ENGINE_ENOMEM, NULL, 0);
            return;
        }
        for (size_t i = 0; i < n; i++)
            recs[i] = (struct record){str_span(r->element[3 * i]), str_span(r->element[3 * i + 1]),
                                      parse_ms(r->element[3 * i + 2])};
        finish(c, 0, recs, n);
        free(recs);
        return;
    }
    if (ne == 0) {
        finish(c, 0, NULL, 0);
        return;
    }
    struct record rec = {.key = c->key, .value = str_span(r->element[0])};
    rec.expire_ms = c->op == REC_INCR ? c->expire_ms : parse_ms(r->element[1]);
    finish(c, 0, &rec, 1);
}

static bool well_formed(const struct rec_call *c, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || !all_strings(r))
        return false;
    switch (c->op) {
    case REC_SCAN:
        return r->elements % 3 == 0;
    case REC_INCR:
        return r->elements <= 1;
    default:
        return r->elements == 0 || r->elements == 2;
    }
}

static void on_reply(void *arg, redisReply *r)
{
    struct rec_call *c = arg;
    struct rshard *sh = &c->e->shards[c->shard];
    if (!r) { /* the connection failed, timed out or closed */
        finish(c, ENGINE_ETEMP, NULL, 0);
        return;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        if (c->op == REC_INCR && !strncmp(r->str, "ERANGE", 6)) {
            finish(c, -EINVAL, NULL, 0); /* the counter would overflow int64 */
            return;
        }
        redis_reply_check(sh, r, "record"); /* logs; NOSCRIPT: loads the scripts again */
        /* the SCRIPT LOADs just queued run before a resend on this connection */
        if (!strncmp(r->str, "NOSCRIPT", 8) && !c->retried) {
            c->retried = true;
            if (call_send(c) == 0)
                return;
        }
        finish(c, ENGINE_ETEMP, NULL, 0);
        return;
    }
    if (!well_formed(c, r)) {
        log_warn("redis", "shard %u: record script: unexpected reply (type %d)", sh->index,
                 r->type);
        finish(c, ENGINE_ETEMP, NULL, 0);
        return;
    }
    answer(c, r);
}

/* ---- the store ops ---- */

/* Fails fast (no callback) when the kind's shard is not connected. */
static bool shard_up(struct redis_engine *e, struct span kind)
{
    return rconn_ready(&shard_for(e, kind)->cmd);
}

int redis_record_put(struct store *st, struct span kind, const struct record *r, unsigned flags,
                     store_records_cb *cb, void *arg)
{
    struct redis_engine *e = redis_of_store(st);
    int err = records_check(kind, r->key, r->value.n);
    if (err)
        return err;
    if (!shard_up(e, kind))
        return ENGINE_ETEMP;
    struct rec_names nm;
    char exp[24], now[24];
    names_of(e, kind, &nm);
    snprintf(exp, sizeof(exp), "%" PRId64, r->expire_ms);
    snprintf(now, sizeof(now), "%" PRId64, redis_now_ms(e));
    const char *nx = flags & RECORD_NX ? "1" : "0";
    const char *v[10] = {nm.k, nm.v, nm.x, nm.due, (const char *)r->key.p,
                         (const char *)r->value.p, exp, nx, now, (const char *)kind.p};
    size_t l[10] = {strlen(nm.k), strlen(nm.v), strlen(nm.x), strlen(nm.due), r->key.n,
                    r->value.n, strlen(exp), 1, strlen(now), kind.n};
    struct rec_call *c = call_new(e, kind, REC_PUT, RSCRIPT_REC_PUT, 4, 10, v, l, 4, cb, arg);
    return call_start(c);
}

/* get and del: the same arguments, different scripts */
static int key_op(struct store *st, struct span kind, struct span key, enum rec_op op,
                  enum rscript s, store_records_cb *cb, void *arg)
{
    struct redis_engine *e = redis_of_store(st);
    int err = records_check(kind, key, 0);
    if (err)
        return err;
    if (!shard_up(e, kind))
        return ENGINE_ETEMP;
    struct rec_names nm;
    char now[24];
    names_of(e, kind, &nm);
    snprintf(now, sizeof(now), "%" PRId64, redis_now_ms(e));
    const char *v[5] = {nm.k, nm.v, nm.x, (const char *)key.p, now};
    size_t l[5] = {strlen(nm.k), strlen(nm.v), strlen(nm.x), key.n, strlen(now)};
    struct rec_call *c = call_new(e, kind, op, s, 3, 5, v, l, 3, cb, arg);
    return call_start(c);
}

int redis_record_get(struct store *st, struct span kind, struct span key, store_records_cb *cb,
                     void *arg)
{
    if (!cb)
        return -EINVAL;
    return key_op(st, kind, key, REC_GET, RSCRIPT_REC_GET, cb, arg);
}

int redis_record_del(struct store *st, struct span kind, struct span key, store_records_cb *cb,
                     void *arg)
{
    return key_op(st, kind, key, REC_DEL, RSCRIPT_REC_DEL, cb, arg);
}

/* "(" or "[" then the key: a ZRANGEBYLEX bound into buf (1 + RECORD_KEY_MAX). */
static size_t lex_bound(char *buf, char open, struct span k)
{
    buf[0] = open;
    if (k.n)
        memcpy(buf + 1, k.p, k.n);
    return 1 + k.n;
}

/* The smallest key above every key starting with prefix: the prefix
 * without its trailing 0xff bytes, last byte + 1. 0 when there is none
 * (empty, or all 0xff). */
static size_t prefix_succ(struct span prefix, uint8_t *out)
{
    size_t n = prefix.n;
    if (n)
        memcpy(out, prefix.p, n);
    while (n && out[n - 1] == 0xff)
        n--;
    if (n)
        out[n - 1]++;
    return n;
}

int redis_record_scan(struct store *st, struct span kind, const struct record_scan *q,
                      store_records_cb *cb, void *arg)
{
    struct redis_engine *e = redis_of_store(st);
    if (!cb || records_check(kind, (struct span){(const uint8_t *)"k", 1}, 0) ||
        q->prefix.n > RECORD_KEY_MAX || q->after.n > RECORD_KEY_MAX)
        return -EINVAL;
    if (!shard_up(e, kind))
        return ENGINE_ETEMP;
    uint32_t limit = q->limit && q->limit < RECORD_SCAN_MAX ? q->limit : RECORD_SCAN_MAX;
    /* keys in range: start with prefix (if any) and lie strictly beyond after
     * (if any) in the scan's direction */
    uint8_t succ[RECORD_KEY_MAX];
    struct span hi = {succ, prefix_succ(q->prefix, succ)}; /* exclusive; n == 0: none */
    char first[RECORD_KEY_MAX + 1], last[RECORD_KEY_MAX + 1];
    size_t fl, ll;
    if (!q->reverse) {
        if (q->after.n &&
            (!q->prefix.n || omap_cmp(q->after.p, q->after.n, q->prefix.p, q->prefix.n) >= 0))
            fl = lex_bound(first, '(', q->after);
        else if (q->prefix.n)
            fl = lex_bound(first, '[', q->prefix);
        else
            fl = lex_bound(first, '-', (struct span){NULL, 0});
        ll = hi.n ? lex_bound(last, '(', hi) : lex_bound(last, '+', (struct span){NULL, 0});
    } else {
        if (q->after.n && (!hi.n || omap_cmp(q->after.p, q->after.n, hi.p, hi.n) <= 0))
            fl = lex_bound(first, '(', q->after);
        else if (hi.n)
            fl = lex_bound(first, '(', hi);
        else
            fl = lex_bound(first, '+', (struct span){NULL, 0});
        ll = q->prefix.n ? lex_bound(last, '[', q->prefix)
                         : lex_bound(last, '-', (struct span){NULL, 0});
    }
    struct rec_names nm;
    char lim[16], now[24], budget[16];
    names_of(e, kind, &nm);
    snprintf(lim, sizeof(lim), "%" PRIu32, limit);
    snprintf(now, sizeof(now), "%" PRId64, redis_now_ms(e));
    snprintf(budget, sizeof(budget), "%d", REC_SCAN_EXAMINE);
    const char *v[9] = {nm.k, nm.v, nm.x, first, last, lim, q->reverse ? "1" : "0", now, budget};
    size_t l[9] = {strlen(nm.k), strlen(nm.v), strlen(nm.x), fl, ll, strlen(lim), 1,
                   strlen(now), strlen(budget)};
    struct rec_call *c = call_new(e, kind, REC_SCAN, RSCRIPT_REC_SCAN, 3, 9, v, l, -1, cb, arg);
    return call_start(c);
}

int redis_record_incr(struct store *st, struct span kind, struct span key, int64_t delta,
                      int64_t expire_ms, store_records_cb *cb, void *arg)
{
    struct redis_engine *e = redis_of_store(st);
    int err = records_check(kind, key, 0);
    if (err)
        return err;
    if (!shard_up(e, kind))
        return ENGINE_ETEMP;
    struct rec_names nm;
    char d[24], exp[24], now[24];
    names_of(e, kind, &nm);
    snprintf(d, sizeof(d), "%" PRId64, delta);
    snprintf(exp, sizeof(exp), "%" PRId64, expire_ms);
    snprintf(now, sizeof(now), "%" PRId64, redis_now_ms(e));
    const char *v[9] = {nm.k, nm.v, nm.x, nm.due, (const char *)key.p, d, exp, now,
                        (const char *)kind.p};
    size_t l[9] = {strlen(nm.k), strlen(nm.v), strlen(nm.x), strlen(nm.due), key.n,
                   strlen(d), strlen(exp), strlen(now), kind.n};
    struct rec_call *c = call_new(e, kind, REC_INCR, RSCRIPT_REC_INCR, 4, 9, v, l, 4, cb, arg);
    if (c)
        c->expire_ms = expire_ms;
    return call_start(c);
}

/* Every connected shard removes what has expired by now (fire and forget:
 * a sweep that fails is the next one's work). */
void redis_records_sweep(struct redis_engine *e, int64_t now_ms)
{
    char due[REC_NAME_MAX], base[REC_NAME_MAX], now[24];
    snprintf(due, sizeof(due), "%s.rec.due", e->prefix);
    snprintf(base, sizeof(base), "%s.rec.", e->prefix);
    snprintf(now, sizeof(now), "%" PRId64, now_ms);
    const char *keys[1] = {due};
    size_t klens[1] = {strlen(due)};
    const char *args[4] = {base, now, REC_SWEEP_BUDGET, REC_SWEEP_KINDS};
    size_t alens[4] = {strlen(base), strlen(now), strlen(REC_SWEEP_BUDGET),
                       strlen(REC_SWEEP_KINDS)};
    for (uint32_t i = 0; i < e->nshards; i++)
        if (rconn_ready(&e->shards[i].cmd))
            redis_eval(&e->shards[i], RSCRIPT_REC_SWEEP, 1, keys, klens, 4, args, alens, NULL,
                       NULL);
}
