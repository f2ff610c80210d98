/* rooms/records.c — records.h: kinds in a dict, each an omap of key ->
 * struct rval. A kind keeps a count of its records that carry an expiry so
 * the sweep walks only kinds that can expire. */
#include "rooms/records.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rooms/engine.h"
#include "util/omap.h"

struct rval {
    int64_t expire_ms;  /* 0 = never */
    uint32_t vlen;
    uint8_t v[];
};

struct rkind {
    struct dict_entry de;   /* key = name */
    struct omap map;        /* key -> struct rval (owned) */
    size_t nexpiring;       /* records with expire_ms != 0 */
    size_t name_len;
    char name[];
};

void records_init(struct records *rs)
{
    memset(rs, 0, sizeof(*rs));
    dict_init(&rs->kinds);
}

void records_free(struct records *rs)
{
    struct dict_iter it;
    dict_iter_init(&it, &rs->kinds);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        struct rkind *k = DICT_CONTAINER(e, struct rkind, de);
        omap_free(&k->map, free);
        free(k);
    }
    dict_free(&rs->kinds);
    memset(rs, 0, sizeof(*rs));
}

int records_check(struct span kind, struct span key, size_t vlen)
{
    if (kind.n == 0 || kind.n > RECORD_KIND_MAX || key.n == 0 || key.n > RECORD_KEY_MAX ||
        vlen > RECORD_VALUE_MAX)
        return -EINVAL;
    for (size_t i = 0; i < kind.n; i++) {
        uint8_t c = kind.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            return -EINVAL;
    }
    return 0;
}

static struct rkind *kind_find(struct records *rs, struct span kind)
{
    struct dict_entry *e = dict_find(&rs->kinds, kind.p, kind.n);
    return e ? DICT_CONTAINER(e, struct rkind, de) : NULL;
}

static struct rkind *kind_get(struct records *rs, struct span kind)
{
    struct rkind *k = kind_find(rs, kind);
    if (k)
        return k;
    k = calloc(1, sizeof(*k) + kind.n + 1);
    if (!k)
        return NULL;
    memcpy(k->name, kind.p, kind.n);
    k->name_len = kind.n;
    k->de.key = k->name;
    k->de.klen = kind.n;
    if (omap_init(&k->map) != 0 || dict_insert(&rs->kinds, &k->de) != 0) {
        omap_free(&k->map, NULL);
        free(k);
        return NULL;
    }
    return k;
}

static struct span kind_span(const struct rkind *k)
{
    return (struct span){(const uint8_t *)k->name, k->name_len};
}

static bool live(const struct rval *v, int64_t now)
{
    return v->expire_ms == 0 || v->expire_ms > now;
}

static struct record rec_of(const struct omap_node *n)
{
    const struct rval *v = n->val;
    return (struct record){.key = {omap_key(n), n->klen},
                           .value = {v->v, v->vlen},
                           .expire_ms = v->expire_ms};
}

static void node_remove(struct records *rs, struct rkind *k, struct omap_node *n, bool notify)
{
    struct rval *v = n->val;
    if (v->expire_ms)
        k->nexpiring--;
    rs->count--;
    if (notify && rs->obs.on_del)
        rs->obs.on_del(rs->obs.ctx, kind_span(k), (struct span){omap_key(n), n->klen});
    omap_del_node(&k->map, n);
    free(v);
}

/* The live node for key, dropping an expired one on the way. */
static struct omap_node *live_node(struct records *rs, struct rkind *k, struct span key,
                                   int64_t now)
{
    struct omap_node *n = omap_get(&k->map, key.p, key.n);
    if (n && !live(n->val, now)) {
        node_remove(rs, k, n, true);
        n = NULL;
    }
    return n;
}

/* Stores value bytes for key in kind (replacing any record). */
static int set(struct records *rs, struct rkind *k, struct span key, struct span value,
               int64_t expire_ms, bool notify)
{
    struct rval *v = malloc(sizeof(*v) + value.n);
    if (!v)
        return ENGINE_ENOMEM;
    v->expire_ms = expire_ms;
    v->vlen = (uint32_t)value.n;
    if (value.n)
        memcpy(v->v, value.p, value.n);
    void *old = NULL;
    if (omap_put(&k->map, key.p, key.n, v, &old) != 0) {
        free(v);
        return ENGINE_ENOMEM;
    }
    if (old) {
        if (((struct rval *)old)->expire_ms)
            k->nexpiring--;
        free(old);
    } else {
        rs->count++;
    }
    if (expire_ms)
        k->nexpiring++;
    if (notify && rs->obs.on_put) {
        struct record r = {.key = key, .value = value, .expire_ms = expire_ms};
        rs->obs.on_put(rs->obs.ctx, kind_span(k), &r);
    }
    return 0;
}

