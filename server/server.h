/* server/server.h — struct server: everything one node owns, hung off the one
 * libuv loop (no globals beyond the config and the loop). Created in main.c,
 * reached from lws callbacks through lws_context_user(). */
#ifndef HEARTH_SERVER_H
#define HEARTH_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "admission.h"
#include "config.h"
#include "engine.h"
#include "hub.h"
#include "rand.h"

struct lws_context;
struct lws_vhost;
struct client;

#define API_METHOD_SLOTS 16
#define API_STATUS_SLOTS 6

struct server_stats {
    uint64_t connections_total;
    uint64_t messages_in;       /* commands received */
    uint64_t messages_out;      /* messages queued to clients */
    uint64_t frames_out;        /* WebSocket frames written */
    uint64_t bytes_in, bytes_out;
    uint64_t publications;
    uint64_t queue_overflows;   /* 3008 disconnects */
    uint64_t replies_too_large; /* replies over client_queue_max_size (error 106 / unrecovered) */
    uint64_t rate_limited;      /* commands refused with 111 */
    uint64_t refused_connections[ADMIT_COUNT]; /* by enum admit: see ws_server.c */
    uint64_t disconnects[1000]; /* by code - 3000, codes 3000..3999 */
    uint64_t api_calls[API_METHOD_SLOTS][API_STATUS_SLOTS]; /* see api.c */
    double loop_lag_ms;         /* how late the last housekeeping tick ran */
};

struct server {
    uv_loop_t *loop;                 /* borrowed: main's loop */
    const struct config *cfg;        /* the running config: main's, or cfg_owned after SIGHUP */
    struct config *cfg_owned;        /* owned: the last reloaded config, or NULL */
    struct lws_context *lws;         /* owned; lws sets it NULL when destroyed */
    struct lws_vhost *vhost;         /* owned by lws */
    void *mounts;                    /* owned: struct lws_http_mount[], lws borrows it */
    struct engine *engine;           /* owned */
    struct hub hub;
    struct admission admission;      /* connection counts per peer address */
    struct admission_peer *accepting;/* one admission reference between lws's accept
                                        filter and NEW_CLIENT_INSTANTIATED (ws_server.c) */
    struct client *clients;          /* list of live clients (owned via refs) */
    uint32_t nclients;               /* connected WebSockets */
    struct frame *ping[WIRE_COUNT];  /* owned: the shared ping message per wire */
    uint8_t *scratch;                /* owned: FRAME_PRE + SERVER_BATCH_MAX, batch writes */
    struct client **dirty;           /* owned array of refs: clients with unsent messages */
    uint32_t ndirty, capdirty;
    uv_check_t flush;                /* once per loop turn: client_flush_dirty() */
    uv_timer_t tick;                 /* 500 ms housekeeping */
    uv_timer_t drain;                /* shutdown drain */
    uv_signal_t sig_int, sig_term, sig_hup;
    int64_t started_ms;
    int64_t stop_ms;                 /* when shutdown began */
    int64_t next_tick_ms;            /* when the tick should run: for loop lag */
    char node_id[UUID_STR_LEN + 1];  /* this process's node id */
    char node_name[64];
    bool stopping;
    struct server_stats stats;
};

#define SERVER_BATCH_MAX 65536u  /* bytes of messages packed into one WebSocket frame */

int64_t server_now_ms(void);

/* ws_server.c: lws context + vhost on srv->loop. 0 or -1 (logged). */
int ws_server_start(struct server *srv);
/* First stage of shutdown: lws closes every connection (each client gets
 * LWS_CALLBACK_CLOSED). The second destroy runs after uv_run returns. */
void ws_server_stop(struct server *srv);
void ws_server_destroy(struct server *srv);

/* server.c: set up everything on loop (0, or -1 after logging why), and
 * tear it down after uv_run() has returned. */
int server_init(struct server *srv, uv_loop_t *loop, const struct config *cfg);
void server_finish(struct server *srv);
/* reload.c: SIGHUP. 0, or -1 (logged; the running config stays). */
int server_reload(struct server *srv);

#endif
