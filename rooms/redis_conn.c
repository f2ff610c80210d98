/* rooms/redis_conn.c — a managed hiredis async connection (see
 * redis_conn.h): resolve → connect (watchdog) → handshake → ready, command
 * FIFO with timeouts, reconnect with backoff + jitter, orderly close. */
#include "rooms/redis_conn.h"

#include <arpa/inet.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/rand.h"
#include "rooms/redis_uv.h"

static int64_t now_ms(uv_loop_t *loop) { return (int64_t)uv_now(loop); }

/* ---- lifecycle ---- */

static void begin_connect(struct rconn *rc);

void rconn_init(struct rconn *rc, uv_loop_t *loop, const struct redis_addr *addr,
                const char *name, bool pubsub, uint32_t connect_timeout_ms,
                uint32_t command_timeout_ms)
{
    memset(rc, 0, sizeof(*rc));
    rc->loop = loop;
    rc->addr = addr;
    snprintf(rc->name, sizeof(rc->name), "%s", name);
    rc->pubsub = pubsub;
    rc->connect_timeout_ms = connect_timeout_ms;
    rc->command_timeout_ms = command_timeout_ms;
    rc->state = RCONN_WAIT;
    uv_timer_init(loop, &rc->timer);
    rc->timer.data = rc;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct rconn *rc = h->data;
    rc->timer_closed = true;
    rc->state = RCONN_CLOSED;
}

static void finish_close(struct rconn *rc)
{
    if (rc->ac || rc->gai_active || uv_is_closing((uv_handle_t *)&rc->timer))
        return;
    uv_close((uv_handle_t *)&rc->timer, on_timer_closed);
}

static void on_backoff(uv_timer_t *t)
{
    struct rconn *rc = t->data;
    if (rc->gai_active) { /* a lookup from the last attempt is still running */
        uv_timer_start(&rc->timer, on_backoff, 50, 0);
        return;
    }
    begin_connect(rc);
}

static void schedule_backoff(struct rconn *rc)
{
    unsigned shift = rc->attempt < 10 ? rc->attempt : 10;
    uint64_t d = (uint64_t)RCONN_BACKOFF_MIN_MS << shift;
    if (d > RCONN_BACKOFF_MAX_MS)
        d = RCONN_BACKOFF_MAX_MS;
    d = d / 2 + rand_below((unsigned)(d / 2 + 1)); /* jitter: [d/2, d] */
    rc->attempt++;
    uv_timer_start(&rc->timer, on_backoff, d, 0);
}

/* A connect attempt failed before the connection was ready. */
static void attempt_failed(struct rconn *rc, const char *why)
{
    if (rc->state == RCONN_CLOSING) {
        finish_close(rc);
        return;
    }
    if (rc->attempt == 0)
        log_warn("redis", "%s: cannot connect to %s:%d: %s (retrying)", rc->name, rc->addr->host,
                 rc->addr->port, why);
    else
        log_debug("redis", "%s: connect attempt %u failed: %s", rc->name, rc->attempt, why);
    rc->state = RCONN_WAIT;
    schedule_backoff(rc);
}

/* Forgets the current context and frees it (its pending callbacks get NULL
 * now, or when the current hiredis callback returns). */
static void drop_context(struct rconn *rc)
{
    struct redisAsyncContext *ac = rc->ac;
    rc->ac = NULL;
    if (ac)
        redisAsyncFree(ac);
}

static void on_watchdog(uv_timer_t *t)
{
    struct rconn *rc = t->data;
    drop_context(rc);
    attempt_failed(rc, "timeout");
}

static void became_ready(struct rconn *rc)
{
    uv_timer_stop(&rc->timer);
    rc->state = RCONN_READY;
    if (rc->attempt || rc->ups)
        log_info("redis", "%s: connected to %s:%d", rc->name, rc->addr->host, rc->addr->port);
    rc->attempt = 0;
    rc->ready_ms = now_ms(rc->loop);
    rc->ups++;
    if (rc->on_state)
        rc->on_state(rc, true);
}

/* A ready (or handshaking) connection ended; hiredis already freed it or is
 * about to. */
static void connection_lost(struct rconn *rc, const char *why)
{
    if (rc->state == RCONN_CLOSING) {
        finish_close(rc);
        return;
    }
    bool was_ready = rc->state == RCONN_READY;
    if (!was_ready) {
        attempt_failed(rc, why);
        return;
    }
    log_warn("redis", "%s: connection to %s:%d lost: %s (reconnecting)", rc->name,
             rc->addr->host, rc->addr->port, why);
    rc->state = RCONN_WAIT;
    schedule_backoff(rc);
    if (rc->on_state)
        rc->on_state(rc, false);
}

