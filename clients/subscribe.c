/* clients/subscribe.c — a connection's subscriptions: subscribe (private
 * channels and subscription tokens, permissions, positioning and recovery
 * through the engine's pending window), server-side subscriptions (token
 * "channels", API subscribe), unsubscribe, sub_refresh and subscription
 * token expiry, and fan-out delivery to a subscription (offset continuity,
 * insufficient state). A struct sub is owned by its client; the hub only
 * links it; an engine call in flight marks it inflight and its callback
 * frees it if it was removed meanwhile. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/access.h"
#include "clients/auth.h"
#include "clients/client.h"
#include "clients/commands_internal.h"
#include "node/node.h"
#include "protocol/errors.h"

/* ---- subscribe ---- */

struct sub_ctx {            /* one subscribe waiting for the engine's history answer */
    struct client *c;       /* held ref */
    struct sub *s;          /* owned by c */
    uint32_t id;
    bool recover;
    uint64_t req_offset;
};

static void sub_free(struct sub *s)
{
    free(s->chan_info);
    free(s);
}

/* The subscribe result's expires/ttl for a subscription token's expiry. */
static void sub_expiry(const struct client *c, const struct sub *s, struct reply *r)
{
    if (s->expires_ms) {
        r->expires = true;
        r->ttl = auth_ttl((s->expires_ms - node_now_ms(c->node) + 999) / 1000, 0);
    }
}

void after_subscribed(struct client *c, struct sub *s)
{
    struct engine *e = c->node->engine;
    struct store *st = c->node->store;
    struct span ch = {(const uint8_t *)s->channel, s->channel_len};
    struct clientinfo ci = cmd_my_info(c, s);
    if (s->ns->presence)
        st->ops->presence_add(st, ch, &ci);
    if (s->ns->join_leave)
        e->ops->publish_join(e, ch, &ci, false);
    members_notify(&c->node->members, s->ns, ch, &ci, true);
}

/* Creates sub for channel ch in namespace ns and links it into its room.
 * Returns it, or NULL with *code set to the client error (105, 106, 100). */
static struct sub *sub_new(struct client *c, struct span ch, const struct ns_config *ns,
                           uint32_t *code)
{
    if (client_find_sub(c, ch))
        return *code = ERR_ALREADY_SUBSCRIBED, NULL;
    if (c->nsubs >= c->node->cfg->max_channels_per_client)
        return *code = ERR_LIMIT_EXCEEDED, NULL;
    *code = ERR_INTERNAL;
    if (c->nsubs == c->capsubs) {
        uint32_t ncap = c->capsubs ? c->capsubs * 2 : 2; /* 2 pointers: glibc's smallest chunk */
        struct sub **ns2 = realloc(c->subs, sizeof(*ns2) * ncap);
        if (!ns2)
            return NULL;
        c->subs = ns2;
        c->capsubs = (uint16_t)ncap; /* nsubs < max_channels_per_client <= 32768 here */
    }
    struct sub *s = calloc(1, sizeof(*s) + ch.n + 1);
    if (!s)
        return NULL;
    memcpy(s->channel, ch.p, ch.n);
    s->channel_len = ch.n;
    s->client = c;
    s->wire = c->wire;
    s->ns = ns;
    if (hub_link(&c->node->hub, s) != 0) {
        sub_free(s);
        return NULL;
    }
    c->subs[c->nsubs++] = s;
    return s;
}

/* A server-side subscription (connection token "channels", API subscribe):
 * plain pub/sub with presence and join/leave, no positioning. Channels that
 * are malformed, in no namespace or already subscribed are skipped. The
 * caller tells the client and then calls after_subscribed(). */
