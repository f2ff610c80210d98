/* clients/commands.c — what each protocol command does: connect, subscribe
 * (with positioning/recovery), unsubscribe, publish, presence, presence_stats,
 * history, rpc, send, refresh, sub_refresh; plus fan-out delivery to a
 * subscription (offset continuity checks). Error codes and disconnect codes
 * follow the Centrifuge protocol digest §5. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "auth.h"
#include "client.h"
#include "log.h"
#include "server.h"

static bool span_eq(struct span a, const char *s, size_t n)
{
    return a.n == n && memcmp(a.p, s, n) == 0;
}

struct sub *client_find_sub(struct client *c, struct span ch)
{
    for (uint32_t i = 0; i < c->nsubs; i++)
        if (span_eq(ch, c->subs[i]->channel, c->subs[i]->channel_len))
            return c->subs[i];
    return NULL;
}

/* The client's ClientInfo; with s, the subscription's chan_info too. */
static struct clientinfo my_info(const struct client *c, const struct sub *s)
{
    struct clientinfo ci = {
        .user = span_str(c->user),
        .client = {(const uint8_t *)c->id, UUID_STR_LEN},
        .conn_info = {(const uint8_t *)c->conn_info, c->conn_info_len},
    };
    if (s)
        ci.chan_info = (struct span){(const uint8_t *)s->chan_info, s->chan_info_len};
    return ci;
}

static uint32_t subject(const struct client *c)
{
    return access_subject(c->roles, c->user[0] == 0);
}

/* Checks name and namespace of a channel. Returns the namespace, or NULL
 * after replying (107 bad name, 102 unknown namespace) or disconnecting
 * (3501 empty channel). */
static const struct ns_config *check_channel(struct client *c, const struct cmd *cmd)
{
    struct span ch = cmd->channel;
    if (ch.n == 0) {
        client_disconnect(c, 3501, "bad request", true);
        return NULL;
    }
    if (!config_channel_name_ok(c->srv->cfg, (const char *)ch.p, ch.n)) {
        client_send_error(c, cmd->id, 107, "bad request");
        return NULL;
    }
    const struct ns_config *ns = config_find_ns(c->srv->cfg, (const char *)ch.p, ch.n);
    if (!ns)
        client_send_error(c, cmd->id, 102, "unknown channel");
    return ns;
}

/* May c read presence/history of (or publish into) channel? Private
 * channels need a subscription; otherwise the namespace rule decides. */
static bool may(struct client *c, const struct ns_config *ns, struct span ch, enum access_op op)
{
    if (config_channel_private(ns, (const char *)ch.p, ch.n) && !client_find_sub(c, ch))
        return false;
    return access_allows(ns->rules[op], subject(c));
}

static int64_t now_s(void) { return server_now_ms() / 1000; }

static struct sub *server_sub_new(struct client *c, const char *channel);
static void after_subscribed(struct client *c, struct sub *s);

/* ---- connect, refresh ---- */

