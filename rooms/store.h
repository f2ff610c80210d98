/* rooms/store.h — the store boundary: a channel's stored state, as opposed to
 * its live fan-out between nodes (rooms/engine.h). It owns history reads
 * (offsets and epochs), history removal, presence (add/remove/get/stats),
 * expiry (sweep) and the count of channels it keeps state for.
 *
 * Where a publication is written: a publish that keeps history is ONE engine
 * operation (engine.h), because the Redis engine's Lua script assigns the
 * offset and PUBLISHes atomically, which keeps offsets ordered across nodes.
 * The store therefore has no append: it reads what the engine's publish
 * wrote. Both backends (memory, Redis) implement both interfaces with one
 * object (rooms/backend.h builds the pair from the config's engine kind).
 *
 * Records (community state: bans, mutes, pins, reactions, the moderation
 * queue, the audit log, later events, polls and KPIs) are keyed byte values
 * with an optional expiry, grouped by kind. A kind is a short name owned by
 * one community module ("ban", "mute", "pin", ...); keys within a kind are
 * ordered bytewise, so a module that wants "all pins of channel C" or "the
 * newest audit entries" shapes its keys to make that a prefix or range scan
 * (e.g. "C\x1f<offset padded>"). Values are opaque here (the community layer
 * writes JSON). Every op is atomic on its own; nothing spans two ops. A
 * record whose expire_ms has passed is never returned and is deleted by the
 * sweep. The memory store keeps records in one ordered map per kind
 * (rooms/records.h); the Redis store keeps them under its prefix, so every
 * node sees the same records; the durable store (memory + SQLite, issue 10)
 * keeps the memory map and writes each change through to disk, answering a
 * mutation only once it is durable.
 *
 * Calling convention (as engine.h): every op is asynchronous in shape; the
 * result arrives through a callback with a caller arg, possibly before the
 * op returns (the memory store always answers at once; the durable store
 * answers mutations after its commit; Redis after the reply). What a result
 * points to is borrowed for the duration of the callback; a callback may
 * start other ops (they may answer before returning) and what it was handed
 * stays valid, except a record that such an op itself changes or deletes.
 * Loop thread only.
 * Errors are the ENGINE_E* codes of engine.h (negative). */
#ifndef HEARTH_STORE_H
#define HEARTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "protocol/publication.h"

struct history_query {
    bool has_since;
    uint64_t since_offset;
    struct span since_epoch;   /* n == 0: any epoch */
    int32_t limit;             /* 0 = only the stream top, -1 = all (caller caps), N */
    bool reverse;
};

struct history_result {
    int err;
    uint64_t top;                        /* current top offset */
    const char *epoch;                   /* current epoch; "" (top 0): never published */
    struct publication *const *pubs;     /* borrowed; in the order asked for */
    size_t npubs;
};

typedef void store_history_cb(void *arg, const struct history_result *res);
typedef void store_presence_cb(void *arg, int err, const struct clientinfo *entries, size_t n);
typedef void store_stats_cb(void *arg, int err, uint32_t num_clients, uint32_t num_users);

/* ---- records ---- */

#define RECORD_KIND_MAX 32            /* bytes of a kind name: [a-z0-9_.]+ */
#define RECORD_KEY_MAX 512            /* bytes of a key (any bytes, non-empty) */
#define RECORD_VALUE_MAX (64u << 10)  /* bytes of a value */
#define RECORD_SCAN_MAX 1000          /* records one scan returns at most */

struct record {
    struct span key;
    struct span value;
    int64_t expire_ms;     /* unix ms after which it no longer exists; 0 = never */
};

/* put flags */
#define RECORD_NX 1u   /* only if no live record has this key: else nothing
                        * changes and the callback gets the existing one (n = 1) */

/* A range of one kind's keys, in byte order (reverse: descending).
 * prefix: only keys starting with it (n == 0: all). after: when set
 * (n > 0), only keys strictly after it in the scan's direction (paging).
 * limit: 1..RECORD_SCAN_MAX (0 = RECORD_SCAN_MAX). */
