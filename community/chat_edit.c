/* community/chat_edit.c — chat.edit and chat.delete (rpc and API). Each
 * reads the target from history (its author from the publication's info,
 * its ts from the canonical form, its state from its chat.msg record),
 * checks permission (103) before the rest of the shape (107), writes the
 * message's new state (chat.msg) and then publishes the stored event
 * ({"type":"edit",...} / {"type":"delete",...}) through the gate, answering
 * {"offset": the event's offset}. A delete of another's message is audited
 * (community/audit.h, action "chat.delete").
 *
 * Ownership: struct edit_ctx is the call's from the handler until it
 * answers (done runs once, from whichever callback ends it). */
#include "community/chat_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/audit.h"
#include "protocol/errors.h"

struct edit_ctx {
    struct chat *c;
    method_done *done;
    void *arg;
    bool is_delete;
    bool api;                     /* full rights: any message, no window */
    bool moderator;               /* rpc caller is host/moderator/admin */
    bool bad_shape;               /* unknown keys or a text that is not a string */
    char *channel;                /* owned */
    char actor[160];
    uint64_t offset;
    char *text;                   /* owned: edit's text as sent */
    size_t text_len;
    struct chat_limits lim;
    int64_t window_ms;
    int64_t state_expire;
    char author[160];
    char epoch[CHAT_EPOCH_MAX + 1];
    json_t *event;                /* owned until published */
    json_t *state;                /* owned: the new chat.msg value */
};

static void edit_free(struct edit_ctx *x)
{
    free(x->channel);
    free(x->text);
    json_decref(x->event);
    json_decref(x->state);
    free(x);
}

static void answer_error(struct edit_ctx *x, uint32_t code, const char *msg)
{
    method_error(x->done, x->arg, code, msg);
    edit_free(x);
}

static void on_event_published(void *arg, const struct gate_outcome *out)
{
    struct edit_ctx *x = arg;
    if (out->code)
        method_error(x->done, x->arg, out->code, out->message);
    else
        method_ok(x->done, x->arg, json_pack("{s:I}", "offset", (json_int_t)out->offset));
    edit_free(x);
}

static void publish_event(struct edit_ctx *x)
{
    json_t *ev = x->event;
    x->event = NULL;
    if (chat_publish_event(x->c, x->channel, x->actor, ev, true, on_event_published, x) != 0)
        answer_error(x, ERR_INTERNAL, NULL);
}

static void on_state_put(void *arg, int err, const struct record *recs, size_t n)
{
    (void)recs;
    (void)n;
    struct edit_ctx *x = arg;
    if (err)
        return answer_error(x, ERR_INTERNAL, NULL);
    publish_event(x);
}

static void put_state(struct edit_ctx *x)
{
    char key[RECORD_KEY_MAX + 1];
    int kn = chat_key_msg(key, sizeof(key), span_str(x->channel), x->epoch, x->offset);
    char *val = json_dumps(x->state, JSON_COMPACT);
    struct store *st = x->c->node->store;
    if (kn < 0 || !val) {
        free(val);
        return answer_error(x, kn < 0 ? ERR_BAD_REQUEST : ERR_INTERNAL, NULL);
    }
    struct record r = {.key = {(const uint8_t *)key, (size_t)kn},
                       .value = {(const uint8_t *)val, strlen(val)},
                       .expire_ms = x->state_expire};
    int rc = st->ops->record_put(st, chat_kind(CHAT_KIND_MSG), &r, 0, on_state_put, x);
    free(val);
    if (rc)
        answer_error(x, ERR_INTERNAL, NULL);
}