int records_put(struct records *rs, struct span kind, const struct record *r, unsigned flags,
                int64_t now_ms, store_records_cb *cb, void *arg)
{
    int err = records_check(kind, r->key, r->value.n);
    if (err)
        return err;
    struct rkind *k = kind_get(rs, kind);
    if (!k)
        return ENGINE_ENOMEM;
    if (flags & RECORD_NX) {
        struct omap_node *n = live_node(rs, k, r->key, now_ms);
        if (n) {
            struct record old = rec_of(n);
            if (cb)
                cb(arg, 0, &old, 1);
            return 0;
        }
    }
    err = set(rs, k, r->key, r->value, r->expire_ms, true);
    if (err)
        return err;
    if (cb)
        cb(arg, 0, NULL, 0);
    return 0;
}

int records_get(struct records *rs, struct span kind, struct span key, int64_t now_ms,
                store_records_cb *cb, void *arg)
{
    int err = records_check(kind, key, 0);
    if (err)
        return err;
    struct rkind *k = kind_find(rs, kind);
    struct omap_node *n = k ? live_node(rs, k, key, now_ms) : NULL;
    if (n) {
        struct record r = rec_of(n);
        cb(arg, 0, &r, 1);
    } else {
        cb(arg, 0, NULL, 0);
    }
    return 0;
}

int records_del(struct records *rs, struct span kind, struct span key, int64_t now_ms,
                store_records_cb *cb, void *arg)
{
    int err = records_check(kind, key, 0);
    if (err)
        return err;
    struct rkind *k = kind_find(rs, kind);
    struct omap_node *n = k ? live_node(rs, k, key, now_ms) : NULL;
    if (!n) {
        if (cb)
            cb(arg, 0, NULL, 0);
        return 0;
    }
    /* The callback gets the removed record: copy it out before the node goes. */
    struct rval *v = n->val;
    size_t klen = n->klen;
    uint8_t *copy = malloc(klen + v->vlen + 1);
    if (!copy)
        return ENGINE_ENOMEM;
    memcpy(copy, omap_key(n), klen);
    if (v->vlen)
        memcpy(copy + klen, v->v, v->vlen);
    struct record old = {.key = {copy, klen}, .value = {copy + klen, v->vlen},
                         .expire_ms = v->expire_ms};
    node_remove(rs, k, n, true);
    if (cb)
        cb(arg, 0, &old, 1);
    free(copy);
    return 0;
}

static bool has_prefix(const struct omap_node *n, struct span prefix)
{
    return n->klen >= prefix.n && (prefix.n == 0 || memcmp(omap_key(n), prefix.p, prefix.n) == 0);
}

/* The first node of a scan: after q->after when set, else the start of the
 * prefix range in the scan's direction. */
static struct omap_node *scan_start(const struct omap *m, const struct record_scan *q)
{
    if (!q->reverse) {
        if (q->after.n) {
            struct omap_node *n = omap_seek_ge(m, q->after.p, q->after.n);
            if (n && omap_cmp(omap_key(n), n->klen, q->after.p, q->after.n) == 0)
                n = omap_next(n);
            if (n && q->prefix.n && omap_cmp(omap_key(n), n->klen, q->prefix.p, q->prefix.n) < 0)
                n = omap_seek_ge(m, q->prefix.p, q->prefix.n);
            return n;
        }
        return q->prefix.n ? omap_seek_ge(m, q->prefix.p, q->prefix.n) : omap_first(m);
    }
    /* The last key with the prefix sorts just below the prefix's
     * successor (the prefix without its trailing 0xff bytes, last byte + 1). */
    struct omap_node *hi = omap_last(m);
    if (q->prefix.n) {
        uint8_t succ[RECORD_KEY_MAX];
        size_t sn = q->prefix.n;
        memcpy(succ, q->prefix.p, sn);
        while (sn && succ[sn - 1] == 0xff)
            sn--;
        if (sn) {
            succ[sn - 1]++;
            struct omap_node *ge = omap_seek_ge(m, succ, sn);
            hi = ge ? omap_prev(ge) : omap_last(m);
        }
    }
    if (q->after.n && hi && omap_cmp(q->after.p, q->after.n, omap_key(hi), hi->klen) <= 0) {
        struct omap_node *n = omap_seek_le(m, q->after.p, q->after.n);
        if (n && omap_cmp(omap_key(n), n->klen, q->after.p, q->after.n) == 0)
            n = omap_prev(n);
        return n;
    }
    return hi;
}

