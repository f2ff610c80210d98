/* community/mod_sanctions.c — mod.mute, mod.unmute, mod.kick, mod.ban,
 * mod.unban: each writes (or deletes) its store record, tells every node's
 * sanction cache (mod_cache.c), acts on the user's connections wherever they
 * are (node/user_verbs.h: a kick or room ban ends their subscriptions with
 * an unsubscribe push 2010 "kicked" / 2011 "banned"; a community ban
 * disconnects them with 3510 "banned"), records the audit entry and answers.
 * The checks that enforce a sanction are the hooks in moderation.c. Owns
 * each call's struct mod_op until it answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/mod_internal.h"
#include "node/user_verbs.h"
#include "protocol/errors.h"
#include "rooms/store.h"
#include "util/log.h"

enum { P_CHANNEL, P_USER, P_DURATION, P_REASON };

/* mod.mute, mod.ban: {channel?, user, duration, reason} */
static const struct mod_param set_params[] = {
    {"channel", MP_CHANNEL, false, 1, 1 << 20},
    {"user", MP_STR, true, 1, MOD_USER_MAX},
    {"duration", MP_INT, true, 0, MOD_DURATION_MAX},
    {"reason", MP_STR, true, 0, MOD_REASON_MAX},
};
/* mod.unmute, mod.unban: {channel?, user} */
static const struct mod_param unset_params[] = {
    {"channel", MP_CHANNEL, false, 1, 1 << 20},
    {"user", MP_STR, true, 1, MOD_USER_MAX},
};
/* mod.kick: {channel, user, reason?} */
static const struct mod_param kick_params[] = {
    {"channel", MP_CHANNEL, true, 1, 1 << 20},
    {"user", MP_STR, true, 1, MOD_USER_MAX},
    {"reason", MP_STR, false, 0, MOD_REASON_MAX},
};

static char *dup_or_null(json_t *v)
{
    return v ? strndup(json_string_value(v), json_string_length(v)) : NULL;
}

/* What a sanction method is about; the record kind, the cache byte. */
struct what {
    const char *kind;
    char k;
};

static size_t op_key(const struct mod_op *op, char *key)
{
    const char *ch = op->channel ? op->channel : "";
    return mod_key(key, RECORD_KEY_MAX, ch, strlen(ch), op->user, strlen(op->user));
}

/* The user's connections, wherever they are: what the sanction does now. */
static void act(struct mod_op *op, char k)
{
    struct node *n = op->m->node;
    if (op->m->stopped) /* shutting down: nobody left to act on */
        return;
    if (k == MODK_KICK)
        node_user_unsubscribe(n, op->user, op->channel, "", UNSUB_KICKED, "kicked");
    else if (k == MODK_BAN && op->channel)
        node_user_unsubscribe(n, op->user, op->channel, "", UNSUB_BANNED, "banned");
    else if (k == MODK_BAN)
        node_user_disconnect(n, op->user, "", DISC_BANNED, "banned");
}

static void on_put(void *arg, int err, const struct record *recs, size_t n)
{
    (void)recs;
    (void)n;
    struct mod_op *op = arg;
    if (err)
        return mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
    char key[RECORD_KEY_MAX];
    size_t kn = op_key(op, key);
    char k = (char)json_integer_value(json_object_get(op->extra, "k"));
    if (mod_sanction_send(op->m, k, (struct span){(const uint8_t *)key, kn}, true, op->expire_ms,
                          0) != 0)
        log_warn("moderation", "%s: other nodes not told at once (the resync will)", op->action);
    act(op, k);
    json_t *res = json_object();
    json_object_set_new(res, "expires", op->expire_ms ? json_integer(op->expire_ms) : json_null());
    mod_op_audit_finish(op, 0, res);
}