/* ---- commands ---- */

static void on_reply(struct redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rconn *rc = privdata;
    if (!rc->count)
        return; /* hiredis 0.14 may re-run the last callback for a stray reply */
    struct rconn_pending p = rc->ring[rc->head];
    rc->head = (rc->head + 1) % rc->cap;
    rc->count--;
    p.cb(p.arg, reply);
}

static int push_command(struct rconn *rc, rconn_reply_cb *cb, void *arg, int argc,
                        const char **argv, const size_t *argvlen)
{
    if (!rc->ac || rc->count >= RCONN_MAX_INFLIGHT)
        return -1;
    if (rc->count == rc->cap) {
        uint32_t ncap = rc->cap ? rc->cap * 2 : 64;
        struct rconn_pending *nr = malloc(sizeof(*nr) * ncap);
        if (!nr)
            return -1;
        for (uint32_t i = 0; i < rc->count; i++)
            nr[i] = rc->ring[(rc->head + i) % rc->cap];
        free(rc->ring);
        rc->ring = nr;
        rc->cap = ncap;
        rc->head = 0;
    }
    if (redisAsyncCommandArgv(rc->ac, on_reply, rc, argc, argv, argvlen) != REDIS_OK)
        return -1;
    rc->ring[(rc->head + rc->count) % rc->cap] =
        (struct rconn_pending){cb, arg, now_ms(rc->loop)};
    rc->count++;
    return 0;
}

int rconn_command(struct rconn *rc, rconn_reply_cb *cb, void *arg, int argc, const char **argv,
                  const size_t *argvlen)
{
    if (rc->state != RCONN_READY || rc->pubsub)
        return -1;
    return push_command(rc, cb, arg, argc, argv, argvlen);
}

static void on_pubsub(struct redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rconn *rc = privdata;
    if (!reply || rc->ac != ac || !rc->on_push)
        return; /* NULL: the context is being freed */
    rc->on_push(rc, reply);
}

int rconn_pubsub(struct rconn *rc, int argc, const char **argv, const size_t *argvlen)
{
    if (rc->state != RCONN_READY || !rc->pubsub)
        return -1;
    return redisAsyncCommandArgv(rc->ac, on_pubsub, rc, argc, argv, argvlen) == REDIS_OK ? 0 : -1;
}

void rconn_reset(struct rconn *rc, const char *why)
{
    if (!rc->ac || rc->state == RCONN_CLOSING || rc->state == RCONN_CLOSED)
        return;
    drop_context(rc);
    uv_timer_stop(&rc->timer);
    connection_lost(rc, why);
}

void rconn_check(struct rconn *rc)
{
    if (rc->count && now_ms(rc->loop) - rc->ring[rc->head].sent_ms > (int64_t)rc->command_timeout_ms)
        rconn_reset(rc, "command timeout");
}

/* ---- handshake ---- */

static void on_handshake(void *arg, struct redisReply *r)
{
    struct rconn *rc = arg;
    if (!r)
        return; /* the connection is gone; its callbacks already said so */
    if (r->type == REDIS_REPLY_ERROR) {
        char why[160];
        snprintf(why, sizeof(why), "handshake: %.*s", (int)(r->len < 120 ? r->len : 120), r->str);
        rconn_reset(rc, why);
    }
}

static void on_handshake_ping(void *arg, struct redisReply *r)
{
    struct rconn *rc = arg;
    if (!r || rc->state != RCONN_CONNECTING)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        on_handshake(arg, r);
        return;
    }
    became_ready(rc);
}

static void on_connect(const struct redisAsyncContext *cac, int status)
{
    struct rconn *rc = cac->data;
    struct redisAsyncContext *ac = (struct redisAsyncContext *)cac;
    if (!rc || rc->ac != ac)
        return;
    if (status != REDIS_OK) {
        rc->ac = NULL; /* hiredis frees it when we return */
        attempt_failed(rc, cac->errstr);
        return;
    }
    redisEnableKeepAlive(&ac->c);
    const char *argv[3];
    size_t lens[3];
    int n = 0;
    if (rc->addr->password) {
        argv[n] = "AUTH";
        lens[n++] = 4;
        if (rc->addr->user) {
            argv[n] = rc->addr->user;
            lens[n] = strlen(rc->addr->user);
            n++;
        }
        argv[n] = rc->addr->password;
        lens[n] = strlen(rc->addr->password);
        n++;
        if (push_command(rc, on_handshake, rc, n, argv, lens))
            goto fail;
    }
    if (rc->addr->db > 0 && !rc->pubsub) {
        char db[16];
        snprintf(db, sizeof(db), "%d", rc->addr->db);
        argv[0] = "SELECT";
        lens[0] = 6;
        argv[1] = db;
        lens[1] = strlen(db);
        if (push_command(rc, on_handshake, rc, 2, argv, lens))
            goto fail;
    }
    argv[0] = "PING";
    lens[0] = 4;
    if (push_command(rc, on_handshake_ping, rc, 1, argv, lens) == 0)
        return;
fail:
    rconn_reset(rc, "out of memory");
}

