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
 * Extension point (not built yet; keep callers unchanged):
 *  - community state (bans, mutes, pins, reactions, audit, the moderation
 *    queue) is keyed records with an expiry: add a small set of record ops
 *    here (put/get/delete/scan by (kind, key), each with an expire_at),
 *    callback-shaped like the ops below, and let sweep expire them. The
 *    memory backend keeps them in a dict per kind; Redis in keys under its
 *    prefix. Callers (node/ and above) only ever see struct store.
 *  - a durable single-node store (issue 10: memory engine + SQLite) is a
 *    second store object for the memory kind: it keeps the hot state (the
 *    history ring, presence) in memory as today and writes a durable copy;
 *    the memory engine's publish hands a kept publication to that store's
 *    ring (the backend constructor wires them), so the engine/store pair is
 *    still chosen by kind in rooms/backend.c and no caller changes. Its
 *    destroy op is then its own (not NULL).
 *
 * Calling convention (as engine.h): every op is asynchronous in shape; the
 * result arrives through a callback with a caller arg, possibly before the
 * op returns (the memory store always answers at once). What a result
 * points to is borrowed for the duration of the callback. Loop thread only.
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

struct store;

struct store_ops {
    int (*history)(struct store *s, struct span channel, const struct ns_config *ns,
                   const struct history_query *q, store_history_cb *cb, void *arg);
    int (*history_remove)(struct store *s, struct span channel);
    int (*presence_add)(struct store *s, struct span channel, const struct clientinfo *info);
    int (*presence_remove)(struct store *s, struct span channel, struct span client_id);
    int (*presence_get)(struct store *s, struct span channel, store_presence_cb *cb, void *arg);
    int (*presence_stats)(struct store *s, struct span channel, store_stats_cb *cb, void *arg);
    /* Expiry (history, presence refresh), called about once a second. */
    void (*sweep)(struct store *s, int64_t now_ms);
    /* Channels this store keeps state for on this node, for /metrics
     * (optional: NULL when the state lives elsewhere, as with Redis). */
    size_t (*channel_count)(struct store *s);
    /* Frees the store. NULL when the store is part of its engine's object
     * (both backends today): the engine's destroy frees it. */
    void (*destroy)(struct store *s);
};

struct store {
    const struct store_ops *ops;
    const struct config *cfg;   /* borrowed */
};

#endif
