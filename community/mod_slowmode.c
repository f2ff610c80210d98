/* community/mod_slowmode.c — slow mode: mod.slow_mode {channel, seconds}
 * stores a per-room override of the namespace's slow_mode (record kind
 * mod.slow, key = the channel, value {"seconds":N}; 0 = off for that room)
 * and tells every node's cache; mod_slow_seconds() is what the publish check
 * (moderation.c) reads. The per-member "last message" is a mod.last record
 * put NX there, with expiry = the period, so it holds across nodes. Owns
 * each call's struct mod_op until it answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/mod_internal.h"
#include "protocol/errors.h"
#include "rooms/store.h"

uint32_t mod_slow_seconds(const struct moderation *m, const struct ns_config *ns,
                          struct span channel)
{
    const struct mod_entry *e =
        m->live.map.count ? mod_cache_get(&m->live, MODK_SLOW, channel, 0) : NULL;
    uint32_t s;
    if (e)
        return (uint32_t)e->value;
    if (m->slow_src && m->slow_src(m->slow_ctx, channel, &s))
        return s;
    return ns->slow_mode;
}

void moderation_set_slow_source(struct moderation *m, moderation_slow_source *fn, void *ctx)
{
    m->slow_src = fn;
    m->slow_ctx = ctx;
}

static const struct mod_param params[] = {
    {"channel", MP_CHANNEL, true, 1, 1 << 20},
    {"seconds", MP_INT, true, 0, MOD_SLOW_MAX},
};

static void on_put(void *arg, int err, const struct record *recs, size_t n)
{
    (void)recs;
    (void)n;
    struct mod_op *op = arg;
    if (err)
        return mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
    mod_sanction_send(op->m, MODK_SLOW, span_str(op->channel), true, 0, op->duration);
    mod_op_audit_finish(op, 0, NULL);
}

static void m_slow_mode(const struct method_call *call, json_t *p, method_done *done, void *arg)
{
    struct moderation *m = call->ctx;
    json_t *f[2];
    const char *msg;
    uint32_t code = mod_params(m, p, params, 2, f, &msg);
    if (code)
        return method_error(done, arg, code, msg);
    struct mod_op *op = mod_op_new(m, call, done, arg, "mod.slow_mode");
    if (!op || !(op->channel = strdup(json_string_value(f[0])))) {
        mod_op_free(op);
        return method_error(done, arg, ERR_INTERNAL, NULL);
    }
    op->duration = json_integer_value(f[1]);
    char val[40];
    snprintf(val, sizeof(val), "{\"seconds\":%lld}", (long long)op->duration);
    struct store *st = m->node->store;
    struct record r = {.key = span_str(op->channel), .value = span_str(val)};
    int err = st->ops->record_put ? st->ops->record_put(st, span_str("mod.slow"), &r, 0, on_put, op)
                                  : ENGINE_ETEMP;
    if (err)
        mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
}

int mod_slowmode_register(struct moderation *m)
{
    return mod_method(m, "mod.slow_mode", m_slow_mode, 0, 0);
}