static void on_disconnect(const struct redisAsyncContext *cac, int status)
{
    struct rconn *rc = cac->data;
    if (!rc || rc->ac != cac)
        return; /* a context we dropped ourselves */
    rc->ac = NULL;
    connection_lost(rc, status == REDIS_OK ? "closed" : cac->errstr);
}

static void do_connect(struct rconn *rc, const char *ip)
{
    struct redisAsyncContext *ac = redisAsyncConnect(ip, rc->addr->port);
    if (!ac) {
        attempt_failed(rc, "out of memory");
        return;
    }
    if (ac->err) {
        char why[128];
        snprintf(why, sizeof(why), "%s", ac->errstr);
        redisAsyncFree(ac);
        attempt_failed(rc, why);
        return;
    }
    if (redis_uv_attach(ac, rc->loop) != 0) {
        redisAsyncFree(ac);
        attempt_failed(rc, "cannot watch the socket");
        return;
    }
    ac->data = rc;
    rc->ac = ac;
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncSetConnectCallback(ac, on_connect); /* also asks for the first write event */
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct rconn *rc = req->data;
    rc->gai_active = false;
    char ip[INET6_ADDRSTRLEN] = "";
    /* the first IPv4 address if there is one (Redis often binds 127.0.0.1
     * only, while "localhost" may resolve to ::1 first), else the first */
    const struct addrinfo *pick = NULL;
    for (const struct addrinfo *a = status == 0 ? res : NULL; a; a = a->ai_next)
        if (a->ai_family == AF_INET || (!pick && a->ai_family == AF_INET6))
            if (!pick || pick->ai_family != AF_INET)
                pick = a;
    if (pick && pick->ai_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)pick->ai_addr)->sin_addr, ip, sizeof(ip));
    else if (pick)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr, ip, sizeof(ip));
    uv_freeaddrinfo(res);
    if (rc->state == RCONN_CLOSING) {
        finish_close(rc);
        return;
    }
    if (rc->state != RCONN_CONNECTING || rc->ac)
        return; /* the watchdog gave up on this attempt */
    if (!*ip) {
        attempt_failed(rc, status ? uv_strerror(status) : "no address");
        return;
    }
    do_connect(rc, ip);
}

static void begin_connect(struct rconn *rc)
{
    rc->state = RCONN_CONNECTING;
    uv_timer_start(&rc->timer, on_watchdog, rc->connect_timeout_ms, 0);
    unsigned char buf[sizeof(struct in6_addr)];
    const char *h = rc->addr->host;
    if (inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1) {
        do_connect(rc, h);
        return;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc->gai.data = rc;
    int r = uv_getaddrinfo(rc->loop, &rc->gai, on_resolved, h, NULL, &hints);
    if (r != 0) {
        attempt_failed(rc, uv_strerror(r));
        return;
    }
    rc->gai_active = true;
}

void rconn_start(struct rconn *rc) { begin_connect(rc); }

/* ---- shutdown ---- */

static void on_close_deadline(uv_timer_t *t)
{
    struct rconn *rc = t->data;
    drop_context(rc);
    finish_close(rc);
}

void rconn_close(struct rconn *rc)
{
    if (rc->state == RCONN_CLOSING || rc->state == RCONN_CLOSED)
        return;
    bool ready = rc->state == RCONN_READY;
    rc->state = RCONN_CLOSING;
    uv_timer_stop(&rc->timer);
    if (rc->ac && ready) {
        /* flush what is queued and wait for pending replies, bounded */
        uv_timer_start(&rc->timer, on_close_deadline, rc->connect_timeout_ms, 0);
        redisAsyncDisconnect(rc->ac); /* may finish at once (on_disconnect) */
    } else {
        drop_context(rc);
    }
    finish_close(rc);
}

bool rconn_closed(const struct rconn *rc) { return rc->state == RCONN_CLOSED && !rc->gai_active; }

void rconn_free(struct rconn *rc)
{
    free(rc->ring);
    rc->ring = NULL;
    rc->cap = rc->count = 0;
}
