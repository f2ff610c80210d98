/* community/chat_pins.c — chat.pin, chat.unpin (host/moderator/admin over
 * rpc, the method table checks the role: 103) and chat.pins (anyone who may
 * read the channel's history). A pin is a chat.pin record S<off> (the
 * target must be a message in history, not deleted); pin and unpin publish
 * the stored events {"type":"pin"|"unpin","target":offset} when they
 * change something, and answer {"offset": the event's offset} (or {} when
 * nothing changed). chat.pins answers {"pins":[offsets]}, ascending, of the
 * stream's current epoch.
 *
 * Ownership: struct pin_ctx is the call's until it answers. */
#include "community/chat_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/access.h"
#include "protocol/errors.h"

struct pin_ctx {
    struct chat *c;
    method_done *done;
    void *arg;
    bool unpin;
    char *channel;            /* owned */
    char actor[160];
    uint64_t offset;
    int64_t state_expire;
    char prefix[RECORD_KEY_MAX + 1];
    size_t plen;
    json_t *list;             /* chat.pins: owned answer array */
};

static void pin_free(struct pin_ctx *x)
{
    free(x->channel);
    json_decref(x->list);
    free(x);
}

static void pin_error(struct pin_ctx *x, uint32_t code, const char *msg)
{
    method_error(x->done, x->arg, code, msg);
    pin_free(x);
}

static void on_event(void *arg, const struct gate_outcome *out)
{
    struct pin_ctx *x = arg;
    if (out->code)
        method_error(x->done, x->arg, out->code, out->message);
    else
        method_ok(x->done, x->arg, json_pack("{s:I}", "offset", (json_int_t)out->offset));
    pin_free(x);
}

static void on_changed(void *arg, int err, const struct record *recs, size_t n)
{
    (void)recs;
    struct pin_ctx *x = arg;
    if (err)
        return pin_error(x, ERR_INTERNAL, NULL);
    /* pin: n == 1 means it was pinned already (NX); unpin: n == 0 means it was not */
    if (x->unpin ? n == 0 : n == 1) {
        method_ok(x->done, x->arg, json_object());
        return pin_free(x);
    }
    json_t *ev = json_pack("{s:s,s:I}", "type", x->unpin ? "unpin" : "pin", "target",
                           (json_int_t)x->offset);
    if (chat_publish_event(x->c, x->channel, x->actor, ev, true, on_event, x) != 0)
        pin_error(x, ERR_INTERNAL, NULL);
}

static void on_found(void *arg, const struct chat_found *f)
{
    struct pin_ctx *x = arg;
    if (f->err)
        return pin_error(x, ERR_INTERNAL, NULL);
    if (!x->unpin && (!f->pub || !f->is_message || f->deleted))
        return pin_error(x, ERR_BAD_REQUEST, "no such message in history");
    char key[RECORD_KEY_MAX + 1];
    int kn = chat_key_msg(key, sizeof(key), span_str(x->channel), f->epoch, x->offset);
    if (kn < 0)
        return pin_error(x, ERR_BAD_REQUEST, NULL);
    struct store *st = x->c->node->store;
    struct span k = {(const uint8_t *)key, (size_t)kn};
    struct record r = {.key = k, .value = {(const uint8_t *)"", 0}, .expire_ms = x->state_expire};
    int rc = x->unpin ? st->ops->record_del(st, chat_kind(CHAT_KIND_PIN), k, on_changed, x)
                      : st->ops->record_put(st, chat_kind(CHAT_KIND_PIN), &r, RECORD_NX,
                                            on_changed, x);
    if (rc)
        pin_error(x, ERR_INTERNAL, NULL);
}