struct sub *server_sub_new(struct client *c, const char *channel)
{
    struct span ch = span_str(channel);
    /* server-side: no client permission check (the token or the API chose) */
    struct gate_sub gs = {.channel = ch, .origin = GATE_API, .user = c->user, .client = c->id,
                          .binary_ok = c->wire != WIRE_JSON};
    uint32_t code;
    const char *msg;
    const struct ns_config *ns = gate_subscribe(&c->node->gate, &gs, &code, &msg);
    if (!ns)
        return NULL;
    struct sub *s = sub_new(c, ch, ns, &code);
    if (s) {
        s->server_side = true;
        s->push_join_leave = ns->join_leave;
    }
    return s;
}

int client_server_subscribe(struct client *c, const char *channel)
{
    if (c->state != CLIENT_CONNECTED)
        return ERR_INTERNAL;
    struct sub *s = server_sub_new(c, channel);
    if (!s) {
        const struct ns_config *ns = config_find_ns(c->node->cfg, channel, strlen(channel));
        return client_find_sub(c, span_str(channel)) ? ERR_ALREADY_SUBSCRIBED
               : ns && !cmd_wire_carries(c, ns) ? ERR_NOT_AVAILABLE
                                                : ERR_UNKNOWN_CHANNEL;
    }
    struct wbuf b;
    wbuf_init(&b);
    struct frame *f = NULL;
    struct span ch = {(const uint8_t *)s->channel, s->channel_len};
    if (proto_encode_push_subscribe(c->wire, &b, ch) == 0)
        f = wbuf_finish(&b);
    else
        wbuf_free(&b);
    if (!f || client_send(c, f) != 0) {
        frame_unref(f);
        if (c->state != CLIENT_CLOSING)
            client_remove_sub(c, s, false);
        return ERR_INTERNAL;
    }
    frame_unref(f);
    after_subscribed(c, s);
    return 0;
}

/* Sends the subscribe reply (with recovered publications), then whatever
 * arrived live while we read the stream, de-duplicated by offset. */
static void on_sub_history(void *arg, const struct history_result *res)
{
    struct sub_ctx *x = arg;
    struct client *c = x->c;
    struct sub *s = x->s;
    s->inflight = false;
    if (!s->room) { /* removed while the engine worked (client gone, unsubscribed) */
        sub_free(s);
        /* every command gets a reply; the subscription did not survive */
        if (c->state != CLIENT_CLOSING)
            client_send_error(c, x->id, ERR_INTERNAL, NULL);
        goto out;
    }
    if (c->state == CLIENT_CLOSING)
        goto out;
    if (res->err && res->err != ENGINE_EUNRECOVERABLE) {
        uint32_t n;
        free(sub_take_buffer(s, &n)); /* nothing buffered can be trusted */
        client_send_error(c, x->id, ERR_INTERNAL, NULL);
        client_remove_sub(c, s, false);
        goto out;
    }
    bool recovered = false;
    size_t npubs = 0;
    if (x->recover && !res->err) {
        if (res->npubs == 0)
            recovered = res->top == x->req_offset;
        else
            recovered = res->pubs[0]->offset == x->req_offset + 1 &&
                        res->pubs[res->npubs - 1]->offset == res->top;
        if (recovered)
            npubs = res->npubs;
    }
    struct reply r = {.id = x->id, .kind = REPLY_SUBSCRIBE, .recoverable = s->recoverable,
                      .positioned = s->positioned, .epoch = res->epoch,
                      .offset = recovered ? x->req_offset : res->top, .recovered = recovered,
                      .was_recovering = x->recover, .pubs = res->pubs, .npubs = npubs};
    sub_expiry(c, s, &r);
    snprintf(s->epoch, sizeof(s->epoch), "%s", res->epoch ? res->epoch : "");
    s->offset = recovered && npubs ? res->pubs[npubs - 1]->offset : r.offset;
    uint32_t nbuf;
    struct publication **buf = sub_take_buffer(s, &nbuf);
    int rc = client_try_send_reply(c, &r);
    if (rc == -E2BIG && npubs) {
        /* the recovered publications do not fit the client's queue
         * (client_queue_max_size): subscribe at the top, not recovered, as
         * when the stream has moved past the client's position */
        r.recovered = false;
        r.npubs = 0;
        r.offset = res->top;
        s->offset = res->top;
        rc = client_try_send_reply(c, &r);
    }
    if (rc == -E2BIG) {
        client_send_error(c, x->id, ERR_LIMIT_EXCEEDED, NULL);
        client_remove_sub(c, s, false);
    }
    if (rc == 0) {
        for (uint32_t i = 0; i < nbuf && c->state != CLIENT_CLOSING; i++)
            client_deliver_pub(s, buf[i]);
        if (c->state != CLIENT_CLOSING && s->room)
            after_subscribed(c, s);
    }
    for (uint32_t i = 0; i < nbuf; i++)
        publication_unref(buf[i]);
    free(buf);
out:
    client_release(c);
    free(x);
}