/* Shared by mute, ban and kick: check, build the record, put it. */
static void set_sanction(const struct method_call *call, json_t *params, method_done *done,
                         void *arg, const char *action, struct what w)
{
    struct moderation *m = call->ctx;
    bool kick = w.k == MODK_KICK;
    const struct mod_param *spec = kick ? kick_params : set_params;
    json_t *f[4] = {0};
    const char *msg;
    uint32_t code = mod_params(m, params, spec, kick ? 3 : 4, f, &msg);
    if (code)
        return method_error(done, arg, code, msg);
    struct mod_op *op = mod_op_new(m, call, done, arg, action);
    if (!op)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    op->channel = dup_or_null(f[P_CHANNEL]);
    op->user = dup_or_null(f[P_USER]);
    op->reason = dup_or_null(kick ? f[2] : f[P_REASON]);
    op->extra = json_pack("{s:i}", "k", (int)w.k);
    int64_t now = node_now_ms(m->node);
    if (kick) {
        op->expire_ms = now + MOD_KICK_BLOCK_MS;
    } else {
        op->duration = json_integer_value(f[P_DURATION]);
        op->expire_ms = op->duration ? now + op->duration * 1000 : 0;
    }
    char key[RECORD_KEY_MAX];
    size_t kn = op->user ? op_key(op, key) : 0;
    if ((f[P_CHANNEL] && !op->channel) || !op->user || !op->extra ||
        ((kick ? f[2] : f[P_REASON]) && !op->reason))
        return mod_op_finish(op, ERR_INTERNAL, NULL, NULL);
    if (!kn)
        return mod_op_finish(op, ERR_BAD_REQUEST, "bad request: channel and user too long", NULL);
    json_t *v = json_pack("{s:s?,s:s,s:s?,s:s,s:I,s:I}", "channel", op->channel, "user", op->user,
                          "reason", op->reason, "actor", op->actor, "ts", (json_int_t)now,
                          "expires", (json_int_t)op->expire_ms);
    char *val = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    struct store *st = m->node->store;
    if (!val || !st->ops->record_put) {
        free(val);
        return mod_op_finish(op, ERR_INTERNAL, NULL, NULL);
    }
    struct record r = {.key = {(const uint8_t *)key, kn}, .value = span_str(val),
                       .expire_ms = op->expire_ms};
    int err = st->ops->record_put(st, span_str(w.kind), &r, 0, on_put, op);
    free(val);
    if (err)
        mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
}

static void on_del(void *arg, int err, const struct record *recs, size_t n)
{
    (void)recs;
    struct mod_op *op = arg;
    if (err)
        return mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
    char key[RECORD_KEY_MAX];
    size_t kn = op_key(op, key);
    char k = (char)json_integer_value(json_object_get(op->extra, "k"));
    /* told even when nothing was there: heals a node whose cache is behind */
    mod_sanction_send(op->m, k, (struct span){(const uint8_t *)key, kn}, false, 0, 0);
    mod_op_audit_finish(op, 0, json_pack("{s:b}", "removed", n == 1));
}

static void unset_sanction(const struct method_call *call, json_t *params, method_done *done,
                           void *arg, const char *action, struct what w)
{
    struct moderation *m = call->ctx;
    json_t *f[2] = {0};
    const char *msg;
    uint32_t code = mod_params(m, params, unset_params, 2, f, &msg);
    if (code)
        return method_error(done, arg, code, msg);
    struct mod_op *op = mod_op_new(m, call, done, arg, action);
    if (!op)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    op->channel = dup_or_null(f[P_CHANNEL]);
    op->user = dup_or_null(f[P_USER]);
    op->extra = json_pack("{s:i}", "k", (int)w.k);
    if ((f[P_CHANNEL] && !op->channel) || !op->user || !op->extra)
        return mod_op_finish(op, ERR_INTERNAL, NULL, NULL);
    char key[RECORD_KEY_MAX];
    size_t kn = op_key(op, key);
    if (!kn)
        return mod_op_finish(op, ERR_BAD_REQUEST, "bad request: channel and user too long", NULL);
    struct store *st = m->node->store;
    int err = st->ops->record_del
                  ? st->ops->record_del(st, span_str(w.kind), (struct span){(const uint8_t *)key, kn},
                                        on_del, op)
                  : ENGINE_ETEMP;
    if (err)
        mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
}

static const struct what MUTE = {"mod.mute", MODK_MUTE}, BAN = {"mod.ban", MODK_BAN},
                         KICK = {"mod.kick", MODK_KICK};

static void m_mute(const struct method_call *c, json_t *p, method_done *d, void *a)
{
    set_sanction(c, p, d, a, "mod.mute", MUTE);
}
static void m_unmute(const struct method_call *c, json_t *p, method_done *d, void *a)
{
    unset_sanction(c, p, d, a, "mod.unmute", MUTE);
}
static void m_ban(const struct method_call *c, json_t *p, method_done *d, void *a)
{
    set_sanction(c, p, d, a, "mod.ban", BAN);
}
static void m_unban(const struct method_call *c, json_t *p, method_done *d, void *a)
{
    unset_sanction(c, p, d, a, "mod.unban", BAN);
}
static void m_kick(const struct method_call *c, json_t *p, method_done *d, void *a)
{
    set_sanction(c, p, d, a, "mod.kick", KICK);
}

int mod_sanctions_register(struct moderation *m)
{
    return mod_method(m, "mod.mute", m_mute, 0, 0) || mod_method(m, "mod.unmute", m_unmute, 0, 0) ||
                   mod_method(m, "mod.ban", m_ban, 0, 0) || mod_method(m, "mod.unban", m_unban, 0, 0) ||
                   mod_method(m, "mod.kick", m_kick, 0, 0)
               ? -1
               : 0;
}