static struct pin_ctx *pin_new(const struct method_call *call, json_t *params, method_done *done,
                               void *arg, bool want_offset, struct chat_target *t)
{
    struct chat *c = call->ctx;
    if (chat_params_target(c, params, want_offset, t, done, arg))
        return NULL;
    static const char *const keys[] = {"channel", "offset", NULL};
    static const char *const keys_api[] = {"channel", "offset", "user", NULL};
    static const char *const list_keys[] = {"channel", NULL};
    static const char *const list_keys_api[] = {"channel", "user", NULL};
    const char *actor = chat_actor(call, params);
    bool api = call->origin == METHOD_API;
    if (!actor || !chat_params_only(params, !want_offset ? (api ? list_keys_api : list_keys)
                                            : api ? keys_api : keys)) {
        method_error(done, arg, ERR_BAD_REQUEST, NULL);
        return NULL;
    }
    struct pin_ctx *x = calloc(1, sizeof(*x));
    if (!x || !(x->channel = strdup(t->channel))) {
        free(x);
        method_error(done, arg, ERR_INTERNAL, NULL);
        return NULL;
    }
    x->c = c;
    x->done = done;
    x->arg = arg;
    snprintf(x->actor, sizeof(x->actor), "%s", actor);
    x->offset = t->offset;
    x->state_expire = chat_state_expire(c, t->ns);
    return x;
}

static void pin_common(const struct method_call *call, json_t *params, method_done *done,
                       void *arg, bool unpin)
{
    struct chat_target t;
    /* the role is the method table's (103 before anything else) */
    struct pin_ctx *x = pin_new(call, params, done, arg, true, &t);
    if (!x)
        return;
    x->unpin = unpin;
    if (chat_find(x->c, span_str(x->channel), t.ns, x->offset, true, on_found, x) != 0)
        pin_error(x, ERR_INTERNAL, NULL);
}

void chat_m_pin(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    pin_common(call, params, done, arg, false);
}

void chat_m_unpin(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    pin_common(call, params, done, arg, true);
}

/* ---- chat.pins ---- */

static void on_pin_scan(void *arg, int err, const struct record *recs, size_t n)
{
    struct pin_ctx *x = arg;
    if (err)
        return pin_error(x, ERR_INTERNAL, NULL);
    for (size_t i = 0; i < n; i++) {
        uint64_t off = chat_key_offset(recs[i].key.p, recs[i].key.n, x->plen);
        if (off)
            json_array_append_new(x->list, json_integer((json_int_t)off));
    }
    json_t *res = json_pack("{s:O}", "pins", x->list);
    method_ok(x->done, x->arg, res);
    pin_free(x);
}

static void on_pins_top(void *arg, const struct history_result *res)
{
    struct pin_ctx *x = arg;
    if (res->err || x->c->stopped)
        return pin_error(x, ERR_INTERNAL, NULL);
    int pl = chat_key_stream(x->prefix, CHAT_STREAM_KEY_MAX, span_str(x->channel),
                             res->epoch ? res->epoch : "");
    if (pl < 0)
        return pin_error(x, ERR_BAD_REQUEST, NULL);
    x->plen = (size_t)pl;
    struct store *st = x->c->node->store;
    struct record_scan q = {.prefix = {(const uint8_t *)x->prefix, x->plen},
                            .limit = RECORD_SCAN_MAX};
    if (st->ops->record_scan(st, chat_kind(CHAT_KIND_PIN), &q, on_pin_scan, x) != 0)
        pin_error(x, ERR_INTERNAL, NULL);
}

void chat_m_pins(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct chat_target t;
    struct chat *c = call->ctx;
    /* reading pins is reading the channel: the namespace's history rule */
    json_t *ch = json_object_get(params, "channel");
    const struct ns_config *ns = json_is_string(ch) ? config_find_ns(c->node->cfg,
                                                                     json_string_value(ch),
                                                                     json_string_length(ch))
                                                    : NULL;
    if (ns && call->origin == METHOD_RPC && !access_allows(ns->rules[ACCESS_HISTORY], call->roles))
        return method_error(done, arg, ERR_PERMISSION_DENIED, NULL);
    struct pin_ctx *x = pin_new(call, params, done, arg, false, &t);
    if (!x)
        return;
    x->list = json_array();
    struct history_query q = {.limit = 0};
    struct store *st = c->node->store;
    if (!x->list || st->ops->history(st, span_str(x->channel), t.ns, &q, on_pins_top, x) != 0)
        pin_error(x, ERR_INTERNAL, NULL);
}
