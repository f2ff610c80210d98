/* clients/client.c — connection lifecycle, receive reassembly, the outbound
 * queue's write batching, and the periodic ping/pong/stale/expiry checks
 * (see client.h). Command semantics live in commands.c. */
#include "clients/client.h"
#include "protocol/errors.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "node/node.h"

_Static_assert(FRAME_PRE == LWS_PRE, "frame headroom must match LWS_PRE");

const char client_anonymous[1] = "";

struct client *client_new(struct node *node, struct lws *wsi, enum wire w)
{
    struct client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->node = node;
    c->wsi = wsi;
    c->refs = 1; /* lws's reference, dropped in client_on_closed */
    c->wire = w;
    c->state = CLIENT_NEW;
    c->created_ms = node_now_ms(c->node);
    c->rl_last_ms = c->created_ms;
    c->rl_tokens = node->cfg->client_command_burst * 1000u;
    rand_pool_uuid(&node->rand, c->id);
    outq_init(&c->q);
    c->next = node->clients;
    if (node->clients)
        node->clients->prev = c;
    node->clients = c;
    node->nclients++;
    node->stats.connections_total++;
    return c;
}

void client_hold(struct client *c) { c->refs++; }

void client_release(struct client *c)
{
    if (--c->refs)
        return;
    outq_free(&c->q);
    free(c->subs);
    free(c->rx);
    if (c->user != client_anonymous)
        free((char *)c->user);
    free(c->conn_info);
    free(c->close_reason);
    free(c);
}

void client_on_closed(struct client *c)
{
    struct node *node = c->node;
    /* leave every room: the client is gone, so nobody is mid-walk over it */
    while (c->nsubs)
        client_remove_sub(c, c->subs[c->nsubs - 1], true);
    if (c->prev)
        c->prev->next = c->next;
    else
        node->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    node->nclients--;
    if (c->user)
        node_users_remove(&node->users, c->user, c);
    if (c->close_code >= 3000 && c->close_code < 4000)
        node->stats.disconnects[c->close_code - 3000]++;
    c->wsi = NULL;
    c->state = CLIENT_CLOSING;
    outq_free(&c->q);
    client_release(c);
}

/* A copy of reason (owned by the caller; NULL without memory) of at most
 * CLIENT_CLOSE_REASON_MAX bytes, cut at a UTF-8 character boundary: a close
 * frame whose reason is invalid UTF-8 is a protocol error for the peer, which
 * then treats a terminal disconnect as a network failure. */
static char *copy_reason(const char *reason)
{
    size_t n = strlen(reason), cap = CLIENT_CLOSE_REASON_MAX + 1;
    if (n >= cap) {
        n = cap - 1;
        /* back up over continuation bytes (10xxxxxx) to a lead byte, and drop
         * that lead byte too if its sequence no longer fits */
        size_t i = n;
        while (i > 0 && ((unsigned char)reason[i] & 0xC0) == 0x80)
            i--;
        n = i;
    }
    char *dst = malloc(n + 1);
    if (dst) {
        memcpy(dst, reason, n);
        dst[n] = 0;
    }
    return dst;
}

void client_disconnect(struct client *c, uint16_t code, const char *reason, bool flush)
{
    if (!reason)
        reason = proto_error_message(code);
    if (c->state == CLIENT_CLOSING || !c->wsi)
        return;
    c->state = CLIENT_CLOSING;
    c->close_code = code;
    c->close_flush = flush;
    free(c->close_reason);
    c->close_reason = copy_reason(reason); /* NULL: the frame goes without a reason */
    log_debug("client", "client=%s disconnect code=%u reason=%s", c->id, code, reason);
    if (!flush)
        outq_free(&c->q);
    lws_callback_on_writable(c->wsi);
    /* a peer that never reads never makes us writeable: hard stop in 5 s */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 5);
}

/* Puts c on the server's flush list (holding a reference), so everything
 * queued for it during this loop turn goes out in one write from
 * client_flush_dirty(). Falls back to a writeable callback if the list
 * cannot grow. */
static void mark_dirty(struct client *c)
{
    struct node *node = c->node;
    if (node->ndirty == node->capdirty) {
        uint32_t ncap = node->capdirty ? node->capdirty * 2 : 256;
        struct client **nd = realloc(node->dirty, sizeof(*nd) * ncap);
        if (!nd) {
            lws_callback_on_writable(c->wsi);
            return;
        }
        node->dirty = nd;
        node->capdirty = ncap;
    }
    c->dirty = true;
    client_hold(c);
    node->dirty[node->ndirty++] = c;
}

