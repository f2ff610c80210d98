/* rooms/redis_conn.h — one managed hiredis 0.14.1 async connection to one
 * Redis on our libuv loop: resolve (uv_getaddrinfo, never a blocking lookup),
 * connect with a watchdog (0.14 has no connect timeout), a handshake (AUTH,
 * SELECT, then PING: "ready" means Redis really answers), TCP keepalive,
 * command timeouts (0.14 has none: a FIFO of in-flight commands is checked
 * by the engine's periodic sweep), and reconnect with exponential backoff and
 * jitter after any failure. Also parses redis:// URLs.
 *
 * Ownership: struct rconn is embedded in its owner (a Redis shard) and
 * borrows the loop and the address. hiredis owns the async context; we keep
 * a pointer only while it is alive (NULL after hiredis's connect-failed or
 * disconnect callback, or once we dropped it). Replies are borrowed for the
 * duration of a callback. Every command callback runs exactly once — with
 * the reply, or with NULL when the connection failed, timed out or closed.
 * Loop thread only. */
#ifndef HEARTH_REDIS_CONN_H
#define HEARTH_REDIS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config/redis_addr.h"

struct redisAsyncContext;
struct redisReply;

enum rconn_state {
    RCONN_WAIT,        /* not connected; the backoff timer will start a connect */
    RCONN_CONNECTING,  /* resolving, TCP connect, or handshake (watchdog runs) */
    RCONN_READY,
    RCONN_CLOSING,     /* shutdown: flushing */
    RCONN_CLOSED,      /* every handle closed */
};

struct rconn;
/* A command's reply (borrowed), or NULL when it failed without one. */
typedef void rconn_reply_cb(void *arg, struct redisReply *reply);
/* The connection became ready (up) or a ready connection was lost (!up). */
typedef void rconn_state_cb(struct rconn *rc, bool up);
/* Pub/sub connections: every pub/sub reply (subscribe/unsubscribe
 * confirmations, messages), borrowed. Never called with NULL. */
typedef void rconn_push_cb(struct rconn *rc, struct redisReply *reply);

struct rconn_pending {
    rconn_reply_cb *cb;
    void *arg;
    int64_t sent_ms;
};

#define RCONN_MAX_INFLIGHT 65536   /* more commands in flight: refuse (temporary error) */
#define RCONN_BACKOFF_MIN_MS 100
#define RCONN_BACKOFF_MAX_MS 3000

struct rconn {
    uv_loop_t *loop;                  /* borrowed */
    const struct redis_addr *addr;    /* borrowed */
    char name[48];                    /* for logs: "redis shard 0 cmd" */
    bool pubsub;                      /* only SUBSCRIBE/UNSUBSCRIBE after the handshake */
    enum rconn_state state;
    struct redisAsyncContext *ac;     /* see the ownership note above */
    uv_timer_t timer;                 /* connect watchdog, backoff, or close deadline */
    uv_getaddrinfo_t gai;
    bool gai_active;
    bool timer_closed;
    unsigned attempt;                 /* failed attempts since the last ready */
    uint32_t connect_timeout_ms, command_timeout_ms;
    struct rconn_pending *ring;       /* owned: in-flight commands, FIFO */
    uint32_t cap, head, count;
    int64_t ready_ms;                 /* when it last became ready */
    uint64_t ups;                     /* times it became ready */
    rconn_state_cb *on_state;
    rconn_push_cb *on_push;
    void *data;                       /* the owner's */
};

void rconn_init(struct rconn *rc, uv_loop_t *loop, const struct redis_addr *addr,
                const char *name, bool pubsub, uint32_t connect_timeout_ms,
                uint32_t command_timeout_ms);
/* Starts the first connect. */
void rconn_start(struct rconn *rc);
static inline bool rconn_ready(const struct rconn *rc) { return rc->state == RCONN_READY; }
/* Sends one command (argv borrowed for the call). Returns 0 and cb runs
 * exactly once later; or -1 (not ready, too many in flight, hiredis refused)
 * and cb never runs. */
int rconn_command(struct rconn *rc, rconn_reply_cb *cb, void *arg, int argc, const char **argv,
                  const size_t *argvlen);
/* Pub/sub connections: SUBSCRIBE/UNSUBSCRIBE; confirmations arrive through
 * on_push. 0 or -1 (not ready). */
int rconn_pubsub(struct rconn *rc, int argc, const char **argv, const size_t *argvlen);
/* Drops the connection now (pending commands get NULL) and reconnects after
 * a backoff. Safe inside hiredis callbacks. */
void rconn_reset(struct rconn *rc, const char *why);
/* Periodic: a command older than the command timeout drops the connection. */
void rconn_check(struct rconn *rc);
/* Shutdown: flush what is queued, then close (bounded by the connect
 * timeout). Idempotent. The loop must run until rconn_closed(). */
void rconn_close(struct rconn *rc);
bool rconn_closed(const struct rconn *rc);
/* Frees the ring; only once closed. */
void rconn_free(struct rconn *rc);

#endif
