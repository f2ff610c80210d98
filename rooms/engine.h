/* rooms/engine.h — the engine boundary: live fan-out between nodes
 * (publications, join/leave, this node's channel interest, cross-node control
 * messages, the node list). Stored state (history reads, presence, expiry) is
 * the store's (rooms/store.h); a publish that keeps history stores and fans
 * out as ONE engine op (see store.h why). The memory engine
 * (engine_memory.c) is the one-node default; the Redis engine implements the
 * same ops. rooms/backend.h builds an engine and its store from the config.
 *
 * Calling convention: every op is asynchronous in shape. Results arrive
 * through a callback with a caller `arg`; an engine MAY call it before the op
 * returns (the memory engine always does). Everything a result points to is
 * borrowed for the duration of the callback only (take refs/copy to keep).
 * Publications arriving for a channel (from this node or another) are handed
 * to ev.on_publication; join/leave events to ev.on_join. Loop thread only. */
#ifndef HEARTH_ENGINE_H
#define HEARTH_ENGINE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "rooms/store.h"
#include "protocol/publication.h"
#include "util/rand.h"

/* Engine errors (negative). */
/* Engine and store errors: negative errno values (docs/design.md, "Errors"). */
#define ENGINE_ETEMP (-EAGAIN)           /* backend away or busy: client error 100, temporary */
#define ENGINE_EUNRECOVERABLE (-ESTALE)  /* since.epoch does not match: client error 112 */
#define ENGINE_ENOMEM (-ENOMEM)

/* How a publication is kept: what the gate decided from the namespace and
 * the caller (an API publish may skip history). history_size 0 = not kept. */
struct publish_opts {
    uint32_t history_size;     /* publications kept; 0 = none (no offset assigned) */
    uint32_t history_ttl;      /* seconds */
};

static inline struct publish_opts publish_opts_of(const struct ns_config *ns)
{
    struct publish_opts o = {0, 0};
    if (ns_has_history(ns)) {
        o.history_size = ns->history_size;
        o.history_ttl = ns->history_ttl;
    }
    return o;
}

struct publish_result {
    int err;
    uint64_t offset;       /* 0 when the channel keeps no history */
    const char *epoch;     /* NULL when the channel keeps no history */
};

typedef void engine_publish_cb(void *arg, const struct publish_result *res);

/* ---- multi-node (the memory engine has one node and leaves these unset) ---- */

#define NODE_NAME_MAX 64
#define NODE_VERSION_MAX 32

/* What a node tells the others about itself (the control channel's node
 * info), and what /api/info lists. */
struct node_info {
    char uid[UUID_STR_LEN + 1];
    char name[NODE_NAME_MAX];
    char version[NODE_VERSION_MAX];
    uint32_t num_clients, num_users, num_channels;
    uint64_t num_subs;
    int64_t uptime_s;
};

/* A command that must reach every node (e.g. an API side effect: the
 * user's connections may be on any node): a verb name and the verb's own
 * payload bytes, opaque here. The verbs and their handlers are registered in
 * node/control.h; the engine carries them. Spans are borrowed. */
#define CONTROL_VERB_MAX 64                 /* bytes of a verb name */
#define CONTROL_PAYLOAD_MAX (64u << 10)     /* bytes of a payload */

struct control_msg {
    struct span verb;          /* non-empty UTF-8, no NUL, <= CONTROL_VERB_MAX */
    struct span payload;       /* <= CONTROL_PAYLOAD_MAX */
};

struct engine_events {
    /* A publication for channel pub->channel; pub is borrowed (ref to keep). */
    void (*on_publication)(void *arg, struct publication *pub);
    /* A join (leave == false) or leave in channel. Spans borrowed. */
    void (*on_join)(void *arg, struct span channel, const struct clientinfo *info, bool leave);
    void *arg;
    /* Optional (multi-node engines), called with arg: the node may have
     * missed live publications in channel (its pub/sub link dropped), so
     * positioned subscribers must recover from history. */
    void (*on_gap)(void *arg, struct span channel);
    /* Optional, called with ctl_arg: a control command from another node. */
    void (*on_control)(void *ctl_arg, const struct control_msg *m);
    /* Optional, called with ctl_arg: fill this node's live figures. */
    void (*node_stats)(void *ctl_arg, struct node_info *out);
    void *ctl_arg;
};

struct engine;

struct engine_ops {
    const char *name;
    /* Stores (when o->history_size > 0: assigns pub->offset) and fans out pub.
     * The engine takes its own references; the caller keeps its own. cb may
     * be NULL. Returns 0 if the op was started (cb will run), else an error. */
    int (*publish)(struct engine *e, struct publication *pub, const struct publish_opts *o,
                   engine_publish_cb *cb, void *arg);
    int (*publish_join)(struct engine *e, struct span channel, const struct clientinfo *info,
                        bool leave);
    /* This node wants (or no longer wants) the channel's live events. */
    int (*subscribe)(struct engine *e, struct span channel);
    int (*unsubscribe)(struct engine *e, struct span channel);
    /* Frees the engine (and its store when the store is part of it). */
    void (*destroy)(struct engine *e);

    /* Optional ops (NULL in the memory engine). */
    /* 0 when channel can be served right now, else ENGINE_ETEMP (backend
     * away): a subscribe is then refused with a temporary error. */
    int (*available)(struct engine *e, struct span channel);
    /* Sends m to every other node (this node applies it itself). */
    int (*control)(struct engine *e, const struct control_msg *m);
    /* The other live nodes; *out is borrowed until the next engine call. */
    size_t (*nodes)(struct engine *e, const struct node_info **out);
    /* Begins closing backend connections at shutdown (idempotent); the loop
     * must run until they are closed, then destroy() frees the engine. */
    void (*shutdown)(struct engine *e);
    /* Link maintenance (reconnects, heartbeats, the node registry), called
     * about once a second; the store's sweep does expiry. */
    void (*sweep)(struct engine *e, int64_t now_ms);
};

struct engine {
    const struct engine_ops *ops;
    struct engine_events ev;
    const struct config *cfg;   /* borrowed */
};

/* The backends' constructors (rooms/backend.c calls them; no one else).
 * Each builds one object serving both interfaces: *store is set to its
 * store. Return NULL on OOM (Redis: or a bad redis_url); the Redis engine
 * starts connecting on loop at once (it never blocks), node_uid is this
 * node's id; clk (borrowed, outlives the engine) is the wall clock they read
 * the time through (util/clock.h). */
struct uv_loop_s;
struct clock;
struct engine *engine_memory_new(const struct config *cfg, const struct engine_events *ev,
                                 const struct clock *clk, struct store **store);
/* The memory engine with a durable copy in cfg->data_dir (rooms/durable.h):
 * loads it before returning. NULL (logged) when the data cannot be used. */
struct engine *engine_memory_durable_new(const struct config *cfg, const struct engine_events *ev,
                                         struct uv_loop_s *loop, const struct clock *clk,
                                         struct store **store);
struct engine *engine_redis_new(const struct config *cfg, const struct engine_events *ev,
                                struct uv_loop_s *loop, const char *node_uid,
                                const struct clock *clk, struct store **store);

#endif