int client_send(struct client *c, struct frame *f)
{
    if (c->state == CLIENT_CLOSING || !c->wsi)
        return -EPIPE;
    int r = outq_push(&c->q, f, c->node->cfg->client_queue_max_size, c->lws_held);
    if (r) { /* the overflow path; r == 0 is the only fast-path result */
        if (r == OUTQ_DROPPED) {
            c->node->stats.frames_dropped++; /* a droppable frame gave way: the reader stays */
            return 0;
        }
        if (r == OUTQ_EVICTED) {
            c->node->stats.frames_dropped += c->q.evicted; /* f is queued */
        } else if (r == -ENOBUFS) {
            c->node->stats.queue_overflows++;
            client_disconnect(c, DISC_SLOW, NULL, false);
            return r;
        } else {
            return r;
        }
    }
    c->node->stats.messages_out++;
    if (!c->dirty)
        mark_dirty(c);
    return 0;
}

int client_try_send_reply(struct client *c, const struct reply *r)
{
    struct wbuf b;
    wbuf_init(&b);
    b.max = c->node->cfg->client_queue_max_size;
    int rc = proto_encode_reply(c->wire, &b, r);
    if (b.over) {
        wbuf_free(&b);
        c->node->stats.replies_too_large++;
        return -E2BIG;
    }
    if (rc == -EINVAL && r->kind != REPLY_ERROR) {
        /* a payload this wire cannot carry: the command fails, the
         * connection stays (never 3506: the SDK treats it as terminal) */
        wbuf_free(&b);
        return client_send_error(c, r->id, ERR_INTERNAL, NULL);
    }
    struct frame *f = rc == 0 ? wbuf_finish(&b) : NULL;
    if (!f) {
        wbuf_free(&b);
        client_disconnect(c, DISC_INTERNAL, NULL, false);
        return -ENOMEM;
    }
    rc = client_send(c, f);
    frame_unref(f);
    if (rc == 0)
        c->urgent = true; /* a command waits for this: not held back by a deferred fan-out */
    return rc;
}

int client_send_reply(struct client *c, const struct reply *r)
{
    int rc = client_try_send_reply(c, r);
    if (rc == -E2BIG)
        client_send_error(c, r->id, ERR_LIMIT_EXCEEDED, NULL);
    return rc;
}

int client_send_error(struct client *c, uint32_t id, uint32_t code, const char *message)
{
    struct reply r = {.id = id, .kind = REPLY_ERROR, .err_code = code,
                      .err_message = message ? message : proto_error_message(code),
                      .err_temporary = code == ERR_INTERNAL || code == ERR_TOO_MANY_REQUESTS};
    return client_send_reply(c, &r);
}

static int process_message(struct client *c, uint8_t *buf, size_t len)
{
    struct proto_reader rd;
    proto_reader_init(&rd, c->wire, buf, len);
    for (;;) {
        struct cmd cmd;
        int r = proto_read_next(&rd, &cmd);
        if (r == 0)
            return 0;
        if (r < 0) {
            client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
            return 0;
        }
        c->node->stats.messages_in++;
        if (client_dispatch(c, &cmd) != 0 || c->state == CLIENT_CLOSING)
            return 0;
    }
}

int client_on_receive(struct client *c, void *in, size_t len, bool first, bool final,
                      size_t remaining, bool binary)
{
    const struct config *cfg = c->node->cfg;
    c->node->stats.bytes_in += len;
    if (c->state == CLIENT_CLOSING)
        return 0; /* decided already: drop input */
    if (binary != (c->wire == WIRE_MSGPACK)) {
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
        return 0;
    }
    bool whole = first && final && remaining == 0 && c->rx_len == 0;
    if (whole) {
        if (len > cfg->max_message_size) {
            lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)"message too big", 15);
            return -1;
        }
        return process_message(c, in, len), 0;
    }
    /* fragmented (or larger than lws's rx buffer): reassemble, bounded */
    if (first && c->rx_len) /* protocol violation guarded by lws; be safe */
        c->rx_len = 0;
    if (c->rx_len + len > cfg->max_message_size) {
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)"message too big", 15);
        return -1;
    }
    if (c->rx_len + len > c->rx_cap) {
        /* room for the rest of this frame (lws says how much follows), so a
         * command split by the small rx buffer takes one small allocation */
        size_t ncap = c->rx_cap ? c->rx_cap : c->rx_len + len + remaining;
        if (ncap < 256)
            ncap = 256;
        while (ncap < c->rx_len + len)
            ncap *= 2;
        if (ncap > cfg->max_message_size)
            ncap = cfg->max_message_size;
        uint8_t *nb = realloc(c->rx, ncap);
        if (!nb)
            return -1;
        c->rx = nb;
        c->rx_cap = (uint32_t)ncap; /* <= max_message_size */
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += (uint32_t)len; /* checked against max_message_size above */
    if (!final || remaining)
        return 0;
    size_t n = c->rx_len;
    c->rx_len = 0;
    process_message(c, c->rx, n);
    /* messages larger than lws's rx buffer are rare (a connect with a token):
     * an idle client keeps no reassembly buffer */
    free(c->rx);
    c->rx = NULL;
    c->rx_cap = 0;
    return 0;
}