/* Subscription token check. Returns 0 (claims in *sc, or none without a
 * token), a client error code (103, 109), or -1 after disconnecting (3500:
 * the token is for another channel, user or client). */
static int sub_token(struct client *c, const struct cmd *cmd, const struct ns_config *ns,
                     struct auth_claims *sc)
{
    memset(sc, 0, sizeof(*sc));
    struct span ch = cmd->channel;
    (void)ns;
    if (!cmd->token.n) /* the gate checked the namespace rule (gate_subscribe) */
        return 0;
    enum auth_result ar = auth_verify_subscription(c->node->cfg->verifier, cmd->token.p,
                                                   cmd->token.n, cmd_now_s(c), sc);
    if (ar == AUTH_EXPIRED)
        return ERR_TOKEN_EXPIRED;
    if (ar != AUTH_OK)
        return ERR_PERMISSION_DENIED;
    if (!span_eq(ch, sc->channel, strlen(sc->channel)) || strcmp(sc->sub, c->user) != 0 ||
        (sc->client && strcmp(sc->client, c->id) != 0)) {
        auth_claims_free(sc);
        client_disconnect(c, DISC_INVALID_TOKEN, NULL, true);
        return -1;
    }
    return 0;
}

static void sub_set_token(struct client *c, struct sub *s, struct auth_claims *sc)
{
    if (s->expires_ms && !sc->exp)
        c->nexpiring--;
    else if (!s->expires_ms && sc->exp)
        c->nexpiring++;
    s->expires_ms = sc->exp * 1000; /* exp <= AUTH_MAX_DATE: no overflow */
    if (sc->info && !s->chan_info) { /* fixed once presence/joins carry it */
        free(s->chan_info);
        s->chan_info = sc->info;
        s->chan_info_len = sc->info_len;
        sc->info = NULL;
    }
}