static int cmd_connect(struct client *c, struct cmd *cmd)
{
    const struct config *cfg = c->srv->cfg;
    if (c->state != CLIENT_NEW) {
        client_disconnect(c, 3501, "bad request", true);
        return -1;
    }
    struct auth_claims cl = {0};
    if (cmd->token.n) {
        enum auth_result ar =
            auth_verify_connection(cfg->verifier, cmd->token.p, cmd->token.n, now_s(), &cl);
        if (ar == AUTH_EXPIRED) {
            c->state = CLIENT_FAILED;
            client_send_error(c, cmd->id, 109, "token expired");
            return 0;
        }
        if (ar != AUTH_OK) {
            client_disconnect(c, 3500, "invalid token", true);
            return -1;
        }
    } else if (!cfg->allow_anonymous) {
        client_disconnect(c, 3501, "bad request", true);
        return -1;
    } else {
        cl.sub = strdup("");
        if (!cl.sub) {
            client_disconnect(c, 3004, "internal server error", false);
            return -1;
        }
    }
    c->user = cl.sub;
    c->conn_info = cl.info;
    c->conn_info_len = cl.info_len;
    c->roles = cl.roles;
    c->expires_ms = cl.exp * 1000;
    cl.sub = cl.info = NULL; /* now the client's */
    c->state = CLIENT_CONNECTED;
    if (cl.nchannels > cfg->max_channels_per_client) {
        auth_claims_free(&cl);
        client_disconnect(c, 3505, "channel limit", true);
        return -1;
    }
    /* server-side subscriptions from the token's "channels" */
    struct span *subs = NULL;
    size_t nsubs = 0;
    if (cl.nchannels && !(subs = calloc(cl.nchannels, sizeof(*subs)))) {
        auth_claims_free(&cl);
        client_disconnect(c, 3004, "internal server error", false);
        return -1;
    }
    for (uint32_t i = 0; i < cl.nchannels; i++) {
        struct sub *s = server_sub_new(c, cl.channels[i]);
        if (s)
            subs[nsubs++] = (struct span){(const uint8_t *)s->channel, s->channel_len};
    }
    int64_t now = server_now_ms();
    /* first ping at a random point in [interval/2, interval) spreads the load */
    int64_t iv = (int64_t)cfg->ping_interval * 1000;
    c->next_ping_ms = now + iv / 2 + (int64_t)rand_below((unsigned)(iv / 2 > 0 ? iv / 2 : 1));
    struct reply r = {.id = cmd->id, .kind = REPLY_CONNECT, .client = c->id,
                      .version = HEARTH_VERSION, .ping = cfg->ping_interval,
                      .pong = cfg->pong_timeout > 0};
    if (cl.exp) {
        r.expires = true;
        r.ttl = (uint32_t)(cl.exp - now / 1000);
    }
    r.subs = subs;
    r.nsubs = nsubs;
    int rc = client_send_reply(c, &r);
    /* joins/presence only after the client learnt it is subscribed */
    for (uint32_t i = 0; i < c->nsubs && rc == 0; i++)
        if (c->subs[i]->server_side)
            after_subscribed(c, c->subs[i]);
    free(subs);
    auth_claims_free(&cl);
    return rc == 0 ? 0 : -1;
}

static int cmd_refresh(struct client *c, struct cmd *cmd)
{
    if (cmd->token.n == 0) {
        client_disconnect(c, 3501, "bad request", true);
        return -1;
    }
    struct auth_claims cl;
    enum auth_result ar = auth_verify_connection(c->srv->cfg->verifier, cmd->token.p,
                                                 cmd->token.n, now_s(), &cl);
    if (ar == AUTH_EXPIRED) {
        client_disconnect(c, 3005, "connection expired", true);
        return -1;
    }
    if (ar != AUTH_OK || strcmp(cl.sub, c->user) != 0) {
        if (ar == AUTH_OK)
            auth_claims_free(&cl);
        client_disconnect(c, 3500, "invalid token", true);
        return -1;
    }
    c->expires_ms = cl.exp * 1000;
    c->roles = cl.roles;
    struct reply r = {.id = cmd->id, .kind = REPLY_REFRESH};
    if (cl.exp) {
        r.expires = true;
        r.ttl = (uint32_t)(cl.exp - now_s());
    }
    auth_claims_free(&cl);
    return client_send_reply(c, &r) == 0 ? 0 : -1;
}

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
static void sub_expiry(const struct sub *s, struct reply *r)
{
    if (s->expires_ms) {
        int64_t left = (s->expires_ms - server_now_ms() + 999) / 1000;
        r->expires = true;
        r->ttl = left > 0 ? (uint32_t)left : 1;
    }
}

static void after_subscribed(struct client *c, struct sub *s)
{
    struct engine *e = c->srv->engine;
    struct span ch = {(const uint8_t *)s->channel, s->channel_len};
    struct clientinfo ci = my_info(c, s);
    if (s->ns->presence)
        e->ops->presence_add(e, ch, &ci);
    if (s->ns->join_leave)
        e->ops->publish_join(e, ch, &ci, false);
}

/* Creates sub for channel ch in namespace ns and links it into its room.
 * Returns it, or NULL with *code set to the client error (105, 106, 100). */
