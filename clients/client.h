/* clients/client.h — one WebSocket connection: its state machine
 * (new -> connected -> closing), its subscriptions, its receive reassembly
 * buffer and its bounded outbound queue with write batching.
 *
 * Ownership: a client is created when lws establishes the WebSocket and is
 * referenced by lws's per-session pointer; engine operations in flight hold
 * extra references (client_hold/client_release), so it is freed only once
 * lws has closed it AND no callback still needs it. The client owns its subs,
 * its user/conn_info strings, its queue and rx buffer. While it is on the
 * server's flush list (dirty) that list holds a reference too. A client is never
 * closed from inside another client's callback: client_disconnect() only
 * marks it and asks lws for a writeable callback, where the close frame is
 * sent. Loop thread only. */
#ifndef HEARTH_CLIENT_H
#define HEARTH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rooms/hub.h"
#include "clients/outq.h"
#include "protocol/proto.h"
#include "util/rand.h"

struct node;
struct lws;

#define CLIENT_CLOSE_REASON_MAX 123 /* RFC 6455 5.5: 125-byte control payload */

enum client_state {
    CLIENT_NEW,         /* waiting for connect */
    CLIENT_CONNECTED,
    CLIENT_FAILED,      /* connect was refused with an error reply */
    CLIENT_CLOSING,     /* disconnect decided; flushing then close */
};

struct client {
    struct node *node;         /* borrowed */
    struct lws *wsi;            /* borrowed from lws; NULL once closed */
    struct client *prev, *next; /* node->clients list */
    uint32_t refs;
    enum wire wire;
    enum client_state state;
    bool close_flush;           /* flush queued messages before the close frame */
    bool dirty;                 /* on node->dirty: flushed at the end of this loop turn */
    bool close_sent;            /* close frame handed to lws: it now lingers (reads and
                                 * discards input until the peer's close or 5 s) */
    uint16_t close_code;
    /* a close frame's payload is at most 125 bytes: code (2) + reason (123);
     * client_disconnect() cuts longer reasons at a UTF-8 character boundary */
    char close_reason[CLIENT_CLOSE_REASON_MAX + 1];
    char id[UUID_STR_LEN + 1];
    char *user;                 /* owned, "" for anonymous */
    char *conn_info;            /* owned raw JSON or NULL */
    size_t conn_info_len;
    uint32_t roles;             /* ROLE_* bits from the connection token (access.h) */
    char ip[48];                /* peer address, for per-IP connection limits */
    uint32_t nexpiring;         /* subs with a token expiry (tick checks them) */
    uint32_t rl_tokens;         /* command rate token bucket, in 1/1000 commands */
    uint32_t rl_strikes;        /* commands refused with 111 in a row */
    int64_t rl_last_ms;         /* last refill */
    int64_t created_ms;
    int64_t expires_ms;         /* connection token expiry, 0 = never */
    int64_t next_ping_ms;
    int64_t pong_deadline_ms;   /* 0 = no ping outstanding */
    struct outq q;
    size_t lws_held;            /* bytes of the last write lws may still hold
                                 * (partial send); counted against the queue limit */
    struct sub **subs;          /* owned array of owned subs */
    uint32_t nsubs, capsubs;
    uint8_t *rx;                /* owned reassembly buffer for fragmented messages */
    size_t rx_len, rx_cap;
};

struct client *client_new(struct node *node, struct lws *wsi, enum wire w, const char *ip);
void client_hold(struct client *c);
void client_release(struct client *c);
/* lws callbacks. Return -1 to make lws close the connection now. */
int client_on_receive(struct client *c, void *in, size_t len, bool first, bool final,
                      size_t remaining, bool binary);
int client_on_writeable(struct client *c);
void client_on_closed(struct client *c);
/* LWS_CALLBACK_TIMER: sends the decided close frame. */
int client_on_timer(struct client *c);
/* Writes what every client queued during this loop turn (called once per
 * loop turn from the server's uv_check handle). */
void client_flush_dirty(struct node *node);
/* Periodic checks (ping, pong, stale, expiry), now in ms. */
void client_tick(struct client *c, int64_t now);

/* Decide to disconnect with a Centrifuge code (3xxx) or a WebSocket code
 * (1009, 1011). flush: deliver what is queued first (not for 3008). */
void client_disconnect(struct client *c, uint16_t code, const char *reason, bool flush);
/* Queue one encoded message (takes its own ref). A droppable frame that does
 * not fit is dropped (0 returned, stats.frames_dropped counts it); a normal one
 * first evicts queued droppable frames (clients/outq.h). On overflow the
 * client is disconnected with 3008 and -ENOBUFS returned. */
int client_send(struct client *c, struct frame *f);
/* Encode r for this client and queue it. The encoding is built bounded by
 * client_queue_max_size: a reply that would not fit is never built whole and
 * is answered with error 106 "limit exceeded" instead. */
int client_send_reply(struct client *c, const struct reply *r);
/* Like client_send_reply, but a reply too large for the queue is neither sent
 * nor answered: -E2BIG, so the caller can send a smaller one. */
int client_try_send_reply(struct client *c, const struct reply *r);
int client_send_error(struct client *c, uint32_t id, uint32_t code, const char *message);

/* commands.c */
/* Runs one decoded command. Returns 0, or -1 when the client is now closing
 * and the rest of the frame must be dropped. */
int client_dispatch(struct client *c, struct cmd *cmd);
struct sub *client_find_sub(struct client *c, struct span channel);

/* subscribe.c */
/* Removes one subscription: hub unlink, presence removal, leave event. */
void client_remove_sub(struct client *c, struct sub *s, bool emit_leave);
/* Tells the client it lost sub s (unsubscribe push with code/reason) and
 * removes it. */
void client_unsubscribe_push(struct client *c, struct sub *s, uint32_t code, const char *reason);
/* Subscribes c to channel as a server-side subscription (API subscribe):
 * pushes "subscribe" to the client. 0, or a client error code. */
int client_server_subscribe(struct client *c, const char *channel);
/* Periodic checks of subscription token expiry (2501). */
void client_check_sub_expiry(struct client *c, int64_t now);
/* hub_ops for fan-out */
void client_deliver_pub(struct sub *s, struct publication *pub);
void client_deliver_frame(struct sub *s, struct frame *f);
/* The engine lost track of s's stream: unsubscribe push 2500 so the SDK
 * resubscribes and recovers from history. */
void client_deliver_gap(struct sub *s);

#endif
