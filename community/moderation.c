/* community/moderation.c — the moderation module object (moderation.h):
 * building and freeing it, its gate hooks (the publish check on chat
 * namespaces, the subscribe checks on chat namespaces and on "mod", the
 * connect check) and the helpers its method files share (parameter
 * shapes, the actor, one operation context per asynchronous call).
 *
 * The publish check, in order (docs/chat.md, "Moderation"): API publishes and
 * approved publications pass; a muted or banned author → 103; filters.block
 * → 103; slow mode (members only) → 111 "slow mode: wait N s" (a store put,
 * asynchronous with Redis); filters.hold → 1001, the publication goes to the
 * queue. Owns the module object and each publish check's context. */
#include "community/moderation.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/audit.h"
#include "community/mod_internal.h"
#include "config/access.h"
#include "protocol/errors.h"
#include "rooms/store.h"
#include "util/log.h"

/* ---- the publish check ---- */

struct pub_check {
    struct moderation *m;
    struct gate_req *req;       /* the gate's, until resumed */
    struct publication *pub;    /* owned ref */
    char *text;                 /* owned: the message text, NULL = none */
    uint32_t slow;              /* seconds; 0 = no slow-mode check */
    bool hold;
    bool in_hook, finished;     /* the store answered before the hook returned */
    struct gate_verdict v;
    char msg[64];
};

static void check_free(struct pub_check *pc)
{
    publication_unref(pc->pub);
    free(pc->text);
    free(pc);
}

/* noinline: inlined into the hook, GCC's -O3 use-after-free analysis cannot
 * see that in_hook is still true there and warns on the free below. */
__attribute__((noinline)) static void check_finish(struct pub_check *pc, struct gate_verdict v)
{
    pc->v = v;
    if (pc->in_hook) {
        pc->finished = true;
        return;
    }
    gate_resume(pc->req, v); /* after gate_free() this only frees the request */
    check_free(pc);
}

static void on_held(void *arg, uint32_t code)
{
    struct pub_check *pc = arg;
    if (code)
        check_finish(pc, (struct gate_verdict){.kind = GATE_DENY, .code = code,
                                                .message = proto_error_message(code)});
    else
        check_finish(pc, (struct gate_verdict){.kind = GATE_HOLD});
}

static void after_slow(struct pub_check *pc)
{
    if (!pc->hold)
        return check_finish(pc, (struct gate_verdict){.kind = GATE_ALLOW});
    mod_queue_hold(pc->m, pc->pub, pc->text, on_held, pc);
}

static void on_slow(void *arg, int err, const struct record *recs, size_t n)
{
    struct pub_check *pc = arg;
    if (err)
        return check_finish(pc, (struct gate_verdict){.kind = GATE_DENY, .code = ERR_INTERNAL,
                                                      .message = proto_error_message(ERR_INTERNAL)});
    if (n == 1) { /* too soon: the existing record's expiry says for how long */
        int64_t left = recs[0].expire_ms - node_now_ms(pc->m->node);
        int64_t s = left > 0 ? (left + 999) / 1000 : 1;
        snprintf(pc->msg, sizeof(pc->msg), "slow mode: wait %" PRId64 " s", s);
        return check_finish(pc, (struct gate_verdict){.kind = GATE_DENY,
                                                      .code = ERR_TOO_MANY_REQUESTS,
                                                      .message = pc->msg});
    }
    after_slow(pc);
}

static void start_slow(struct pub_check *pc)
{
    struct publication *p = pc->pub;
    char key[RECORD_KEY_MAX];
    size_t kn = mod_key(key, sizeof(key), (const char *)p->channel.p, p->channel.n,
                        (const char *)p->info.user.p, p->info.user.n);
    struct store *st = pc->m->node->store;
    int64_t now = node_now_ms(pc->m->node);
    struct record r = {.key = {(const uint8_t *)key, kn}, .value = span_str("1"),
                       .expire_ms = now + (int64_t)pc->slow * 1000};
    int err = !kn ? 0 : st->ops->record_put ? st->ops->record_put(st, span_str("mod.last"), &r,
                                                                   RECORD_NX, on_slow, pc)
                                             : ENGINE_ETEMP;
    if (!kn) /* a user id too long for a key: no slow-mode record (and no sanction) */
        after_slow(pc);
    else if (err)
        on_slow(pc, err, NULL, 0);
}

