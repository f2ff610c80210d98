/* community/chat.c — the chat module's life (chat.h) and what its parts
 * share (chat_internal.h): registration of the hooks and methods, record
 * keys, method params, finding a message in history, publishing an event.
 * Owns struct chat; each find or publish context is owned by its op until
 * the callback. */
#include "community/chat_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/access.h"
#include "protocol/errors.h"
#include "util/log.h"

static bool ns_is_chat(const struct ns_config *ns) { return ns->chat; }

#define MOD_ROLES (ROLE_HOST | ROLE_MODERATOR | ROLE_ADMIN)

static const struct method_spec chat_methods[] = {
    {.name = "chat.edit", .fn = chat_m_edit, .rpc_roles = ROLE_USER, .api = true},
    {.name = "chat.delete", .fn = chat_m_delete, .rpc_roles = ROLE_USER, .api = true},
    {.name = "chat.react", .fn = chat_m_react, .rpc_roles = ROLE_USER, .api = true},
    {.name = "chat.typing", .fn = chat_m_typing, .rpc_roles = ROLE_USER},
    {.name = "chat.pin", .fn = chat_m_pin, .rpc_roles = MOD_ROLES, .api = true},
    {.name = "chat.unpin", .fn = chat_m_unpin, .rpc_roles = MOD_ROLES, .api = true},
    {.name = "chat.pins", .fn = chat_m_pins, .rpc_roles = ROLE_EVERYONE, .api = true},
};

struct chat *chat_new(struct node *node)
{
    struct chat *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->node = node;
    dict_init(&c->react_dirty);
    dict_init(&c->typing_rooms);
    if (node->loop) {
        uv_timer_init(node->loop, &c->react_timer);
        uv_timer_init(node->loop, &c->typing_timer);
        c->react_timer.data = c->typing_timer.data = c;
        c->timers = true;
    }
    if (gate_hook_add_where(&node->gate, ns_is_chat, chat_on_publish, c) != 0 ||
        gate_view_add_where(&node->gate, ns_is_chat, chat_view, c) != 0)
        goto fail;
    for (size_t i = 0; i < sizeof(chat_methods) / sizeof(chat_methods[0]); i++) {
        struct method_spec s = chat_methods[i];
        s.ctx = c;
        int rc = methods_register(&node->methods, &s);
        if (rc) {
            log_emit(LOG_ERROR, "chat", "cannot register method %s (error %d)", s.name, rc);
            goto fail;
        }
    }
    return c;
fail:
    chat_stop(c);
    c->timers = false; /* no loop turn will close them: only server_init fails this way */
    chat_free(c);
    return NULL;
}

void chat_stop(struct chat *c)
{
    if (!c || c->stopped)
        return;
    c->stopped = true;
    chat_reactions_stop(c);
    chat_typing_stop(c);
    if (c->timers) {
        uv_close((uv_handle_t *)&c->react_timer, NULL);
        uv_close((uv_handle_t *)&c->typing_timer, NULL);
    }
}

void chat_free(struct chat *c)
{
    if (!c)
        return;
    chat_reactions_free(c);
    chat_typing_free(c);
    dict_free(&c->react_dirty);
    dict_free(&c->typing_rooms);
    free(c->scratch);
    free(c);
}

/* ---- keys ---- */