/* Packs as many queued messages as fit (NODE_BATCH_MAX bytes) into one
 * WebSocket frame and writes it with one lws_write(): JSON messages joined by
 * '\n', msgpack concatenated. A lone message is written straight from its
 * shared frame, using the frame's LWS_PRE headroom (no copy). Returns 0, or -1
 * when the socket failed. */
static int write_batch(struct client *c)
{
    struct node *node = c->node;
    enum lws_write_protocol wp = c->wire == WIRE_JSON ? LWS_WRITE_TEXT : LWS_WRITE_BINARY;
    size_t sep = proto_batch_sep_len(c->wire);
    struct frame *f0 = outq_peek(&c->q, 0);
    uint32_t take = 1;
    size_t total = f0->len;
    while (take < c->q.count) {
        struct frame *f = outq_peek(&c->q, take);
        if (total + sep + f->len > NODE_BATCH_MAX)
            break;
        total += sep + f->len;
        take++;
    }
    int n;
    if (take == 1) {
        n = lws_write(c->wsi, frame_data(f0), f0->len, wp);
    } else {
        uint8_t *out = node->scratch + LWS_PRE, *w = out;
        for (uint32_t i = 0; i < take; i++) {
            struct frame *f = outq_peek(&c->q, i);
            if (i && sep)
                *w++ = '\n';
            memcpy(w, frame_data(f), f->len);
            w += f->len;
        }
        n = lws_write(c->wsi, out, total, wp);
    }
    for (uint32_t i = 0; i < take; i++)
        outq_pop(&c->q);
    if (n < 0 || (size_t)n < total)
        return -1;
    /* lws 4.1 reports a partial send as complete and copies the unsent rest
     * into its own buffer (buflist_out). That copy is still this client's
     * memory: count the whole write (an upper bound on the rest) against the
     * queue limit until lws says its buffer drained (release_lws_held). */
    c->lws_held = lws_partial_buffered(c->wsi) ? (uint32_t)(total + LWS_PRE) : 0;
    node->stats.frames_out++;
    node->stats.bytes_out += total;
    return 0;
}

/* LWS_CALLBACK_SERVER_WRITEABLE: the socket took everything lws had buffered
 * (or a close is pending). Writes one batch (lws allows one write per
 * writeable callback) and asks again while messages remain. */
/* lws calls WRITEABLE (and we flush) only after its partial buffer drained. */
static void release_lws_held(struct client *c)
{
    if (c->lws_held && !lws_partial_buffered(c->wsi))
        c->lws_held = 0;
}

int client_on_writeable(struct client *c)
{
    if (!c->wsi)
        return -1;
    release_lws_held(c);
    if (c->q.count == 0) {
        if (c->state == CLIENT_CLOSING && !c->close_sent) {
            /* lws 4.1 kills the socket without a close frame when a
             * WRITEABLE callback returns -1; from a timer callback the
             * close frame with our code and reason goes out (client_on_timer) */
            lws_set_timer_usecs(c->wsi, 1);
        }
        return 0;
    }
    if (write_batch(c) != 0) {
        c->close_code = DISC_WRITE_ERROR;
        return -1;
    }
    if (c->q.count || c->state == CLIENT_CLOSING)
        lws_callback_on_writable(c->wsi);
    return 0;
}