static void on_found(void *arg, const struct chat_found *f)
{
    struct edit_ctx *x = arg;
    if (f->err)
        return answer_error(x, ERR_INTERNAL, NULL);
    if (!f->pub || !f->is_message)
        return answer_error(x, ERR_BAD_REQUEST, "no such message in history");
    snprintf(x->author, sizeof(x->author), "%.*s", (int)f->pub->info.user.n,
             (const char *)f->pub->info.user.p);
    snprintf(x->epoch, sizeof(x->epoch), "%s", f->epoch);
    bool own = f->pub->has_info && f->pub->info.user.n && !strcmp(x->author, x->actor);
    int64_t now = node_now_ms(x->c->node);
    if (x->is_delete) {
        if (!x->api && !own && !x->moderator)
            return answer_error(x, ERR_PERMISSION_DENIED, NULL);
        if (x->bad_shape)
            return answer_error(x, ERR_BAD_REQUEST, "unknown key");
        if (f->deleted) /* already gone: nothing more to say */
            return method_ok(x->done, x->arg, json_object()), edit_free(x);
        if (!own) {
            struct audit_entry e = {.actor = x->actor, .action = "chat.delete",
                                    .channel = x->channel, .target_user = x->author,
                                    .target = x->offset};
            audit_record(x->c->node, &e, NULL, NULL);
        }
        x->state = json_pack("{s:b}", "deleted", 1);
        x->event = json_pack("{s:s,s:I}", "type", "delete", "target", (json_int_t)x->offset);
        /* a deleted message is no longer pinned */
        char key[RECORD_KEY_MAX + 1];
        int kn = chat_key_msg(key, sizeof(key), span_str(x->channel), x->epoch, x->offset);
        struct store *st = x->c->node->store;
        if (kn > 0)
            st->ops->record_del(st, chat_kind(CHAT_KIND_PIN),
                                (struct span){(const uint8_t *)key, (size_t)kn}, NULL, NULL);
    } else {
        if (!x->api && (!own || now - f->ts > x->window_ms))
            return answer_error(x, ERR_PERMISSION_DENIED, NULL);
        if (x->bad_shape)
            return answer_error(x, ERR_BAD_REQUEST, "edit takes {channel, offset, text}");
        if (f->deleted)
            return answer_error(x, ERR_BAD_REQUEST, "message deleted");
        char *clean;
        size_t clen;
        const char *why;
        int rc = chat_text_clean(x->text, x->text_len, x->lim.max_text, &clean, &clen, &why);
        if (rc)
            return answer_error(x, rc == -EINVAL ? ERR_BAD_REQUEST : ERR_INTERNAL,
                                rc == -EINVAL ? why : NULL);
        json_t *mentions;
        rc = chat_mentions(clean, clen, x->lim.max_mentions, &mentions, &why);
        if (rc) {
            free(clean);
            return answer_error(x, rc == -EINVAL ? ERR_BAD_REQUEST : ERR_INTERNAL,
                                rc == -EINVAL ? why : NULL);
        }
        x->state = json_pack("{s:s%,s:O,s:I}", "text", clean, clen, "mentions", mentions,
                             "edited_ts", (json_int_t)now);
        x->event = json_pack("{s:s,s:I,s:s%,s:o,s:I}", "type", "edit", "target",
                             (json_int_t)x->offset, "text", clean, clen, "mentions", mentions,
                             "ts", (json_int_t)now);
        free(clean);
    }
    if (!x->state || !x->event)
        return answer_error(x, ERR_INTERNAL, NULL);
    put_state(x);
}

static void start(const struct method_call *call, json_t *params, method_done *done, void *arg,
                  bool is_delete)
{
    struct chat *c = call->ctx;
    struct chat_target t;
    if (chat_params_target(c, params, true, &t, done, arg))
        return;
    /* an edit needs the publish rule; a delete is the author's or a
     * moderator's whatever the rule (announcement rooms) */
    if (!is_delete && !chat_may_publish(call, t.ns, t.channel))
        return method_error(done, arg, ERR_PERMISSION_DENIED, NULL);
    const char *actor = chat_actor(call, params);
    if (!actor)
        return method_error(done, arg, ERR_BAD_REQUEST, "user must be a string of 1..128 bytes");
    struct edit_ctx *x = calloc(1, sizeof(*x));
    if (!x || !(x->channel = strdup(t.channel))) {
        free(x);
        return method_error(done, arg, ERR_INTERNAL, NULL);
    }
    x->c = c;
    x->done = done;
    x->arg = arg;
    x->is_delete = is_delete;
    x->api = call->origin == METHOD_API;
    x->moderator = chat_is_moderator(call);
    snprintf(x->actor, sizeof(x->actor), "%s", actor);
    x->offset = t.offset;
    x->lim = (struct chat_limits){.max_text = t.ns->chat_max_text,
                                  .max_mentions = t.ns->chat_max_mentions};
    x->window_ms = (int64_t)t.ns->chat_edit_window * 1000;
    x->state_expire = chat_state_expire(c, t.ns);
    static const char *const edit_keys[] = {"channel", "offset", "text", NULL};
    static const char *const edit_keys_api[] = {"channel", "offset", "text", "user", NULL};
    static const char *const del_keys[] = {"channel", "offset", NULL};
    static const char *const del_keys_api[] = {"channel", "offset", "user", NULL};
    x->bad_shape = !chat_params_only(params, is_delete ? (x->api ? del_keys_api : del_keys)
                                                       : (x->api ? edit_keys_api : edit_keys));
    if (!is_delete) {
        json_t *text = json_object_get(params, "text");
        if (!json_is_string(text))
            x->bad_shape = true;
        else if (!(x->text = malloc(json_string_length(text) + 1)))
            return answer_error(x, ERR_INTERNAL, NULL);
        else {
            x->text_len = json_string_length(text);
            memcpy(x->text, json_string_value(text), x->text_len + 1);
        }
    }
    if (chat_find(c, span_str(x->channel), t.ns, t.offset, true, on_found, x) != 0)
        answer_error(x, ERR_INTERNAL, NULL);
}

void chat_m_edit(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    start(call, params, done, arg, false);
}

void chat_m_delete(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    start(call, params, done, arg, true);
}
