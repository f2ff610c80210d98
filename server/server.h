/* server/server.h — struct server: the transport around one struct node
 * (lws context, HTTP mounts, admission, timers and signals), hung off the one
 * libuv loop (no globals beyond the config and the loop). Created in main.c,
 * reached from lws callbacks through lws_context_user(). */
#ifndef HEARTH_SERVER_H
#define HEARTH_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "community/community.h"
#include "config/config.h"
#include "node/node.h"
#include "server/admission.h"

struct lws_context;
struct lws_vhost;
struct client;

struct server {
    struct node node;                /* what the layers below see (node/node.h) */
    struct community community;      /* the community layer's modules (community/) */
    struct config *cfg_owned;        /* owned: the last reloaded config, or NULL
                                        (node.cfg is main's config or this one) */
    struct lws_context *lws;         /* owned; lws sets it NULL when destroyed */
    struct lws_vhost *vhost;         /* owned by lws */
    void *mounts;                    /* owned: struct lws_http_mount[], lws borrows it */
    struct admission admission;      /* connection counts per peer address */
    struct admission_peer *accepting;/* one admission reference between lws's accept
                                        filter and NEW_CLIENT_INSTANTIATED (ws_server.c) */
    uv_check_t flush;                /* once per loop turn: the fan-out pass (flush.c) */
    uv_prepare_t flush_early;        /* before the loop blocks: what timers queued */
    uv_timer_t flush_later;          /* the deferred pass after a heavy one */
    uint64_t flush_end_ns;           /* uv_hrtime when the last fan-out pass ended */
    uint64_t flush_cost_ns;          /* how long it took if it was heavy, else 0 (flush.c) */
    uint32_t flush_streak;           /* heavy passes in a row followed back to back */
    uv_timer_t tick;                 /* 500 ms housekeeping */
    uv_timer_t drain;                /* shutdown drain */
    uv_signal_t sig_int, sig_term, sig_hup;
    int64_t stop_ms;                 /* when shutdown began */
    int64_t next_tick_ms;            /* when the tick should run: for loop lag */
    uint64_t churn_last_tick, churn_trimmed; /* connects + closes seen by the last tick and
                                                at the last malloc_trim (server.c) */
    int64_t trimmed_ms;
};

_Static_assert(ADMIT_COUNT <= NODE_REFUSED_KINDS, "node_stats.refused_connections too small");

/* The server a node is embedded in. */
static inline struct server *server_of(struct node *n)
{
    return (struct server *)((char *)n - offsetof(struct server, node));
}


/* ws_server.c: lws context + vhost on srv->node.loop. 0 or -1 (logged). */
int ws_server_start(struct server *srv);
/* First stage of shutdown: lws closes every connection (each client gets
 * LWS_CALLBACK_CLOSED). The second destroy runs after uv_run returns. */
void ws_server_stop(struct server *srv);
void ws_server_destroy(struct server *srv);

/* flush.c: the fan-out flush schedule (self-batching). init before
 * ws_server_start, start after; server_finish closes the three handles. */
void server_flush_init(struct server *srv, uv_loop_t *loop);
void server_flush_start(struct server *srv);

/* lws_alloc.c: gives lws's big short-lived buffers (handshake header
 * tables) a region of their own, away from the connections' small blocks.
 * Call once before the first lws context; a second call does nothing. */
void server_lws_alloc_install(void);
void server_lws_alloc_trim(void); /* pages of surplus free slots back to the kernel */

/* server.c: set up everything on loop (0, or -1 after logging why), and
 * tear it down after uv_run() has returned. */
int server_init(struct server *srv, uv_loop_t *loop, const struct config *cfg);
void server_finish(struct server *srv);
/* reload.c: SIGHUP. 0, or -1 (logged; the running config stays). */
int server_reload(struct server *srv);

#endif