/* The per-loop-turn flush (uv_check, after all I/O of this turn): every
 * client that got messages since the last pass writes them now, straight
 * from here, one frame per NODE_BATCH_MAX bytes, without a writeable
 * callback round trip (which costs two epoll_ctl calls per delivery). Only
 * when lws still holds part of an earlier write (the socket is full) does the
 * client wait for a writeable callback instead. Closing clients always take
 * the writeable path, which sends their close frame after the queue. */
static void flush_one(struct client *c)
{
    if (!c->wsi || c->state == CLIENT_CLOSING)
        return;
    release_lws_held(c);
    while (c->q.count) {
        if (lws_partial_buffered(c->wsi)) {
            lws_callback_on_writable(c->wsi);
            return;
        }
        if (write_batch(c) != 0) {
            /* the socket is gone: let lws close it outside this pass */
            c->close_code = DISC_WRITE_ERROR;
            c->state = CLIENT_CLOSING;
            outq_free(&c->q);
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
            return;
        }
    }
}

void client_flush_dirty(struct node *node, bool urgent_only)
{
    /* flushing never queues new messages, but index the array anyway; the
     * clients that wait for the deferred pass are packed to the front */
    uint32_t keep = 0, repeats = 0, written = 0;
    uint16_t pass = (uint16_t)(node->flush_pass + 1), prev = node->flush_pass;
    for (uint32_t i = 0; i < node->ndirty; i++) {
        struct client *c = node->dirty[i];
        if (urgent_only && !c->urgent) {
            node->dirty[keep++] = c;
            continue;
        }
        if (!urgent_only) {
            repeats += c->pass == prev;
            written++;
            c->pass = pass;
        }
        c->dirty = false;
        c->urgent = false;
        flush_one(c);
        client_release(c);
    }
    node->ndirty = keep;
    if (!urgent_only) {
        node->flush_pass = pass;
        node->flush_written = written;
        node->flush_repeats = repeats;
    }
}

/* Hands the close frame to lws, once. lws sends it and waits for the peer's
 * close (PENDING_TIMEOUT_CLOSE_ACK, 5 s), reading and discarding whatever
 * the peer still sends. Closing the socket now, with that input unread,
 * would make the kernel answer with a TCP reset that destroys the close
 * frame in flight; so a second timer or WRITEABLE (lws delivers one after
 * the close frame) must not close it again. A well-behaved peer answers the
 * close at once; for one that does not (a hostile peer, or one in the middle
 * of a frame it announced as huge) the wait is cut to about 1.5 s: a timer
 * armed here fires after 0.5 s while lws waits and sets lws's own timeout
 * (whole seconds) to 1 s from then. */
int client_on_timer(struct client *c)
{
    if (!c->wsi || c->state != CLIENT_CLOSING)
        return 0;
    if (c->close_sent) {
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_ACK, 1);
        return 0;
    }
    c->close_sent = true;
    lws_set_timer_usecs(c->wsi, LWS_USEC_PER_SEC / 2);
    const char *why = c->close_reason ? c->close_reason : "";
    lws_close_reason(c->wsi, (enum lws_close_status)c->close_code, (unsigned char *)why, strlen(why));
    return -1;
}

void client_tick(struct client *c, int64_t now)
{
    const struct config *cfg = c->node->cfg;
    if (!c->dirty)
        outq_trim(&c->q); /* an idle client keeps no queue memory */
    switch (c->state) {
    case CLIENT_NEW:
    case CLIENT_FAILED:
        if (now - c->created_ms >= (int64_t)cfg->stale_close_delay * 1000)
            client_disconnect(c, DISC_STALE, NULL, false);
        return;
    case CLIENT_CLOSING:
        return;
    case CLIENT_CONNECTED:
        break;
    }
    if (c->pong_deadline_ms && now >= c->pong_deadline_ms) {
        client_disconnect(c, DISC_NO_PONG, NULL, false);
        return;
    }
    if (c->expires_ms && now >= c->expires_ms + (int64_t)cfg->expired_close_delay * 1000) {
        client_disconnect(c, DISC_EXPIRED, NULL, true);
        return;
    }
    if (c->nexpiring)
        client_check_sub_expiry(c, now);
    if (c->state != CLIENT_CONNECTED)
        return;
    if (now >= c->next_ping_ms) {
        c->next_ping_ms = now + (int64_t)cfg->ping_interval * 1000;
        if (client_send(c, c->node->ping[c->wire]) == 0 && cfg->pong_timeout && !c->pong_deadline_ms)
            c->pong_deadline_ms = now + (int64_t)cfg->pong_timeout * 1000;
    }
}
