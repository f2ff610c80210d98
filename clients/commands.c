/* clients/commands.c — what each protocol command does, and the dispatch
 * with its rate limit: connect (with server-side subscriptions from the
 * token), refresh, publish, presence, presence_stats, history, rpc (through
 * the node's method table), send.
 * Subscriptions (subscribe, unsubscribe, sub_refresh, fan-out delivery)
 * live in subscribe.c. Error codes and disconnect codes follow the
 * Centrifuge protocol digest §5. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/access.h"
#include "clients/auth.h"
#include "clients/client.h"
#include "util/log.h"
#include "clients/commands_internal.h"
#include "node/methods.h"
#include "node/node.h"
#include "protocol/errors.h"

struct sub *client_find_sub(struct client *c, struct span ch)
{
    for (uint32_t i = 0; i < c->nsubs; i++)
        if (span_eq(ch, c->subs[i]->channel, c->subs[i]->channel_len))
            return c->subs[i];
    return NULL;
}

/* The client's ClientInfo; with s, the subscription's chan_info too. */
struct clientinfo cmd_my_info(const struct client *c, const struct sub *s)
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

uint32_t cmd_subject(const struct client *c)
{
    return access_subject(c->roles, c->user[0] == 0);
}

/* Checks name and namespace of a channel. Returns the namespace, or NULL
 * after replying (107 bad name, 102 unknown namespace) or disconnecting
 * (3501 empty channel). */
const struct ns_config *cmd_check_channel(struct client *c, const struct cmd *cmd)
{
    struct span ch = cmd->channel;
    if (ch.n == 0) {
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
        return NULL;
    }
    if (!config_channel_name_ok(c->node->cfg, (const char *)ch.p, ch.n)) {
        client_send_error(c, cmd->id, ERR_BAD_REQUEST, NULL);
        return NULL;
    }
    const struct ns_config *ns = config_find_ns(c->node->cfg, (const char *)ch.p, ch.n);
    if (!ns)
        client_send_error(c, cmd->id, ERR_UNKNOWN_CHANNEL, NULL);
    return ns;
}

/* May c read presence/history of (or publish into) channel? Private
 * channels need a subscription; otherwise the namespace rule decides. */
static bool may(struct client *c, const struct ns_config *ns, struct span ch, enum access_op op)
{
    if (config_channel_private(ns, (const char *)ch.p, ch.n) && !client_find_sub(c, ch))
        return false;
    return access_allows(ns->rules[op], cmd_subject(c));
}

int64_t cmd_now_s(const struct client *c) { return node_now_ms(c->node) / 1000; }

bool cmd_wire_carries(const struct client *c, const struct ns_config *ns)
{
    return !ns->binary || c->wire != WIRE_JSON;
}


/* ---- connect, refresh ---- */