struct record_scan {
    struct span prefix;
    struct span after;
    uint32_t limit;
    bool reverse;
};

/* recs/n: put — the existing record when RECORD_NX refused (n = 1), else
 * n = 0; get — 0 or 1 record; del — the removed record (n = 1) or n = 0;
 * scan — the records in order; incr — one record, the counter's new value
 * (decimal ASCII), n = 0 when the counter reached 0 and was deleted. */
typedef void store_records_cb(void *arg, int err, const struct record *recs, size_t n);

struct store;

struct store_durable_stats;

struct store_ops {
    int (*history)(struct store *s, struct span channel, const struct ns_config *ns,
                   const struct history_query *q, store_history_cb *cb, void *arg);
    int (*history_remove)(struct store *s, struct span channel);
    int (*presence_add)(struct store *s, struct span channel, const struct clientinfo *info);
    int (*presence_remove)(struct store *s, struct span channel, struct span client_id);
    int (*presence_get)(struct store *s, struct span channel, store_presence_cb *cb, void *arg);
    int (*presence_stats)(struct store *s, struct span channel, store_stats_cb *cb, void *arg);
    /* Records (see above). kind: RECORD_KIND_MAX bytes of [a-z0-9_.]; a bad
     * kind, key or value size is -EINVAL before anything happens. cb may be
     * NULL for put, del and incr. A started op returns 0 and its cb runs
     * exactly once; a nonzero return means cb will not run. */
    int (*record_put)(struct store *s, struct span kind, const struct record *r, unsigned flags,
                      store_records_cb *cb, void *arg);
    int (*record_get)(struct store *s, struct span kind, struct span key, store_records_cb *cb,
                      void *arg);
    int (*record_del)(struct store *s, struct span kind, struct span key, store_records_cb *cb,
                      void *arg);
    int (*record_scan)(struct store *s, struct span kind, const struct record_scan *q,
                       store_records_cb *cb, void *arg);
    /* A counter: adds delta to the record's value read as a signed decimal
     * integer (absent or not a number = 0) and stores the result; a result
     * of 0 deletes the record. expire_ms (0 = never) is set on every call
     * that leaves the record in place. */
    int (*record_incr)(struct store *s, struct span kind, struct span key, int64_t delta,
                       int64_t expire_ms, store_records_cb *cb, void *arg);
    /* Expiry (history, presence refresh, records), called about once a second. */
    void (*sweep)(struct store *s, int64_t now_ms);
    /* Channels this store keeps state for on this node, for /metrics
     * (optional: NULL when the state lives elsewhere, as with Redis). */
    size_t (*channel_count)(struct store *s);
    /* Optional: 0 while the store takes writes, else ENGINE_ETEMP (the
     * durable store after a failed commit); /health answers 503 then. */
    int (*health)(struct store *s);
    /* Optional: 0 and *out filled when the store keeps a durable copy
     * (data_dir), else -1. */
    int (*durable_stats)(struct store *s, struct store_durable_stats *out);
    /* Frees the store. NULL when the store is part of its engine's object
     * (both backends today): the engine's destroy frees it. */
    void (*destroy)(struct store *s);
};

/* The durable copy's work, for /metrics (store_ops.durable_stats). */
struct store_durable_stats {
    uint64_t commits;           /* transactions committed */
    uint64_t changes;           /* publications, records and removals they held */
    uint64_t commit_failures;   /* transactions that failed (answered 100) */
    uint64_t checkpoints;       /* checkpoint rounds that copied the WAL into the database */
    uint64_t wal_restarts;      /* rounds that held commits off so the WAL could start over */
    uint32_t wal_frames;        /* frames in the WAL at the last checkpoint round */
};

struct store {
    const struct store_ops *ops;
    const struct config *cfg;   /* borrowed */
};

#endif