int cmd_subscribe(struct client *c, struct cmd *cmd)
{
    const struct config *cfg = c->node->cfg;
    if (cmd->channel.n == 0) {
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
        return -1;
    }
    /* name, namespace, binary namespace on a JSON wire (108), the namespace
     * rule when there is no subscription token, subscribe hooks */
    struct gate_sub gs = {.channel = cmd->channel, .origin = GATE_CLIENT, .user = c->user,
                          .client = c->id, .binary_ok = c->wire != WIRE_JSON,
                          .check_access = cmd->token.n == 0, .subject = cmd_subject(c)};
    uint32_t gcode;
    const char *gmsg;
    const struct ns_config *ns = gate_subscribe(&c->node->gate, &gs, &gcode, &gmsg);
    if (!ns)
        return client_send_error(c, cmd->id, gcode, gmsg), 0;
    struct auth_claims sc;
    int code = sub_token(c, cmd, ns, &sc);
    if (code < 0)
        return -1;
    if (code == ERR_PERMISSION_DENIED)
        return client_send_error(c, cmd->id, ERR_PERMISSION_DENIED, NULL), 0;
    if (code == ERR_TOKEN_EXPIRED)
        return client_send_error(c, cmd->id, ERR_TOKEN_EXPIRED, NULL), 0;
    struct engine *eng = c->node->engine;
    if (eng->ops->available && eng->ops->available(eng, cmd->channel) != 0) {
        auth_claims_free(&sc);
        return client_send_error(c, cmd->id, ERR_INTERNAL, NULL), 0; /* temporary */
    }
    uint32_t err;
    struct sub *s = sub_new(c, cmd->channel, ns, &err);
    if (!s) {
        auth_claims_free(&sc);
        return client_send_error(c, cmd->id, err, NULL), 0;
    }
    sub_set_token(c, s, &sc);
    auth_claims_free(&sc);
    bool history = ns_has_history(ns);
    s->push_join_leave = ns->join_leave && cmd->join_leave;
    s->recoverable = history && (ns->force_recovery || cmd->recoverable);
    s->positioned = s->recoverable || (history && (ns->force_positioning || cmd->positioned));
    s->pending = s->positioned;

    if (!s->positioned) {
        struct reply r = {.id = cmd->id, .kind = REPLY_SUBSCRIBE};
        sub_expiry(c, s, &r);
        if (client_send_reply(c, &r) != 0)
            return -1;
        after_subscribed(c, s);
        return 0;
    }
    struct sub_ctx *x = malloc(sizeof(*x));
    if (!x) {
        client_remove_sub(c, s, false);
        return client_send_error(c, cmd->id, ERR_INTERNAL, NULL), 0;
    }
    *x = (struct sub_ctx){.c = c, .s = s, .id = cmd->id,
                          .recover = cmd->recover && s->recoverable, .req_offset = cmd->offset};
    struct history_query q = {.limit = 0};
    if (x->recover) {
        q.has_since = true;
        q.since_offset = cmd->offset;
        q.since_epoch = cmd->epoch;
        q.limit = (int32_t)cfg->recovery_max_limit;
    }
    client_hold(c);
    s->inflight = true;
    int r = gate_history(&c->node->gate, cmd->channel, ns, &q, on_sub_history, x);
    if (r != 0) {
        s->inflight = false;
        client_release(c);
        free(x);
        client_remove_sub(c, s, false);
        client_send_error(c, cmd->id, ERR_INTERNAL, NULL);
    }
    return c->state == CLIENT_CLOSING ? -1 : 0;
}

/* sub_refresh: a new subscription token for a subscribed channel. An
 * expired one ends the subscription with 2501 so the SDK resubscribes with
 * a fresh token (the 109 reply then reaches a subscription that is already
 * resubscribing, which ignores it). */
int cmd_sub_refresh(struct client *c, struct cmd *cmd)
{
    if (cmd->channel.n == 0 || cmd->token.n == 0) {
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
        return -1;
    }
    struct sub *s = client_find_sub(c, cmd->channel);
    if (!s)
        return client_send_error(c, cmd->id, ERR_PERMISSION_DENIED, NULL), 0;
    struct auth_claims sc;
    int code = sub_token(c, cmd, s->ns, &sc);
    if (code < 0)
        return -1;
    if (code == ERR_TOKEN_EXPIRED) {
        client_unsubscribe_push(c, s, UNSUB_EXPIRED, NULL);
        return client_send_error(c, cmd->id, ERR_TOKEN_EXPIRED, NULL), 0;
    }
    if (code)
        return client_send_error(c, cmd->id, (uint32_t)code, "permission denied"), 0;
    sub_set_token(c, s, &sc);
    auth_claims_free(&sc);
    struct reply r = {.id = cmd->id, .kind = REPLY_SUB_REFRESH};
    sub_expiry(c, s, &r);
    return client_send_reply(c, &r) == 0 ? 0 : -1;
}