static int cmd_connect(struct client *c, struct cmd *cmd)
{
    const struct config *cfg = c->node->cfg;
    if (c->state != CLIENT_NEW) {
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
        return -1;
    }
    struct auth_claims cl = {0};
    if (cmd->token.n) {
        enum auth_result ar =
            auth_verify_connection(cfg->verifier, cmd->token.p, cmd->token.n, cmd_now_s(c), &cl);
        if (ar == AUTH_EXPIRED) {
            c->state = CLIENT_FAILED;
            client_send_error(c, cmd->id, ERR_TOKEN_EXPIRED, NULL);
            return 0;
        }
        if (ar != AUTH_OK) {
            client_disconnect(c, DISC_INVALID_TOKEN, NULL, true);
            return -1;
        }
    } else if (!cfg->allow_anonymous) {
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
        return -1;
    } else {
        cl.sub = strdup("");
        if (!cl.sub) {
            client_disconnect(c, DISC_INTERNAL, NULL, false);
            return -1;
        }
    }
    /* the node's connect hooks (e.g. a community ban) see who this is */
    const char *why = NULL;
    uint32_t refused = gate_connect(&c->node->gate, cl.sub,
                                    access_subject(cl.roles, !*cl.sub), &why);
    if (refused) {
        auth_claims_free(&cl);
        client_disconnect(c, (uint16_t)refused, why, true);
        return -1;
    }
    if (*cl.sub) {
        c->user = cl.sub;
    } else {
        free(cl.sub);
        c->user = client_anonymous;
    }
    c->conn_info = cl.info;
    c->conn_info_len = (uint32_t)cl.info_len; /* a token claim: bounded by max_message_size */
    c->roles = cl.roles;
    c->expires_ms = cl.exp * 1000; /* exp <= AUTH_MAX_DATE: no overflow */
    cl.sub = cl.info = NULL; /* now the client's */
    c->state = CLIENT_CONNECTED;
    if (node_users_add(&c->node->users, c->user, c) != 0) {
        auth_claims_free(&cl);
        client_disconnect(c, DISC_INTERNAL, NULL, false);
        return -1;
    }
    if (cl.nchannels > cfg->max_channels_per_client) {
        auth_claims_free(&cl);
        client_disconnect(c, DISC_CHANNEL_LIMIT, NULL, true);
        return -1;
    }
    /* server-side subscriptions from the token's "channels" */
    struct span *subs = NULL;
    size_t nsubs = 0;
    if (cl.nchannels && !(subs = calloc(cl.nchannels, sizeof(*subs)))) {
        auth_claims_free(&cl);
        client_disconnect(c, DISC_INTERNAL, NULL, false);
        return -1;
    }
    for (uint32_t i = 0; i < cl.nchannels; i++) {
        struct sub *s = server_sub_new(c, cl.channels[i]);
        if (s)
            subs[nsubs++] = (struct span){(const uint8_t *)s->channel, s->channel_len};
    }
    int64_t now = node_now_ms(c->node);
    /* first ping at a random point in [interval/2, interval) spreads the load */
    int64_t iv = (int64_t)cfg->ping_interval * 1000;
    c->next_ping_ms = now + iv / 2 + (int64_t)rand_pool_below(&c->node->rand, (unsigned)(iv / 2 > 0 ? iv / 2 : 1));
    struct reply r = {.id = cmd->id, .kind = REPLY_CONNECT, .client = c->id,
                      .version = HEARTH_VERSION, .ping = cfg->ping_interval,
                      .pong = cfg->pong_timeout > 0};
    if (cl.exp) {
        r.expires = true;
        r.ttl = auth_ttl(cl.exp, now / 1000);
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
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
        return -1;
    }
    struct auth_claims cl;
    enum auth_result ar = auth_verify_connection(c->node->cfg->verifier, cmd->token.p,
                                                 cmd->token.n, cmd_now_s(c), &cl);
    if (ar == AUTH_EXPIRED) {
        client_disconnect(c, DISC_EXPIRED, NULL, true);
        return -1;
    }
    if (ar != AUTH_OK || strcmp(cl.sub, c->user) != 0) {
        if (ar == AUTH_OK)
            auth_claims_free(&cl);
        client_disconnect(c, DISC_INVALID_TOKEN, NULL, true);
        return -1;
    }
    c->expires_ms = cl.exp * 1000;
    c->roles = cl.roles;
    struct reply r = {.id = cmd->id, .kind = REPLY_REFRESH};
    if (cl.exp) {
        r.expires = true;
        r.ttl = auth_ttl(cl.exp, cmd_now_s(c));
    }
    auth_claims_free(&cl);
    return client_send_reply(c, &r) == 0 ? 0 : -1;
}

/* ---- publish ---- */

struct pub_ctx {
    struct client *c;     /* a ref (client_hold) until the outcome */
    uint32_t id;
    struct gate_call call;
};

static void on_published(void *arg, const struct gate_outcome *out)
{
    struct pub_ctx *x = arg;
    if (x->c->state != CLIENT_CLOSING) {
        if (out->code)
            client_send_error(x->c, x->id, out->code, out->message);
        else {
            struct reply r = {.id = x->id, .kind = REPLY_PUBLISH};
            client_send_reply(x->c, &r);
        }
    }
    client_release(x->c);
    free(x);
}

/* The transport's part (empty channel: 3501) is here; the rest is the
 * gate's (node/gate.h). */
