/* rooms/records.h — the in-memory form of the store's records (store.h,
 * "Records"): one ordered map (util/omap.h) per kind, each value one
 * allocation with its expiry. Every op answers synchronously through the
 * store's callback shape, so the memory store's record ops are thin
 * wrappers; the durable store uses the same maps and journals each change
 * through the observer. Owns its kinds, keys and values. Loop thread only. */
#ifndef HEARTH_RECORDS_H
#define HEARTH_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "rooms/store.h"
#include "util/dict.h"

/* Told of every change (a put, an incr, a delete, an expiry), after it is
 * made and before the op's callback runs. Spans are borrowed for the call.
 * on_del covers deletes and expiries alike. */
struct records_observer {
    void (*on_put)(void *ctx, struct span kind, const struct record *r);
    void (*on_del)(void *ctx, struct span kind, struct span key);
    void *ctx;
};

struct records {
    struct dict kinds;              /* of struct rkind (records.c), owned */
    struct records_observer obs;    /* optional (on_put NULL = none) */
    size_t count;                   /* live + not yet swept records, all kinds */
};

void records_init(struct records *rs);
void records_free(struct records *rs);
/* -EINVAL when kind, key or a value of vlen bytes breaks store.h's limits. */
int records_check(struct span kind, struct span key, size_t vlen);

/* The store.h ops, answered at once (cb may be NULL where store.h allows).
 * now_ms decides what has expired. Return 0 (cb ran) or a negative error
 * (cb did not run). */
int records_put(struct records *rs, struct span kind, const struct record *r, unsigned flags,
                int64_t now_ms, store_records_cb *cb, void *arg);
int records_get(struct records *rs, struct span kind, struct span key, int64_t now_ms,
                store_records_cb *cb, void *arg);
int records_del(struct records *rs, struct span kind, struct span key, int64_t now_ms,
                store_records_cb *cb, void *arg);
int records_scan(struct records *rs, struct span kind, const struct record_scan *q,
                 int64_t now_ms, store_records_cb *cb, void *arg);
int records_incr(struct records *rs, struct span kind, struct span key, int64_t delta,
                 int64_t expire_ms, int64_t now_ms, store_records_cb *cb, void *arg);
/* Deletes every record whose expiry has passed (kinds without expiring
 * records are not walked). */
void records_sweep(struct records *rs, int64_t now_ms);

/* Loading (the durable store at start): sets a record as stored, telling
 * no observer. 0 or a negative error. */
int records_load(struct records *rs, struct span kind, const struct record *r);

#endif
