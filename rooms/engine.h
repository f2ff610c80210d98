/* rooms/engine.h — the engine boundary: everything about a channel that must be
 * shared between nodes (publication fan-out between nodes, history with
 * offsets and epochs, presence). The memory engine (engine_memory.c) is the
 * one-node default; a Redis engine implements the same ops.
 *
 * Calling convention: every op is asynchronous in shape. Results arrive
 * through a callback with a caller `arg`; an engine MAY call it before the op
 * returns (the memory engine always does). Everything a result points to is
 * borrowed for the duration of the callback only (take refs/copy to keep).
 * Publications arriving for a channel (from this node or another) are handed
 * to ev.on_publication; join/leave events to ev.on_join. Loop thread only. */
#ifndef HEARTH_ENGINE_H
#define HEARTH_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "../server/config.h"
#include "publication.h"

/* Engine errors (negative). */
#define ENGINE_ETEMP (-11)          /* backend away or busy: client error 100, temporary */
#define ENGINE_EUNRECOVERABLE (-112) /* since.epoch does not match: client error 112 */
#define ENGINE_ENOMEM (-12)

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
    const char *epoch;                   /* current epoch */
    struct publication *const *pubs;     /* borrowed; in the order asked for */
    size_t npubs;
};

struct publish_result {
    int err;
    uint64_t offset;       /* 0 when the channel keeps no history */
    const char *epoch;     /* NULL when the channel keeps no history */
};

typedef void engine_publish_cb(void *arg, const struct publish_result *res);
typedef void engine_history_cb(void *arg, const struct history_result *res);
typedef void engine_presence_cb(void *arg, int err, const struct clientinfo *entries, size_t n);
typedef void engine_stats_cb(void *arg, int err, uint32_t num_clients, uint32_t num_users);

struct engine_events {
    /* A publication for channel pub->channel; pub is borrowed (ref to keep). */
    void (*on_publication)(void *arg, struct publication *pub);
    /* A join (leave == false) or leave in channel. Spans borrowed. */
    void (*on_join)(void *arg, struct span channel, const struct clientinfo *info, bool leave);
    void *arg;
};

struct engine;

struct engine_ops {
    const char *name;
    /* Stores (when ns keeps history: assigns pub->offset) and fans out pub.
     * The engine takes its own references; the caller keeps its own. cb may
     * be NULL. Returns 0 if the op was started (cb will run), else an error. */
    int (*publish)(struct engine *e, struct publication *pub, const struct ns_config *ns,
                   engine_publish_cb *cb, void *arg);
    int (*publish_join)(struct engine *e, struct span channel, const struct clientinfo *info,
                        bool leave);
    int (*history)(struct engine *e, struct span channel, const struct ns_config *ns,
                   const struct history_query *q, engine_history_cb *cb, void *arg);
    int (*history_remove)(struct engine *e, struct span channel);
    int (*presence_add)(struct engine *e, struct span channel, const struct clientinfo *info);
    int (*presence_remove)(struct engine *e, struct span channel, struct span client_id);
    int (*presence_get)(struct engine *e, struct span channel, engine_presence_cb *cb, void *arg);
    int (*presence_stats)(struct engine *e, struct span channel, engine_stats_cb *cb, void *arg);
    /* This node wants (or no longer wants) the channel's live events. */
    int (*subscribe)(struct engine *e, struct span channel);
    int (*unsubscribe)(struct engine *e, struct span channel);
    /* Periodic maintenance (expiry), called about once a second. */
    void (*sweep)(struct engine *e, int64_t now_ms);
    void (*destroy)(struct engine *e);
};

struct engine {
    const struct engine_ops *ops;
    struct engine_events ev;
    const struct config *cfg;   /* borrowed */
};

/* The memory engine. Returns NULL on OOM. */
struct engine *engine_memory_new(const struct config *cfg, const struct engine_events *ev);

#endif