/* The "text" of a chat message's data, or NULL (owned by the caller). */
static char *message_text(const struct publication *p)
{
    return filter_text_of(p->data.p, p->data.n);
}

static bool has_filter(const struct chat_filter *f) { return f->nwords || f->links; }

static struct gate_verdict deny(uint32_t code, const char *msg)
{
    return (struct gate_verdict){.kind = GATE_DENY, .code = code, .message = msg};
}

static struct gate_verdict on_publish(void *ctx, struct gate_req *req)
{
    struct moderation *m = ctx;
    const struct gate_verdict allow = {.kind = GATE_ALLOW};
    if (gate_req_origin(req) == GATE_API || (gate_req_marks(req) & GATE_MARK_REVIEWED))
        return allow; /* the back end, or a moderator's approval */
    struct publication *p = gate_req_publication(req);
    const struct ns_config *ns = gate_req_ns(req);
    if (!ns) /* an earlier hook went async: look the namespace up again */
        ns = config_find_ns(m->node->cfg, (const char *)p->channel.p, p->channel.n);
    if (!ns || !ns->chat)
        return allow; /* gone or no longer a chat namespace after a reload */
    struct span user = p->has_info ? p->info.user : (struct span){0};
    if (mod_sanctioned(m, MODK_MUTE, p->channel, user, true))
        return deny(ERR_PERMISSION_DENIED, "muted");
    if (mod_sanctioned(m, MODK_BAN, p->channel, user, true))
        return deny(ERR_PERMISSION_DENIED, "banned");
    char *text = NULL;
    bool hold = false;
    if (has_filter(&ns->filter_block) || has_filter(&ns->filter_hold)) {
        text = message_text(p);
        if (text && filter_match(&ns->filter_block, text, strlen(text))) {
            free(text);
            return deny(ERR_PERMISSION_DENIED, "blocked by a filter");
        }
        hold = text && filter_match(&ns->filter_hold, text, strlen(text));
    }
    uint32_t slow = (gate_req_subject(req) & MOD_STAFF) || !user.n
                        ? 0 : mod_slow_seconds(m, ns, p->channel);
    if (!slow && !hold) {
        free(text);
        return allow;
    }
    struct pub_check *pc = calloc(1, sizeof(*pc));
    if (!pc) {
        free(text);
        return deny(ERR_INTERNAL, proto_error_message(ERR_INTERNAL));
    }
    *pc = (struct pub_check){.m = m, .req = req, .pub = publication_ref(p), .text = text,
                             .slow = slow, .hold = hold, .in_hook = true};
    if (slow)
        start_slow(pc);
    else
        after_slow(pc);
    pc->in_hook = false;
    if (!pc->finished)
        return (struct gate_verdict){.kind = GATE_ASYNC};
    /* answered at once (the memory store): the message must outlive pc */
    struct gate_verdict v = pc->v;
    if (v.message == pc->msg) {
        snprintf(m->msg, sizeof(m->msg), "%s", pc->msg);
        v.message = m->msg;
    }
    check_free(pc);
    return v;
}

/* ---- subscribe and connect checks ---- */

static struct gate_verdict on_subscribe(void *ctx, const struct gate_sub *req,
                                        const struct ns_config *ns)
{
    (void)ns;
    struct moderation *m = ctx;
    struct span user = span_str(req->user);
    if (mod_sanctioned(m, MODK_BAN, req->channel, user, true))
        return deny(ERR_PERMISSION_DENIED, "banned");
    if (mod_sanctioned(m, MODK_KICK, req->channel, user, false))
        return deny(ERR_PERMISSION_DENIED, "kicked");
    return (struct gate_verdict){.kind = GATE_ALLOW};
}

/* "mod": staff only, whatever the config says. */
static struct gate_verdict on_mod_subscribe(void *ctx, const struct gate_sub *req,
                                            const struct ns_config *ns)
{
    (void)ctx;
    (void)ns;
    if (req->origin == GATE_CLIENT && !(req->subject & MOD_STAFF))
        return deny(ERR_PERMISSION_DENIED, "permission denied");
    return (struct gate_verdict){.kind = GATE_ALLOW};
}

