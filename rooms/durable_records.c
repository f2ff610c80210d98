/* rooms/durable_records.c — records (store.h) on the durable store: the
 * memory maps (rooms/records.h) stay the hot copy, their observer journals
 * every change (put, incr, delete, expiry) into the current batch, and a
 * mutation's answer waits for that batch's commit (a barrier). Owns each
 * waiting answer (a copy of the result record) until it is delivered.
 * Loop thread only. */
#include "rooms/durable_records.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

struct answer {
    store_records_cb *cb;       /* the caller's */
    void *arg;
    int err;
    size_t n;                   /* 0 or 1 */
    struct record r;            /* spans into mem */
    uint8_t *mem;               /* owned: key + value */
};

static void capture(void *arg, int err, const struct record *recs, size_t n)
{
    struct answer *a = arg;
    a->err = err;
    if (err || !n)
        return;
    uint8_t *mem = malloc(recs[0].key.n + recs[0].value.n + 1);
    if (!mem) {
        a->err = ENGINE_ENOMEM;
        return;
    }
    memcpy(mem, recs[0].key.p, recs[0].key.n);
    if (recs[0].value.n)
        memcpy(mem + recs[0].key.n, recs[0].value.p, recs[0].value.n);
    a->mem = mem;
    a->n = 1;
    a->r.key = (struct span){mem, recs[0].key.n};
    a->r.value = (struct span){mem + recs[0].key.n, recs[0].value.n};
    a->r.expire_ms = recs[0].expire_ms;
}

/* The batch holding the change is done: answer the caller. err != 0: the
 * change stays in memory and its journal entry is retried with the next
 * batch, but it is not on disk yet, so the caller hears error 100. */
static void deliver(void *arg, int err)
{
    struct answer *a = arg;
    if (err)
        a->cb(a->arg, err, NULL, 0);
    else
        a->cb(a->arg, a->err, a->n ? &a->r : NULL, a->n);
    free(a->mem);
    free(a);
}

/* After a records_* op ran with capture(a): defer the answer to the commit. */
static int defer(struct durable *d, struct answer *a, int rc)
{
    if (rc || !a->cb) {
        free(a->mem);
        free(a);
        return rc;
    }
    if (durable_barrier(d, deliver, a) != 0)
        deliver(a, ENGINE_ENOMEM);
    return 0;
}

static struct answer *answer_new(store_records_cb *cb, void *arg)
{
    struct answer *a = calloc(1, sizeof(*a));
    if (a) {
        a->cb = cb;
        a->arg = arg;
    }
    return a;
}

int durable_records_put(struct durable *d, struct records *rs, struct span kind,
                        const struct record *r, unsigned flags, int64_t now_ms,
                        store_records_cb *cb, void *arg)
{
    struct answer *a = answer_new(cb, arg);
    if (!a)
        return ENGINE_ENOMEM;
    return defer(d, a, records_put(rs, kind, r, flags, now_ms, capture, a));
}

int durable_records_del(struct durable *d, struct records *rs, struct span kind, struct span key,
                        int64_t now_ms, store_records_cb *cb, void *arg)
{
    struct answer *a = answer_new(cb, arg);
    if (!a)
        return ENGINE_ENOMEM;
    return defer(d, a, records_del(rs, kind, key, now_ms, capture, a));
}

int durable_records_incr(struct durable *d, struct records *rs, struct span kind, struct span key,
                         int64_t delta, int64_t expire_ms, int64_t now_ms, store_records_cb *cb,
                         void *arg)
{
    struct answer *a = answer_new(cb, arg);
    if (!a)
        return ENGINE_ENOMEM;
    return defer(d, a, records_incr(rs, kind, key, delta, expire_ms, now_ms, capture, a));
}

static void on_put(void *ctx, struct span kind, const struct record *r)
{
    if (durable_record_put(ctx, kind, r) != 0)
        log_error("durable", "out of memory: a record change is not journalled");
}

static void on_del(void *ctx, struct span kind, struct span key)
{
    if (durable_record_del(ctx, kind, key) != 0)
        log_error("durable", "out of memory: a record deletion is not journalled");
}

void durable_records_attach(struct durable *d, struct records *rs)
{
    rs->obs.on_put = on_put;
    rs->obs.on_del = on_del;
    rs->obs.ctx = d;
}