void client_check_sub_expiry(struct client *c, int64_t now)
{
    int64_t grace = (int64_t)c->node->cfg->expired_sub_close_delay * 1000;
    for (uint32_t i = c->nsubs; i-- > 0 && c->state == CLIENT_CONNECTED;) {
        struct sub *s = c->subs[i];
        if (!s->expires_ms || now < s->expires_ms + grace)
            continue;
        if (s->server_side)
            client_disconnect(c, DISC_SUB_EXPIRED, NULL, true);
        else
            client_unsubscribe_push(c, s, UNSUB_EXPIRED, NULL);
    }
}

void client_remove_sub(struct client *c, struct sub *s, bool emit_leave)
{
    struct engine *e = c->node->engine;
    struct store *st = c->node->store;
    struct span ch = {(const uint8_t *)s->channel, s->channel_len};
    bool was_active = s->room && !s->pending;
    hub_unlink(&c->node->hub, s);
    for (uint32_t i = 0; i < c->nsubs; i++)
        if (c->subs[i] == s) {
            c->subs[i] = c->subs[--c->nsubs];
            break;
        }
    if (s->expires_ms)
        c->nexpiring--;
    if (was_active) {
        if (s->ns->presence)
            st->ops->presence_remove(st, ch, (struct span){(const uint8_t *)c->id, UUID_STR_LEN});
        struct clientinfo ci = cmd_my_info(c, s);
        if (emit_leave && s->ns->join_leave)
            e->ops->publish_join(e, ch, &ci, true);
        members_notify(&c->node->members, s->ns, ch, &ci, false);
    }
    if (!s->inflight)
        sub_free(s);
}

int cmd_unsubscribe(struct client *c, struct cmd *cmd)
{
    if (cmd->channel.n == 0) {
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
        return -1;
    }
    struct sub *s = client_find_sub(c, cmd->channel);
    if (s)
        client_remove_sub(c, s, true);
    struct reply r = {.id = cmd->id, .kind = REPLY_UNSUBSCRIBE};
    return client_send_reply(c, &r) == 0 ? 0 : -1;
}

/* ---- fan-out delivery ---- */

void client_deliver_frame(struct sub *s, struct frame *f) { client_send(s->client, f); }

void client_unsubscribe_push(struct client *c, struct sub *s, uint32_t code, const char *reason)
{
    if (!reason)
        reason = proto_error_message(code);
    struct wbuf b;
    wbuf_init(&b);
    struct span ch = {(const uint8_t *)s->channel, s->channel_len};
    struct frame *f = NULL;
    if (proto_encode_push_unsubscribe(c->wire, &b, ch, code, reason) == 0)
        f = wbuf_finish(&b);
    else
        wbuf_free(&b);
    client_remove_sub(c, s, true);
    if (f) {
        client_send(c, f);
        frame_unref(f);
    }
}

static void insufficient_state(struct client *c, struct sub *s)
{
    if (s->server_side)
        client_disconnect(c, DISC_INSUFFICIENT_STATE, NULL, true);
    else
        client_unsubscribe_push(c, s, UNSUB_INSUFFICIENT_STATE, NULL);
}

void client_deliver_gap(struct sub *s)
{
    if (s->client->state != CLIENT_CLOSING)
        insufficient_state(s->client, s);
}

void client_deliver_pub(struct sub *s, struct publication *pub)
{
    struct client *c = s->client;
    if (c->state == CLIENT_CLOSING)
        return;
    if (s->positioned && pub->offset) {
        if (pub->offset <= s->offset)
            return; /* already delivered (recovery overlap) */
        if (pub->offset != s->offset + 1) {
            insufficient_state(c, s);
            return;
        }
        s->offset = pub->offset;
    }
    /* NULL: out of memory, or a payload JSON cannot carry (history from
     * before publish-time checks, another node's data) — that publication
     * is skipped for this subscriber; the connection is never closed for it
     * (its offset above still moves past it) */
    struct frame *f = publication_push_frame(pub, c->wire);
    if (f)
        client_send(c, f);
}