static struct gate_verdict on_mod_publish(void *ctx, struct gate_req *req)
{
    (void)ctx;
    if (gate_req_origin(req) == GATE_CLIENT && !(gate_req_subject(req) & MOD_STAFF))
        return deny(ERR_PERMISSION_DENIED, "permission denied");
    return (struct gate_verdict){.kind = GATE_ALLOW};
}

static struct gate_verdict on_connect(void *ctx, const char *user, uint32_t subject)
{
    (void)subject;
    struct moderation *m = ctx;
    if (!m->loaded && *user) /* bans not known yet (the store is connecting): come back soon */
        return deny(DISC_INTERNAL, "not ready");
    if (mod_sanctioned(m, MODK_BAN, (struct span){0}, span_str(user), true))
        return deny(DISC_BANNED, "banned");
    return (struct gate_verdict){.kind = GATE_ALLOW};
}

static bool is_chat(const struct ns_config *ns) { return ns->chat; }

/* ---- the module ---- */

struct moderation *moderation_new(struct node *node)
{
    struct moderation *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->node = node;
    mod_cache_init(&m->live);
    struct gate *g = &node->gate;
    if (gate_hook_add_where(g, is_chat, on_publish, m) != 0 ||
        gate_sub_hook_add_where(g, is_chat, on_subscribe, m) != 0 ||
        gate_sub_hook_add(g, CONFIG_MOD_NS, on_mod_subscribe, m) != 0 ||
        gate_hook_add(g, CONFIG_MOD_NS, on_mod_publish, m) != 0 ||
        gate_connect_hook_add(g, on_connect, m) != 0 || mod_sanctions_register(m) != 0 ||
        mod_slowmode_register(m) != 0 || mod_queue_register(m) != 0 ||
        mod_reports_register(m) != 0 ||
        mod_audit_register(m) != 0 || mod_cache_start(m) != 0) {
        log_error("moderation", "could not register the moderation module");
        moderation_free(m); /* the timer starts last: nothing to close */
        return NULL;
    }
    return m;
}

void moderation_stop(struct moderation *m)
{
    if (m)
        mod_cache_stop(m);
}

void moderation_free(struct moderation *m)
{
    if (!m)
        return;
    mod_cache_free(&m->live);
    if (m->next) {
        mod_cache_free(m->next);
        free(m->next);
    }
    free(m);
}

/* ---- method helpers ---- */