static struct sub *sub_new(struct client *c, struct span ch, const struct ns_config *ns,
                           uint32_t *code)
{
    if (client_find_sub(c, ch))
        return *code = 105, NULL;
    if (c->nsubs >= c->srv->cfg->max_channels_per_client)
        return *code = 106, NULL;
    *code = 100;
    if (c->nsubs == c->capsubs) {
        uint32_t ncap = c->capsubs ? c->capsubs * 2 : 4;
        struct sub **ns2 = realloc(c->subs, sizeof(*ns2) * ncap);
        if (!ns2)
            return NULL;
        c->subs = ns2;
        c->capsubs = ncap;
    }
    struct sub *s = calloc(1, sizeof(*s) + ch.n + 1);
    if (!s)
        return NULL;
    memcpy(s->channel, ch.p, ch.n);
    s->channel_len = ch.n;
    s->client = c;
    s->wire = c->wire;
    s->ns = ns;
    if (hub_link(&c->srv->hub, s) != 0) {
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
static struct sub *server_sub_new(struct client *c, const char *channel)
{
    struct span ch = span_str(channel);
    const struct ns_config *ns = config_find_ns(c->srv->cfg, channel, ch.n);
    uint32_t code;
    if (!ns || !config_channel_name_ok(c->srv->cfg, channel, ch.n))
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
        return 100;
    struct sub *s = server_sub_new(c, channel);
    if (!s)
        return client_find_sub(c, span_str(channel)) ? 105 : 102;
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
        return 100;
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
            client_send_error(c, x->id, 100, "internal server error");
        goto out;
    }
    if (c->state == CLIENT_CLOSING)
        goto out;
    if (res->err && res->err != ENGINE_EUNRECOVERABLE) {
        uint32_t n;
        free(sub_take_buffer(s, &n)); /* nothing buffered can be trusted */
        client_send_error(c, x->id, 100, "internal server error");
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
    sub_expiry(s, &r);
    snprintf(s->epoch, sizeof(s->epoch), "%s", res->epoch ? res->epoch : "");
    s->offset = recovered && npubs ? res->pubs[npubs - 1]->offset : r.offset;
    uint32_t nbuf;
    struct publication **buf = sub_take_buffer(s, &nbuf);
    if (client_send_reply(c, &r) == 0) {
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
    if (!cmd->token.n) {
        if (config_channel_private(ns, (const char *)ch.p, ch.n) ||
            !access_allows(ns->rules[ACCESS_SUBSCRIBE], subject(c)))
            return 103;
        return 0;
    }
    enum auth_result ar = auth_verify_subscription(c->srv->cfg->verifier, cmd->token.p,
                                                   cmd->token.n, now_s(), sc);
    if (ar == AUTH_EXPIRED)
        return 109;
    if (ar != AUTH_OK)
        return 103;
    if (!span_eq(ch, sc->channel, strlen(sc->channel)) || strcmp(sc->sub, c->user) != 0 ||
        (sc->client && strcmp(sc->client, c->id) != 0)) {
        auth_claims_free(sc);
        client_disconnect(c, 3500, "invalid token", true);
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
    s->expires_ms = sc->exp * 1000;
    if (sc->info && !s->chan_info) { /* fixed once presence/joins carry it */
        free(s->chan_info);
        s->chan_info = sc->info;
        s->chan_info_len = sc->info_len;
        sc->info = NULL;
    }
}

static int cmd_subscribe(struct client *c, struct cmd *cmd)
{
    const struct config *cfg = c->srv->cfg;
    const struct ns_config *ns = check_channel(c, cmd);
    if (!ns)
        return c->state == CLIENT_CLOSING ? -1 : 0;
    struct auth_claims sc;
    int code = sub_token(c, cmd, ns, &sc);
    if (code < 0)
        return -1;
    if (code == 103)
        return client_send_error(c, cmd->id, 103, "permission denied"), 0;
    if (code == 109)
        return client_send_error(c, cmd->id, 109, "token expired"), 0;
    struct engine *eng = c->srv->engine;
    if (eng->ops->available && eng->ops->available(eng, cmd->channel) != 0) {
        auth_claims_free(&sc);
        return client_send_error(c, cmd->id, 100, "internal server error"), 0; /* temporary */
    }
    uint32_t err;
    struct sub *s = sub_new(c, cmd->channel, ns, &err);
    if (!s) {
        auth_claims_free(&sc);
        return client_send_error(c, cmd->id, err,
                                 err == 105   ? "already subscribed"
                                 : err == 106 ? "limit exceeded"
                                              : "internal server error"),
               0;
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
        sub_expiry(s, &r);
        if (client_send_reply(c, &r) != 0)
            return -1;
        after_subscribed(c, s);
        return 0;
    }
    struct sub_ctx *x = malloc(sizeof(*x));
    if (!x) {
        client_remove_sub(c, s, false);
        return client_send_error(c, cmd->id, 100, "internal server error"), 0;
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
    int r = c->srv->engine->ops->history(c->srv->engine, cmd->channel, ns, &q, on_sub_history, x);
    if (r != 0) {
        s->inflight = false;
        client_release(c);
        free(x);
        client_remove_sub(c, s, false);
        client_send_error(c, cmd->id, 100, "internal server error");
    }
    return c->state == CLIENT_CLOSING ? -1 : 0;
}

/* sub_refresh: a new subscription token for a subscribed channel. An
 * expired one ends the subscription with 2501 so the SDK resubscribes with
 * a fresh token (the 109 reply then reaches a subscription that is already
 * resubscribing, which ignores it). */
static int cmd_sub_refresh(struct client *c, struct cmd *cmd)
{
    if (cmd->channel.n == 0 || cmd->token.n == 0) {
        client_disconnect(c, 3501, "bad request", true);
        return -1;
    }
    struct sub *s = client_find_sub(c, cmd->channel);
    if (!s)
        return client_send_error(c, cmd->id, 103, "permission denied"), 0;
    struct auth_claims sc;
    int code = sub_token(c, cmd, s->ns, &sc);
    if (code < 0)
        return -1;
    if (code == 109) {
        client_unsubscribe_push(c, s, 2501, "subscription expired");
        return client_send_error(c, cmd->id, 109, "token expired"), 0;
    }
    if (code)
        return client_send_error(c, cmd->id, (uint32_t)code, "permission denied"), 0;
    sub_set_token(c, s, &sc);
    auth_claims_free(&sc);
    struct reply r = {.id = cmd->id, .kind = REPLY_SUB_REFRESH};
    sub_expiry(s, &r);
    return client_send_reply(c, &r) == 0 ? 0 : -1;
}

void client_check_sub_expiry(struct client *c, int64_t now)
{
    int64_t grace = (int64_t)c->srv->cfg->expired_sub_close_delay * 1000;
    for (uint32_t i = c->nsubs; i-- > 0 && c->state == CLIENT_CONNECTED;) {
        struct sub *s = c->subs[i];
        if (!s->expires_ms || now < s->expires_ms + grace)
            continue;
        if (s->server_side)
            client_disconnect(c, 3006, "subscription expired", true);
        else
            client_unsubscribe_push(c, s, 2501, "subscription expired");
    }
}

void client_remove_sub(struct client *c, struct sub *s, bool emit_leave)
{
    struct engine *e = c->srv->engine;
    struct span ch = {(const uint8_t *)s->channel, s->channel_len};
    bool was_active = s->room && !s->pending;
    hub_unlink(&c->srv->hub, s);
    for (uint32_t i = 0; i < c->nsubs; i++)
        if (c->subs[i] == s) {
            c->subs[i] = c->subs[--c->nsubs];
            break;
        }
    if (s->expires_ms)
        c->nexpiring--;
    if (was_active) {
        if (s->ns->presence)
            e->ops->presence_remove(e, ch, (struct span){(const uint8_t *)c->id, UUID_STR_LEN});
        if (emit_leave && s->ns->join_leave) {
            struct clientinfo ci = my_info(c, s);
            e->ops->publish_join(e, ch, &ci, true);
        }
    }
    if (!s->inflight)
        sub_free(s);
}

static int cmd_unsubscribe(struct client *c, struct cmd *cmd)
{
    if (cmd->channel.n == 0) {
        client_disconnect(c, 3501, "bad request", true);
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
        client_disconnect(c, 3010, "insufficient state", true);
    else
        client_unsubscribe_push(c, s, 2500, "insufficient state");
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
    struct frame *f = publication_push_frame(pub, c->wire);
    if (!f) {
        if (c->wire == WIRE_JSON && !pub->data_is_json)
            client_disconnect(c, 3506, "inappropriate protocol", false);
        return;
    }
    client_send(c, f);
}

/* ---- publish ---- */

struct pub_ctx {
    struct client *c;
    uint32_t id;
};

static void on_published(void *arg, const struct publish_result *res)
{
    struct pub_ctx *x = arg;
    if (x->c->state != CLIENT_CLOSING) {
        if (res->err)
            client_send_error(x->c, x->id, 100, "internal server error");
        else {
            struct reply r = {.id = x->id, .kind = REPLY_PUBLISH};
            client_send_reply(x->c, &r);
        }
    }
    client_release(x->c);
    free(x);
}

static int cmd_publish(struct client *c, struct cmd *cmd)
{
    const struct ns_config *ns = check_channel(c, cmd);
    if (!ns)
        return c->state == CLIENT_CLOSING ? -1 : 0;
    if (!may(c, ns, cmd->channel, ACCESS_PUBLISH))
        return client_send_error(c, cmd->id, 103, "permission denied"), 0;
    if (!cmd->has_data)
        return client_send_error(c, cmd->id, 107, "bad request"), 0;
    if (cmd->data.n > c->srv->cfg->max_publication_size)
        return client_send_error(c, cmd->id, 106, "limit exceeded"), 0;
    bool is_json = c->wire == WIRE_JSON || json_validate(cmd->data.p, cmd->data.n);
    struct clientinfo ci = my_info(c, client_find_sub(c, cmd->channel));
    struct publication *p = publication_new(cmd->channel, cmd->data, is_json, &ci);
    struct pub_ctx *x = malloc(sizeof(*x));
    if (!p || !x) {
        publication_unref(p);
        free(x);
        return client_send_error(c, cmd->id, 100, "internal server error"), 0;
    }
    *x = (struct pub_ctx){.c = c, .id = cmd->id};
    client_hold(c);
    c->srv->stats.publications++;
    int r = c->srv->engine->ops->publish(c->srv->engine, p, ns, on_published, x);
    publication_unref(p);
    if (r != 0) {
        client_release(c);
        free(x);
        client_send_error(c, cmd->id, 100, "internal server error");
    }
    return c->state == CLIENT_CLOSING ? -1 : 0;
}

/* ---- presence, presence_stats, history ---- */

struct id_ctx {
    struct client *c;
    uint32_t id;
};

static struct id_ctx *id_ctx_new(struct client *c, uint32_t id)
{
    struct id_ctx *x = malloc(sizeof(*x));
    if (x) {
        x->c = c;
        x->id = id;
        client_hold(c);
    }
    return x;
}

static void id_ctx_done(struct id_ctx *x)
{
    client_release(x->c);
    free(x);
}

static void on_presence(void *arg, int err, const struct clientinfo *entries, size_t n)
{
    struct id_ctx *x = arg;
    if (x->c->state != CLIENT_CLOSING) {
        struct reply r = {.id = x->id, .kind = REPLY_PRESENCE, .presence = entries, .npresence = n};
        if (err)
            client_send_error(x->c, x->id, 100, "internal server error");
        else
            client_send_reply(x->c, &r);
    }
    id_ctx_done(x);
}

static void on_stats(void *arg, int err, uint32_t clients, uint32_t users)
{
    struct id_ctx *x = arg;
    if (x->c->state != CLIENT_CLOSING) {
        struct reply r = {.id = x->id, .kind = REPLY_PRESENCE_STATS, .num_clients = clients,
                          .num_users = users};
        if (err)
            client_send_error(x->c, x->id, 100, "internal server error");
        else
            client_send_reply(x->c, &r);
    }
    id_ctx_done(x);
}

static void on_history(void *arg, const struct history_result *res)
{
    struct id_ctx *x = arg;
    if (x->c->state != CLIENT_CLOSING) {
        if (res->err == ENGINE_EUNRECOVERABLE)
            client_send_error(x->c, x->id, 112, "unrecoverable position");
        else if (res->err)
            client_send_error(x->c, x->id, 100, "internal server error");
        else {
            struct reply r = {.id = x->id, .kind = REPLY_HISTORY, .pubs = res->pubs,
                              .npubs = res->npubs, .epoch = res->epoch, .offset = res->top};
            client_send_reply(x->c, &r);
        }
    }
    id_ctx_done(x);
}

static int cmd_presence(struct client *c, struct cmd *cmd, bool stats)
{
    const struct ns_config *ns = check_channel(c, cmd);
    if (!ns)
        return c->state == CLIENT_CLOSING ? -1 : 0;
    if (!ns->presence)
        return client_send_error(c, cmd->id, 108, "not available"), 0;
    if (!may(c, ns, cmd->channel, ACCESS_PRESENCE))
        return client_send_error(c, cmd->id, 103, "permission denied"), 0;
    struct id_ctx *x = id_ctx_new(c, cmd->id);
    if (!x)
        return client_send_error(c, cmd->id, 100, "internal server error"), 0;
    struct engine *e = c->srv->engine;
    int r = stats ? e->ops->presence_stats(e, cmd->channel, on_stats, x)
                  : e->ops->presence_get(e, cmd->channel, on_presence, x);
    if (r) {
        id_ctx_done(x);
        client_send_error(c, cmd->id, 100, "internal server error");
    }
    return c->state == CLIENT_CLOSING ? -1 : 0;
}

static int cmd_history(struct client *c, struct cmd *cmd)
{
    const struct config *cfg = c->srv->cfg;
    const struct ns_config *ns = check_channel(c, cmd);
    if (!ns)
        return c->state == CLIENT_CLOSING ? -1 : 0;
    if (!ns_has_history(ns))
        return client_send_error(c, cmd->id, 108, "not available"), 0;
    if (!may(c, ns, cmd->channel, ACCESS_HISTORY))
        return client_send_error(c, cmd->id, 103, "permission denied"), 0;
    if (cmd->has_since && cmd->reverse && cmd->since_offset == 0)
        return client_send_error(c, cmd->id, 107, "bad request"), 0;
    struct history_query q = {.has_since = cmd->has_since, .since_offset = cmd->since_offset,
                              .since_epoch = cmd->since_epoch, .limit = cmd->limit,
                              .reverse = cmd->reverse};
    if (q.limit < 0 || (uint32_t)q.limit > cfg->history_max_limit)
        q.limit = (int32_t)cfg->history_max_limit;
    struct id_ctx *x = id_ctx_new(c, cmd->id);
    if (!x)
        return client_send_error(c, cmd->id, 100, "internal server error"), 0;
    if (c->srv->engine->ops->history(c->srv->engine, cmd->channel, ns, &q, on_history, x)) {
        id_ctx_done(x);
        client_send_error(c, cmd->id, 100, "internal server error");
    }
    return c->state == CLIENT_CLOSING ? -1 : 0;
}

/* ---- dispatch ---- */

/* Token bucket: client_command_rate commands/s, client_command_burst deep,
 * counted in 1/1000 commands. True if the command may run. */
static bool rate_ok(struct client *c)
{
    const struct config *cfg = c->srv->cfg;
    if (!cfg->client_command_rate)
        return true;
    int64_t now = server_now_ms();
    uint64_t cap = (uint64_t)cfg->client_command_burst * 1000;
    uint64_t t = c->rl_tokens + (uint64_t)(now > c->rl_last_ms ? now - c->rl_last_ms : 0) *
                                    cfg->client_command_rate;
    c->rl_last_ms = now;
    if (t > cap)
        t = cap;
    if (t < 1000) {
        c->rl_tokens = (uint32_t)t;
        return false;
    }
    c->rl_tokens = (uint32_t)(t - 1000);
    return true;
}

int client_dispatch(struct client *c, struct cmd *cmd)
{
    /* any id-less command other than send is a pong (protocol v2) */
    if (cmd->id == 0 && cmd->kind != CMD_SEND) {
        if (c->state != CLIENT_CONNECTED) {
            client_disconnect(c, 3501, "bad request", true);
            return -1;
        }
        c->pong_deadline_ms = 0;
        return 0;
    }
    if (!rate_ok(c)) {
        c->srv->stats.rate_limited++;
        if (++c->rl_strikes >= c->srv->cfg->client_rate_limit_strikes) {
            client_disconnect(c, 3013, "too many requests", true);
            return -1;
        }
        if (cmd->id)
            client_send_error(c, cmd->id, 111, "too many requests");
        return c->state == CLIENT_CLOSING ? -1 : 0;
    }
    c->rl_strikes = 0;
    if (cmd->kind == CMD_CONNECT)
        return cmd_connect(c, cmd);
    if (c->state != CLIENT_CONNECTED) {
        client_disconnect(c, 3501, "bad request", true);
        return -1;
    }
    switch (cmd->kind) {
    case CMD_SUBSCRIBE:
        return cmd_subscribe(c, cmd);
    case CMD_UNSUBSCRIBE:
        return cmd_unsubscribe(c, cmd);
    case CMD_PUBLISH:
        return cmd_publish(c, cmd);
    case CMD_PRESENCE:
        return cmd_presence(c, cmd, false);
    case CMD_PRESENCE_STATS:
        return cmd_presence(c, cmd, true);
    case CMD_HISTORY:
        return cmd_history(c, cmd);
    case CMD_RPC:
        return client_send_error(c, cmd->id, 104, "method not found"), 0;
    case CMD_SEND:
        client_disconnect(c, 3508, "not available", true);
        return -1;
    case CMD_REFRESH:
        return cmd_refresh(c, cmd);
    case CMD_SUB_REFRESH:
        return cmd_sub_refresh(c, cmd);
    case CMD_EMPTY:
    case CMD_PING:
    case CMD_CONNECT:
    default:
        client_disconnect(c, 3501, "bad request", true);
        return -1;
    }
}