int records_scan(struct records *rs, struct span kind, const struct record_scan *q,
                 int64_t now_ms, store_records_cb *cb, void *arg)
{
    int err = records_check(kind, (struct span){(const uint8_t *)"k", 1}, 0);
    if (err || q->prefix.n > RECORD_KEY_MAX || q->after.n > RECORD_KEY_MAX)
        return -EINVAL;
    uint32_t limit = q->limit && q->limit < RECORD_SCAN_MAX ? q->limit : RECORD_SCAN_MAX;
    struct rkind *k = kind_find(rs, kind);
    size_t n = 0;
    /* One array per scan, not a shared scratch: a callback may start
     * another scan (the store answers at once), which must not overwrite
     * the records it is still reading. */
    struct record *out = NULL;
    if (k && k->map.count) {
        size_t cap = k->map.count < limit ? k->map.count : limit;
        out = malloc(sizeof(*out) * cap);
        if (!out)
            return ENGINE_ENOMEM;
        /* Expired records are skipped here and left for the sweep: removing
         * them mid-walk would free nodes the array points into. */
        for (struct omap_node *it = scan_start(&k->map, q); it && n < cap;
             it = q->reverse ? omap_prev(it) : omap_next(it)) {
            if (!has_prefix(it, q->prefix))
                break;
            if (live(it->val, now_ms))
                out[n++] = rec_of(it);
        }
    }
    cb(arg, 0, n ? out : NULL, n);
    free(out);
    return 0;
}

int records_incr(struct records *rs, struct span kind, struct span key, int64_t delta,
                 int64_t expire_ms, int64_t now_ms, store_records_cb *cb, void *arg)
{
    int err = records_check(kind, key, 0);
    if (err)
        return err;
    struct rkind *k = kind_get(rs, kind);
    if (!k)
        return ENGINE_ENOMEM;
    struct omap_node *n = live_node(rs, k, key, now_ms);
    int64_t cur = 0;
    if (n) {
        const struct rval *v = n->val;
        char buf[24];
        if (v->vlen > 0 && v->vlen < sizeof(buf)) {
            memcpy(buf, v->v, v->vlen);
            buf[v->vlen] = 0;
            char *end;
            long long x = strtoll(buf, &end, 10);
            if (*end == 0)
                cur = x;
        }
    }
    int64_t next;
    if (__builtin_add_overflow(cur, delta, &next))
        return -EINVAL;
    if (next == 0) {
        if (n)
            node_remove(rs, k, n, true);
        if (cb)
            cb(arg, 0, NULL, 0);
        return 0;
    }
    char out[24];
    int len = snprintf(out, sizeof(out), "%" PRId64, next);
    struct span val = {(const uint8_t *)out, (size_t)len};
    err = set(rs, k, key, val, expire_ms, true);
    if (err)
        return err;
    if (cb) {
        struct record r = {.key = key, .value = val, .expire_ms = expire_ms};
        cb(arg, 0, &r, 1);
    }
    return 0;
}

void records_sweep(struct records *rs, int64_t now_ms)
{
    struct dict_iter it;
    dict_iter_init(&it, &rs->kinds);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        struct rkind *k = DICT_CONTAINER(e, struct rkind, de);
        if (!k->nexpiring)
            continue;
        for (struct omap_node *n = omap_first(&k->map), *next; n; n = next) {
            next = omap_next(n);
            if (!live(n->val, now_ms))
                node_remove(rs, k, n, true);
        }
    }
}

int records_load(struct records *rs, struct span kind, const struct record *r)
{
    int err = records_check(kind, r->key, r->value.n);
    if (err)
        return err;
    struct rkind *k = kind_get(rs, kind);
    if (!k)
        return ENGINE_ENOMEM;
    return set(rs, k, r->key, r->value, r->expire_ms, false);
}