uint32_t mod_params(const struct moderation *m, json_t *params, const struct mod_param *spec,
                    size_t n, json_t **out, const char **msg)
{
    *msg = "bad request";
    if (!json_is_object(params))
        return ERR_BAD_REQUEST;
    const char *k;
    json_t *v;
    json_object_foreach(params, k, v) {
        size_t i = 0;
        while (i < n && strcmp(spec[i].name, k) != 0)
            i++;
        if (i == n) {
            *msg = "bad request: unknown field";
            return ERR_BAD_REQUEST;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const struct mod_param *s = &spec[i];
        out[i] = json_object_get(params, s->name);
        if (out[i] && json_is_null(out[i]))
            out[i] = NULL;
        if (!out[i]) {
            if (s->required) {
                *msg = "bad request: missing field";
                return ERR_BAD_REQUEST;
            }
            continue;
        }
        if (s->type == MP_INT) {
            if (!json_is_integer(out[i]) || json_integer_value(out[i]) < s->min ||
                json_integer_value(out[i]) > s->max)
                return ERR_BAD_REQUEST;
            continue;
        }
        if (!json_is_string(out[i]))
            return ERR_BAD_REQUEST;
        size_t len = json_string_length(out[i]);
        const char *str = json_string_value(out[i]);
        if ((int64_t)len < s->min || (int64_t)len > s->max || memchr(str, 0, len))
            return ERR_BAD_REQUEST;
        if (s->type == MP_CHANNEL) {
            const struct config *cfg = m->node->cfg;
            if (!config_channel_name_ok(cfg, str, len))
                return ERR_BAD_REQUEST;
            const struct ns_config *ns = config_find_ns(cfg, str, len);
            if (!ns) {
                *msg = "unknown channel";
                return ERR_UNKNOWN_CHANNEL;
            }
            if (!ns->chat) {
                *msg = "bad request: not a chat channel";
                return ERR_BAD_REQUEST;
            }
        }
    }
    return 0;
}

const char *mod_actor(const struct method_call *call)
{
    return call->origin == METHOD_API ? "api" : call->user ? call->user : "";
}

int mod_method(struct moderation *m, const char *name, method_fn *fn, uint32_t rpc_roles,
               uint32_t rate_cost)
{
    struct method_spec s = {.name = name, .fn = fn, .ctx = m,
                            .rpc_roles = rpc_roles ? rpc_roles : MOD_STAFF, .api = true,
                            .rate_cost = rate_cost};
    return methods_register(&m->node->methods, &s);
}

struct mod_op *mod_op_new(struct moderation *m, const struct method_call *call, method_done *done,
                          void *arg, const char *action)
{
    struct mod_op *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    *op = (struct mod_op){.m = m, .done = done, .arg = arg, .action = action, .duration = -1,
                          .actor = strdup(mod_actor(call)), .api = call->origin == METHOD_API};
    if (!op->actor) {
        free(op);
        return NULL;
    }
    return op;
}

void mod_op_free(struct mod_op *op)
{
    if (!op)
        return;
    free(op->actor);
    free(op->channel);
    free(op->user);
    free(op->reason);
    free(op->id);
    json_decref(op->extra);
    free(op);
}

struct quota {
    mod_quota_done *done;
    void *arg;
    int64_t limit;
};

static void on_quota(void *arg, int err, const struct record *recs, size_t n)
{
    struct quota q = *(struct quota *)arg;
    free(arg);
    long long v = 0;
    if (!err && n == 1) {
        char buf[24];
        size_t k = recs[0].value.n < sizeof(buf) - 1 ? recs[0].value.n : sizeof(buf) - 1;
        memcpy(buf, recs[0].value.p, k);
        buf[k] = 0;
        v = strtoll(buf, NULL, 10);
    }
    q.done(q.arg, err, v <= q.limit);
}

void mod_quota(struct moderation *m, const char *kind, struct span user, int64_t limit,
               mod_quota_done *done, void *arg)
{
    struct store *st = m->node->store;
    if (m->stopped)
        return done(arg, ENGINE_ETEMP, true);
    struct quota *q = malloc(sizeof(*q));
    if (!q || !user.n || user.n > RECORD_KEY_MAX || !st->ops->record_incr) {
        free(q);
        return done(arg, q ? 0 : ENGINE_ENOMEM, true); /* no identity to count */
    }
    *q = (struct quota){.done = done, .arg = arg, .limit = limit};
    int e = st->ops->record_incr(st, span_str(kind), user, 1,
                                 node_now_ms(m->node) + MOD_QUOTA_WINDOW_MS, on_quota, q);
    if (e)
        on_quota(q, e, NULL, 0);
}

struct audit_wait {
    struct mod_op *op;    /* owned until answered */
    json_t *result;       /* owned */
};

static void on_audited(void *arg, int err)
{
    (void)err; /* logged by audit.c; the action itself succeeded */
    struct audit_wait *w = arg;
    mod_op_finish(w->op, 0, NULL, w->result);
    free(w);
}

void mod_op_audit_finish(struct mod_op *op, uint64_t target, json_t *result)
{
    struct audit_wait *w;
    if (op->m->stopped || !(w = malloc(sizeof(*w)))) /* stopped: the store is being torn down */
        return mod_op_finish(op, 0, NULL, result);
    *w = (struct audit_wait){.op = op, .result = result};
    struct audit_entry e = {.actor = op->actor, .action = op->action, .channel = op->channel,
                            .target_user = op->user, .target = target, .reason = op->reason,
                            .duration = op->duration, .has_duration = op->duration >= 0};
    if (audit_record(op->m->node, &e, on_audited, w) != 0)
        on_audited(w, -1);
}

void mod_op_finish(struct mod_op *op, uint32_t code, const char *msg, json_t *result)
{
    if (code) {
        json_decref(result);
        method_error(op->done, op->arg, code, msg);
    } else {
        method_ok(op->done, op->arg, result);
    }
    mod_op_free(op);
}
