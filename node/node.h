/* node/node.h — struct node: what one hearth process holds that every layer
 * above rooms/ works with — the running config, the engine, the hub, the live
 * clients and their flush list, and the counters /metrics shows. The
 * transport (server/) embeds one struct node in its struct server; clients/
 * and the community layer see only the node, never the transport. Loop thread
 * only; no globals. */
#ifndef HEARTH_NODE_H
#define HEARTH_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "node/gate.h"
#include "node/methods.h"
#include "protocol/frame.h"
#include "rooms/engine.h"
#include "rooms/hub.h"
#include "rooms/store.h"
#include "node/control.h"
#include "node/members.h"
#include "node/users.h"
#include "util/clock.h"
#include "util/rand.h"

struct client;

#define NODE_DISCONNECT_CODES 1000  /* disconnect counters for codes 3000..3999 */
#define NODE_REFUSED_KINDS 8        /* refused-connection counters (server/admission.h) */

struct node_stats {
    uint64_t connections_total;
    uint64_t messages_in;       /* commands received */
    uint64_t messages_out;      /* messages queued to clients */
    uint64_t frames_out;        /* WebSocket frames written */
    uint64_t flush_passes;      /* full fan-out passes (server/flush.c) */
    uint64_t flush_deferred;    /* passes deferred after a heavy one */
    uint64_t bytes_in, bytes_out;
    uint64_t publications;
    uint64_t queue_overflows;   /* 3008 disconnects */
    uint64_t frames_dropped;    /* droppable frames a full queue dropped or evicted */
    uint64_t replies_too_large; /* replies over client_queue_max_size (error 106 / unrecovered) */
    uint64_t rate_limited;      /* commands refused with 111 */
    uint64_t refused_connections[NODE_REFUSED_KINDS]; /* by enum admit: see ws_server.c */
    uint64_t disconnects[NODE_DISCONNECT_CODES]; /* by code - 3000 */
    double loop_lag_ms;         /* how late the last housekeeping tick ran */
};

struct node {
    uv_loop_t *loop;                 /* borrowed: main's loop */
    const struct config *cfg;        /* borrowed: the running config (the transport owns it) */
    struct engine *engine;           /* owned (with store: rooms/backend.h) */
    struct store *store;             /* owned: history, presence (rooms/store.h) */
    struct hub hub;
    struct methods methods;          /* rpc and /api/<method> (node/methods.h) */
    struct gate gate;                /* the one publish path (node/gate.h) */
    struct client *clients;          /* list of live clients (owned via refs) */
    uint32_t nclients;               /* connected WebSockets */
    struct node_users users;         /* user -> connected clients (node/users.h) */
    struct node_controls controls;   /* cross-node verbs (node/control.h) */
    struct node_members members;     /* subscription start/end observers (node/members.h) */
    struct frame *ping[WIRE_COUNT];  /* owned: the shared ping message per wire */
    uint8_t *scratch;                /* owned: FRAME_PRE + NODE_BATCH_MAX, batch writes */
    struct client **dirty;           /* owned array of refs: clients with unsent messages */
    uint32_t ndirty, capdirty;
    uint16_t flush_pass;             /* full flush passes so far (wraps; client.pass) */
    uint32_t flush_written, flush_repeats; /* the last full pass: clients written, and of
                                               those, written by the pass before too */
    struct clock clock;              /* owned: the one wall clock; engines borrow it */
    int64_t started_ms;
    bool stopping;                   /* shutdown has begun */
    char node_id[UUID_STR_LEN + 1];  /* this process's node id */
    struct rand_pool rand;           /* client ids and ping phases without a syscall each */
    char node_name[64];
    struct node_stats stats;
};

#define NODE_BATCH_MAX 65536u  /* bytes of messages packed into one WebSocket frame */

/* Wall-clock unix milliseconds, read through the node's clock. */
int64_t node_now_ms(const struct node *node);

#endif