int chat_key_stream(char *buf, size_t cap, struct span ch, const char *epoch)
{
    int n = snprintf(buf, cap, "%.*s\x1f%s\x1f", (int)ch.n, (const char *)ch.p, epoch);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

int chat_key_msg(char *buf, size_t cap, struct span ch, const char *epoch, uint64_t off)
{
    if (ch.n + strlen(epoch) + 2 >= CHAT_STREAM_KEY_MAX)
        return -1;
    int n = snprintf(buf, cap, "%.*s\x1f%s\x1f%020" PRIu64, (int)ch.n, (const char *)ch.p, epoch,
                     off);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

uint64_t chat_key_offset(const uint8_t *key, size_t n, size_t pos)
{
    if (n < pos + CHAT_OFF_DIGITS)
        return 0;
    uint64_t v = 0;
    for (size_t i = pos; i < pos + CHAT_OFF_DIGITS; i++) {
        if (key[i] < '0' || key[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(key[i] - '0');
    }
    return v;
}

void chat_user_key(char *buf, size_t cap, struct span user, struct span client)
{
    if (user.n)
        snprintf(buf, cap, "%.*s", (int)user.n, (const char *)user.p);
    else
        snprintf(buf, cap, "~%.*s", (int)client.n, (const char *)client.p);
}

int64_t chat_state_expire(const struct chat *c, const struct ns_config *ns)
{
    uint32_t s = ns->history_ttl > c->node->cfg->history_meta_ttl ? ns->history_ttl
                                                                  : c->node->cfg->history_meta_ttl;
    return node_now_ms(c->node) + (int64_t)s * 1000;
}

bool chat_has_records(const struct chat *c)
{
    const struct store_ops *o = c->node->store->ops;
    return o->record_put && o->record_get && o->record_del && o->record_scan && o->record_incr;
}

/* ---- method params ---- */

int chat_params_target(struct chat *c, json_t *params, bool want_offset, struct chat_target *t,
                       method_done *done, void *arg)
{
    memset(t, 0, sizeof(*t));
    json_t *ch = json_object_get(params, "channel");
    const struct config *cfg = c->node->cfg;
    if (!json_is_string(ch) ||
        !config_channel_name_ok(cfg, json_string_value(ch), json_string_length(ch)))
        return method_error(done, arg, ERR_BAD_REQUEST, "channel must be a channel name"), -1;
    t->channel = json_string_value(ch);
    t->ns = config_find_ns(cfg, t->channel, json_string_length(ch));
    if (!t->ns)
        return method_error(done, arg, ERR_UNKNOWN_CHANNEL, NULL), -1;
    if (!t->ns->chat)
        return method_error(done, arg, ERR_NOT_AVAILABLE, "not a chat channel"), -1;
    if (!chat_has_records(c))
        return method_error(done, arg, ERR_NOT_AVAILABLE, "the engine keeps no records"), -1;
    if (want_offset) {
        json_t *off = json_object_get(params, "offset");
        if (!json_is_integer(off) || json_integer_value(off) <= 0)
            return method_error(done, arg, ERR_BAD_REQUEST, "offset must be a positive integer"),
                   -1;
        t->offset = (uint64_t)json_integer_value(off);
    }
    return 0;
}

bool chat_params_only(json_t *params, const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach(params, k, v) {
        bool known = false;
        for (const char *const *p = keys; *p && !known; p++)
            known = !strcmp(*p, k);
        if (!known)
            return false;
    }
    return true;
}

const char *chat_actor(const struct method_call *call, json_t *params)
{
    if (call->origin == METHOD_RPC)
        return call->user;
    json_t *u = json_object_get(params, "user");
    if (!u)
        return "api";
    if (!json_is_string(u) || !json_string_length(u) || json_string_length(u) > 128 ||
        strlen(json_string_value(u)) != json_string_length(u))
        return NULL;
    return json_string_value(u);
}

bool chat_may_publish(const struct method_call *call, const struct ns_config *ns)
{
    return call->origin == METHOD_API || access_allows(ns->rules[ACCESS_PUBLISH], call->roles);
}

bool chat_is_moderator(const struct method_call *call)
{
    return call->origin == METHOD_API || access_allows(MOD_ROLES, call->roles);
}

/* ---- finding a message ---- */

struct find_ctx {
    struct chat *c;
    chat_found_cb *cb;
    void *arg;
    uint64_t offset;
    bool want_state;
    struct chat_found f;          /* pub: an owned ref while the state is read */
    char epoch[CHAT_EPOCH_MAX + 1];
};

static void find_answer(struct find_ctx *x)
{
    x->f.epoch = x->epoch;
    x->cb(x->arg, &x->f);
    publication_unref(x->f.pub);
    json_decref(x->f.state);
    free(x);
}

static void on_find_state(void *arg, int err, const struct record *recs, size_t n)
{
    struct find_ctx *x = arg;
    if (err) {
        x->f.err = err;
    } else if (n == 1) {
        x->f.state = json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, NULL);
        x->f.deleted = json_is_true(json_object_get(x->f.state, "deleted"));
    }
    find_answer(x);
}

static void on_find_history(void *arg, const struct history_result *res)
{
    struct find_ctx *x = arg;
    /* stopped: the store is being torn down (shutdown): start nothing new */
    x->f.err = res->err ? res->err : x->c->stopped ? ENGINE_ETEMP : 0;
    snprintf(x->epoch, sizeof(x->epoch), "%s", res->epoch ? res->epoch : "");
    if (x->f.err || !res->npubs || res->pubs[0]->offset != x->offset)
        return find_answer(x);
    struct publication *p = res->pubs[0];
    x->f.pub = publication_ref(p);
    json_t *d = p->data_is_json ? json_loadb((const char *)p->data.p, p->data.n, 0, NULL) : NULL;
    json_t *type = json_object_get(d, "type");
    x->f.is_message = json_is_string(type) && !strcmp(json_string_value(type), "message");
    x->f.ts = json_integer_value(json_object_get(d, "ts"));
    json_decref(d);
    if (x->want_state && x->f.is_message) {
        struct chat *c = x->c;
        char key[RECORD_KEY_MAX + 1];
        int kn = chat_key_msg(key, sizeof(key), p->channel, x->epoch, x->offset);
        if (kn < 0) {
            x->f.err = -EINVAL;
            return find_answer(x);
        }
        struct store *st = c->node->store;
        int rc = st->ops->record_get(st, chat_kind(CHAT_KIND_MSG),
                                     (struct span){(const uint8_t *)key, (size_t)kn}, on_find_state,
                                     x);
        if (rc) {
            x->f.err = rc;
            find_answer(x);
        }
        return;
    }
    find_answer(x);
}

int chat_find(struct chat *c, struct span channel, const struct ns_config *ns, uint64_t offset,
              bool want_state, chat_found_cb *cb, void *arg)
{
    if (c->stopped)
        return ENGINE_ETEMP;
    struct find_ctx *x = calloc(1, sizeof(*x));
    if (!x)
        return -ENOMEM;
    x->c = c;
    x->want_state = want_state && chat_has_records(c);
    x->cb = cb;
    x->arg = arg;
    x->offset = offset;
    struct history_query q = {.has_since = true, .since_offset = offset - 1, .limit = 1};
    struct store *st = c->node->store;
    int rc = st->ops->history(st, channel, ns, &q, on_find_history, x);
    if (rc)
        free(x);
    return rc;
}

/* ---- publishing an event ---- */

struct event_ctx {
    gate_done_cb *cb;
    void *arg;
    struct gate_call call;
};

static void on_event(void *arg, const struct gate_outcome *out)
{
    struct event_ctx *x = arg;
    if (x->cb)
        x->cb(x->arg, out);
    free(x);
}

int chat_publish_event(struct chat *c, const char *channel, const char *actor, json_t *data,
                       bool stored, gate_done_cb *cb, void *arg)
{
    char *text = data && !c->stopped ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data); /* stopped: the gate is gone (shutdown) */
    struct event_ctx *x = text ? malloc(sizeof(*x)) : NULL;
    if (!x) {
        free(text);
        return -1;
    }
    x->cb = cb;
    x->arg = arg;
    struct clientinfo ci = {.user = span_str(actor)};
    struct gate_pub p = {.channel = span_str(channel), .data = span_str(text), .has_data = true,
                         .is_json = true, .origin = GATE_API, .info = actor ? &ci : NULL,
                         .skip_history = !stored, .droppable = !stored, .trusted = true};
    gate_publish(&c->node->gate, &p, &x->call, on_event, x);
    free(text);
    return 0;
}