static int cmd_publish(struct client *c, struct cmd *cmd)
{
    if (cmd->channel.n == 0) {
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
        return -1;
    }
    struct pub_ctx *x = malloc(sizeof(*x));
    if (!x)
        return client_send_error(c, cmd->id, ERR_INTERNAL, NULL), 0;
    struct sub *sub = client_find_sub(c, cmd->channel);
    struct clientinfo ci = cmd_my_info(c, sub);
    bool is_json = cmd->has_data && (c->wire == WIRE_JSON || json_validate(cmd->data.p, cmd->data.n));
    struct gate_pub p = {.channel = cmd->channel, .data = cmd->data, .has_data = cmd->has_data,
                         .is_json = is_json, .origin = GATE_CLIENT, .info = &ci,
                         .subject = cmd_subject(c), .subscribed = sub != NULL};
    x->c = c;
    x->id = cmd->id;
    client_hold(c);
    gate_publish(&c->node->gate, &p, &x->call, on_published, x);
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
            client_send_error(x->c, x->id, ERR_INTERNAL, NULL);
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
            client_send_error(x->c, x->id, ERR_INTERNAL, NULL);
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
            client_send_error(x->c, x->id, ERR_UNRECOVERABLE_POSITION, NULL);
        else if (res->err)
            client_send_error(x->c, x->id, ERR_INTERNAL, NULL);
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
    const struct ns_config *ns = cmd_check_channel(c, cmd);
    if (!ns)
        return c->state == CLIENT_CLOSING ? -1 : 0;
    if (!ns->presence)
        return client_send_error(c, cmd->id, ERR_NOT_AVAILABLE, NULL), 0;
    if (!may(c, ns, cmd->channel, ACCESS_PRESENCE))
        return client_send_error(c, cmd->id, ERR_PERMISSION_DENIED, NULL), 0;
    struct id_ctx *x = id_ctx_new(c, cmd->id);
    if (!x)
        return client_send_error(c, cmd->id, ERR_INTERNAL, NULL), 0;
    struct store *st = c->node->store;
    int r = stats ? st->ops->presence_stats(st, cmd->channel, on_stats, x)
                  : st->ops->presence_get(st, cmd->channel, on_presence, x);
    if (r) {
        id_ctx_done(x);
        client_send_error(c, cmd->id, ERR_INTERNAL, NULL);
    }
    return c->state == CLIENT_CLOSING ? -1 : 0;
}

static int cmd_history(struct client *c, struct cmd *cmd)
{
    const struct config *cfg = c->node->cfg;
    const struct ns_config *ns = cmd_check_channel(c, cmd);
    if (!ns)
        return c->state == CLIENT_CLOSING ? -1 : 0;
    if (!ns_has_history(ns) || !cmd_wire_carries(c, ns))
        return client_send_error(c, cmd->id, ERR_NOT_AVAILABLE, NULL), 0;
    if (!may(c, ns, cmd->channel, ACCESS_HISTORY))
        return client_send_error(c, cmd->id, ERR_PERMISSION_DENIED, NULL), 0;
    if (cmd->has_since && cmd->reverse && cmd->since_offset == 0)
        return client_send_error(c, cmd->id, ERR_BAD_REQUEST, NULL), 0;
    struct history_query q = {.has_since = cmd->has_since, .since_offset = cmd->since_offset,
                              .since_epoch = cmd->since_epoch, .limit = cmd->limit,
                              .reverse = cmd->reverse};
    if (q.limit < 0 || (uint32_t)q.limit > cfg->history_max_limit)
        q.limit = (int32_t)cfg->history_max_limit;
    struct id_ctx *x = id_ctx_new(c, cmd->id);
    if (!x)
        return client_send_error(c, cmd->id, ERR_INTERNAL, NULL), 0;
    if (gate_history(&c->node->gate, cmd->channel, ns, &q, on_history, x)) {
        id_ctx_done(x);
        client_send_error(c, cmd->id, ERR_INTERNAL, NULL);
    }
    return c->state == CLIENT_CLOSING ? -1 : 0;
}

/* ---- rpc: through the node's method table (node/methods.h) ---- */

struct rpc_ctx {
    struct client *c;   /* held until the answer */
    uint32_t id;
    const struct method *m; /* borrowed from the table */
};

static void on_rpc_done(void *arg, const struct method_reply *mr)
{
    struct rpc_ctx *x = arg;
    struct client *c = x->c;
    methods_count(&c->node->methods, x->m, mr->code || mr->oom || mr->text ? MSTAT_RPC_ERROR
                                                                           : MSTAT_RPC_OK);
    if (c->state != CLIENT_CLOSING) {
        if (mr->code) {
            client_send_error(c, x->id, mr->code,
                              mr->message ? mr->message : proto_error_message(mr->code));
        } else {
            /* text is the HTTP API's reply shape: not an rpc answer */
            char *text = mr->oom || mr->text ? NULL
                         : mr->result ? json_dumps(mr->result, JSON_COMPACT)
                                      : strdup("{}");
            if (!text) {
                client_send_error(c, x->id, ERR_INTERNAL, proto_error_message(ERR_INTERNAL));
            } else {
                struct reply r = {.id = x->id, .kind = REPLY_RPC,
                                  .data = {(const uint8_t *)text, strlen(text)}};
                client_send_reply(c, &r);
                free(text);
            }
        }
    }
    json_decref(mr->result);
    free(mr->text);
    client_release(c);
    free(x);
}

/* The rpc-callable method cmd names, or NULL. */
static const struct method *rpc_method(const struct client *c, const struct cmd *cmd)
{
    return methods_find_rpc(&c->node->methods, (const char *)cmd->method.p, cmd->method.n);
}

