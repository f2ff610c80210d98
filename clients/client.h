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

/* Fields are grouped by size so the struct has no padding holes: one per
 * connection (docs/design.md "Memory per connection"). */
struct client {
    struct node *node;         /* borrowed */
    struct lws *wsi;            /* borrowed from lws; NULL once closed */
    struct client *prev, *next; /* node->clients list */
    uint32_t refs;
    uint16_t nsubs, capsubs;    /* subs; max_channels_per_client <= 32768 */
    uint32_t conn_info_len;     /* bounded by max_message_size */
    uint32_t roles;             /* ROLE_* bits from the connection token (access.h) */
    uint16_t nexpiring;         /* subs with a token expiry (tick checks them) */
    uint16_t pass;              /* the last full flush pass that wrote this client
                                 * (node->flush_pass, wraps): see client_flush_dirty */
    uint32_t rl_tokens;         /* command rate token bucket, in 1/1000 commands */
    uint16_t rl_strikes;        /* commands refused with 111 in a row (limit <= 65535) */
    uint32_t rx_len, rx_cap;    /* rx; bounded by max_message_size */
    uint32_t lws_held;          /* bytes of the last write lws may still hold (partial
                                 * send; at most one batch or frame plus LWS_PRE);
                                 * counted against the queue limit */
    enum wire wire : 8;
    enum client_state state : 8;
    uint16_t close_code;
    bool close_flush;           /* flush queued messages before the close frame */
    bool dirty;                 /* on node->dirty: flushed at the end of this loop turn
                                 * (or at the deferred pass, see client_flush_dirty) */
    bool urgent;                /* a reply is queued: flushed this turn even when the
                                 * fan-out pass is deferred */
    bool close_sent;            /* close frame handed to lws: it now lingers (reads and
                                 * discards input until the peer's close or 5 s) */
    char id[UUID_STR_LEN + 1];
    /* owned, NULL until client_disconnect(): the close frame's reason. A
     * close payload is at most 125 bytes: code (2) + reason (123), so longer
     * reasons are cut at a UTF-8 character boundary. Allocated only when
     * needed: an idle connection does not carry 124 bytes for it. */
    char *close_reason;
    const char *user;           /* owned, or client_anonymous (not owned); NULL before connect */
    char *conn_info;            /* owned raw JSON or NULL */
    int64_t rl_last_ms;         /* last refill */
    int64_t created_ms;
    int64_t expires_ms;         /* connection token expiry, 0 = never */
    int64_t next_ping_ms;
    int64_t pong_deadline_ms;   /* 0 = no ping outstanding */
    struct outq q;
    struct sub **subs;          /* owned array of owned subs */
    uint8_t *rx;                /* owned reassembly buffer for fragmented messages */
};

/* The user of every anonymous client: one shared "" instead of an
 * allocation per connection (a constant, never freed). */
extern const char client_anonymous[1];

struct client *client_new(struct node *node, struct lws *wsi, enum wire w);
void client_hold(struct client *c);
void client_release(struct client *c);
/* lws callbacks. Return -1 to make lws close the connection now. */
int client_on_receive(struct client *c, void *in, size_t len, bool first, bool final,
                      size_t remaining, bool binary);
int client_on_writeable(struct client *c);
void client_on_closed(struct client *c);
/* LWS_CALLBACK_TIMER: sends the decided close frame. */
int client_on_timer(struct client *c);
/* Writes what the clients on the flush list queued (the server calls it
 * once per loop turn, or later when it defers the fan-out: server.c). With
 * urgent_only, only clients with a queued reply are written (their whole
 * queue, in order) and the rest stay on the list for the deferred pass.
 * A full pass counts in node->flush_written the clients it wrote and in
 * node->flush_repeats those the previous full pass wrote too: when most
 * are repeats (one big room, a steady stream), deferring the next pass
 * batches; when few are (many small rooms), it would only add latency. */
void client_flush_dirty(struct node *node, bool urgent_only);
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