static int cmd_rpc(struct client *c, struct cmd *cmd)
{
    const struct method *m = rpc_method(c, cmd);
    if (!m)
        return client_send_error(c, cmd->id, ERR_METHOD_NOT_FOUND,
                                 proto_error_message(ERR_METHOD_NOT_FOUND)), 0;
    if (!method_rpc_allows(m, cmd_subject(c)))
        return client_send_error(c, cmd->id, ERR_PERMISSION_DENIED,
                                 proto_error_message(ERR_PERMISSION_DENIED)), 0;
    /* params: a JSON object (a msgpack-wire client's data bytes hold JSON);
     * no data at all is {} */
    json_t *params = cmd->data.n ? json_loadb((const char *)cmd->data.p, cmd->data.n,
                                              JSON_REJECT_DUPLICATES, NULL)
                                 : json_object();
    if (!json_is_object(params)) {
        json_decref(params);
        return client_send_error(c, cmd->id, ERR_BAD_REQUEST,
                                 proto_error_message(ERR_BAD_REQUEST)), 0;
    }
    struct rpc_ctx *x = malloc(sizeof(*x));
    if (!x) {
        json_decref(params);
        return client_send_error(c, cmd->id, ERR_INTERNAL, proto_error_message(ERR_INTERNAL)), 0;
    }
    *x = (struct rpc_ctx){.c = c, .id = cmd->id, .m = m};
    client_hold(c);
    struct method_call call = {.origin = METHOD_RPC, .node = c->node, .ctx = m->ctx,
                               .user = c->user, .client = c->id, .roles = cmd_subject(c)};
    m->fn(&call, params, on_rpc_done, x);
    json_decref(params);
    return c->state == CLIENT_CLOSING ? -1 : 0;
}

/* ---- dispatch ---- */

/* Token bucket: client_command_rate commands/s, client_command_burst deep,
 * counted in 1/1000 commands. True if the command may run; it costs cost
 * commands (1, or an rpc method's rate class). */
static bool rate_ok(struct client *c, uint32_t cost)
{
    const struct config *cfg = c->node->cfg;
    if (!cfg->client_command_rate)
        return true;
    int64_t now = node_now_ms(c->node);
    uint64_t cap = (uint64_t)cfg->client_command_burst * 1000;
    uint64_t t = c->rl_tokens + (uint64_t)(now > c->rl_last_ms ? now - c->rl_last_ms : 0) *
                                    cfg->client_command_rate;
    c->rl_last_ms = now;
    if (t > cap)
        t = cap;
    uint64_t need = (uint64_t)cost * 1000;
    if (t < need) {
        c->rl_tokens = (uint32_t)t;
        return false;
    }
    c->rl_tokens = (uint32_t)(t - need);
    return true;
}

int client_dispatch(struct client *c, struct cmd *cmd)
{
    /* any id-less command other than send is a pong (protocol v2) */
    if (cmd->id == 0 && cmd->kind != CMD_SEND) {
        if (c->state != CLIENT_CONNECTED) {
            client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
            return -1;
        }
        c->pong_deadline_ms = 0;
        return 0;
    }
    /* an rpc costs its method's rate class; everything else 1 */
    const struct method *rm = cmd->kind == CMD_RPC ? rpc_method(c, cmd) : NULL;
    if (!rate_ok(c, rm ? rm->rate_cost : 1)) {
        c->node->stats.rate_limited++;
        if (++c->rl_strikes >= c->node->cfg->client_rate_limit_strikes) {
            client_disconnect(c, DISC_TOO_MANY_REQUESTS, NULL, true);
            return -1;
        }
        if (cmd->id)
            client_send_error(c, cmd->id, ERR_TOO_MANY_REQUESTS, NULL);
        return c->state == CLIENT_CLOSING ? -1 : 0;
    }
    c->rl_strikes = 0;
    if (cmd->kind == CMD_CONNECT)
        return cmd_connect(c, cmd);
    if (c->state != CLIENT_CONNECTED) {
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
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
        return cmd_rpc(c, cmd);
    case CMD_SEND:
        client_disconnect(c, DISC_NOT_AVAILABLE, NULL, true);
        return -1;
    case CMD_REFRESH:
        return cmd_refresh(c, cmd);
    case CMD_SUB_REFRESH:
        return cmd_sub_refresh(c, cmd);
    case CMD_EMPTY:
    case CMD_PING:
    case CMD_CONNECT:
    default:
        client_disconnect(c, DISC_BAD_REQUEST, NULL, true);
        return -1;
    }
}
