/* node/gate.c — the one publish path (node/gate.h): the shared checks, the
 * publish hook chain (allow / deny / hold / transform / async / ack) and the
 * engine publish (the history read with its view hooks is gate_view.c).
 * Owns the hook table, the per-namespace "has hooks" map (rebuilt when the
 * running config changes: namespaces matched by name or predicate) and the
 * requests waiting on gate_resume(). */
#include "node/gate.h"
#include "node/gate_internal.h"

#include <stdlib.h>
#include <string.h>

#include "config/access.h"
#include "node/node.h"
#include "protocol/errors.h"

/* One publish that has hooks to run. Owned by the gate from gate_publish()
 * until the outcome is delivered (or gate_free()). */
struct gate_req {
    struct gate *g;                 /* borrowed */
    struct gate_call *call;         /* borrowed: the caller's, alive until done */
    struct publication *pub;        /* owned ref */
    const struct ns_config *ns;     /* borrowed; NULL once a hook went async (reload may free it) */
    char *ns_name;                  /* owned: matches hooks after an async wait */
    struct publish_opts o;
    enum gate_origin origin;
    char *api_user;                 /* owned: gate_pub.api_user copied, or NULL */
    gate_done_cb *watch;            /* gate_req_watch(), or NULL */
    void *watch_ctx;
    bool orphan;                    /* gate_free() answered the caller already */
    uint32_t at;                    /* index of the hook that runs (or ran) */
    struct gate_req *next, **pprev; /* pending list while async */
};

static void deliver(struct gate_call *call, uint32_t code, const char *msg, bool held)
{
    struct gate_outcome out = {.code = code, .message = msg, .held = held};
    call->done(call->arg, &out);
}

static void outcome_of(struct gate_outcome *out, const struct publish_result *res)
{
    *out = (struct gate_outcome){0};
    if (res->err) {
        out->code = ERR_INTERNAL;
        out->message = proto_error_message(ERR_INTERNAL);
    } else {
        out->offset = res->offset;
        out->epoch = res->epoch;
    }
}

static void on_engine(void *arg, const struct publish_result *res)
{
    struct gate_call *call = arg;
    struct gate_outcome out;
    outcome_of(&out, res);
    call->done(call->arg, &out);
}

/* Hand p to the engine; the caller keeps its own ref to p. */
static void to_engine(struct gate *g, struct publication *p, const struct publish_opts *o,
                      struct gate_call *call)
{
    g->node->stats.publications++;
    if (g->node->engine->ops->publish(g->node->engine, p, o, on_engine, call) != 0)
        deliver(call, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
}

static const struct ns_config *ns_by_name(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nnamespaces; i++)
        if (strcmp(cfg->namespaces[i].name, name) == 0)
            return &cfg->namespaces[i];
    return NULL;
}

/* Does h apply to the namespace named ns_name (ns: its config, or NULL to
 * look it up in the running config)? */
bool gate_hook_applies(const struct gate *g, const struct gate_hook *h, const char *ns_name,
                         const struct ns_config *ns)
{
    if (h->where) {
        if (!ns)
            ns = ns_by_name(g->node->cfg, ns_name);
        return ns && h->where(ns);
    }
    return !h->ns_name || strcmp(h->ns_name, ns_name) == 0;
}

static unsigned hook_bit(const struct gate_hook *h)
{
    return h->pub ? GATE_HAS_PUB : h->sub ? GATE_HAS_SUB : GATE_HAS_VIEW;
}

/* Rebuild the per-namespace map for the running config. */
static int rebind(struct gate *g)
{
    const struct config *cfg = g->node->cfg;
    uint8_t *m = calloc(cfg->nnamespaces ? cfg->nnamespaces : 1, 1);
    if (!m)
        return -1;
    for (size_t i = 0; i < cfg->nnamespaces; i++)
        for (uint32_t k = 0; k < g->nhooks; k++)
            if (gate_hook_applies(g, &g->hooks[k], cfg->namespaces[i].name, &cfg->namespaces[i]))
                m[i] |= hook_bit(&g->hooks[k]);
    free(g->has_hooks);
    g->has_hooks = m;
    g->bound = cfg;
    return 0;
}

static void req_free(struct gate_req *r)
{
    publication_unref(r->pub);
    free(r->ns_name);
    free(r->api_user);
    free(r);
}

/* The request's final outcome: its watcher, then the caller. */
static void finish(struct gate_req *r, const struct gate_outcome *out)
{
    if (r->watch)
        r->watch(r->watch_ctx, out);
    r->call->done(r->call->arg, out);
}

static void finish_code(struct gate_req *r, uint32_t code, const char *msg, bool held)
{
    struct gate_outcome out = {.code = code, .message = msg, .held = held};
    finish(r, &out);
}

static void on_engine_watched(void *arg, const struct publish_result *res)
{
    struct gate_req *r = arg;
    struct gate_outcome out;
    outcome_of(&out, res);
    finish(r, &out);
    req_free(r);
}

static void run_chain(struct gate_req *r);

/* Apply one verdict; true = go on with the next hook. Frees r when done. */
static bool apply(struct gate_req *r, struct gate_verdict v)
{
    switch (v.kind) {
    case GATE_ALLOW:
        return true;
    case GATE_DENY:
        finish_code(r, v.code, v.message, false);
        req_free(r);
        return false;
    case GATE_HOLD:
        finish_code(r, GATE_HELD_CODE, GATE_HELD_MESSAGE, true);
        req_free(r);
        return false;
    case GATE_ACK: {
        struct gate_outcome out = {.offset = v.offset, .epoch = v.epoch};
        finish(r, &out);
        req_free(r);
        return false;
    }
    case GATE_TRANSFORM: {
        struct publication *old = r->pub;
        struct publication *p = publication_new(old->channel, v.data, v.is_json,
                                                v.info ? v.info
                                                : old->has_info ? &old->info : NULL);
        if (!p) {
            finish_code(r, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
            req_free(r);
            return false;
        }
        p->droppable = old->droppable;
        publication_unref(old);
        r->pub = p;
        return true;
    }
    case GATE_ASYNC:
        r->ns = NULL;
        r->next = r->g->pending;
        if (r->next)
            r->next->pprev = &r->next;
        r->pprev = &r->g->pending;
        r->g->pending = r;
        return false;
    }
    finish_code(r, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
    req_free(r);
    return false;
}

static void run_chain(struct gate_req *r)
{
    struct gate *g = r->g;
    for (; r->at < g->nhooks; r->at++) {
        struct gate_hook *h = &g->hooks[r->at];
        if (!h->pub || !gate_hook_applies(g, h, r->ns_name, r->ns))
            continue;
        if (!apply(r, h->pub(h->ctx, r)))
            return;
    }
    if (!r->watch) {
        to_engine(g, r->pub, &r->o, r->call);
        req_free(r);
        return;
    }
    /* the watcher hears the engine's answer: r lives until then */
    g->node->stats.publications++;
    if (g->node->engine->ops->publish(g->node->engine, r->pub, &r->o, on_engine_watched, r) != 0) {
        finish_code(r, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
        req_free(r);
    }
}

void gate_resume(struct gate_req *r, struct gate_verdict v)
{
    if (r->orphan) { /* gate_free() answered its caller; a watcher still hears */
        if (r->watch) {
            struct gate_outcome out = {.code = ERR_INTERNAL,
                                       .message = proto_error_message(ERR_INTERNAL)};
            r->watch(r->watch_ctx, &out);
        }
        req_free(r);
        return;
    }
    *r->pprev = r->next;
    if (r->next)
        r->next->pprev = r->pprev;
    r->next = NULL;
    r->pprev = NULL;
    if (v.kind == GATE_ASYNC)
        v = (struct gate_verdict){.kind = GATE_DENY, .code = ERR_INTERNAL,
                                  .message = proto_error_message(ERR_INTERNAL)};
    if (!apply(r, v))
        return;
    r->at++;
    run_chain(r);
}

struct publication *gate_req_publication(struct gate_req *r) { return r->pub; }
const struct ns_config *gate_req_ns(const struct gate_req *r) { return r->ns; }
enum gate_origin gate_req_origin(const struct gate_req *r) { return r->origin; }
const char *gate_req_api_user(const struct gate_req *r) { return r->api_user; }

void gate_req_watch(struct gate_req *r, gate_done_cb *fn, void *ctx)
{
    r->watch = fn;
    r->watch_ctx = ctx;
}

void gate_init(struct gate *g, struct node *n)
{
    *g = (struct gate){.node = n};
}

void gate_free(struct gate *g)
{
    /* the hook still owes a gate_resume() (its store answers during the
     * backend's teardown): answer the caller now, free the request then */
    while (g->pending) {
        struct gate_req *r = g->pending;
        g->pending = r->next;
        r->next = NULL;
        r->pprev = NULL;
        finish_code(r, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
        r->watch = NULL; /* told */
        r->orphan = true;
    }
    for (uint32_t i = 0; i < g->nhooks; i++)
        free(g->hooks[i].ns_name);
    free(g->hooks);
    free(g->has_hooks);
    *g = (struct gate){0};
}

static int hook_add(struct gate *g, const char *ns_name, gate_ns_pred *where, gate_pub_hook *pub,
                    gate_sub_hook *sub, gate_view_hook *view, void *ctx)
{
    struct gate_hook *h = realloc(g->hooks, (g->nhooks + 1) * sizeof(*h));
    if (!h)
        return -1;
    g->hooks = h;
    char *name = ns_name ? strdup(ns_name) : NULL;
    if (ns_name && !name)
        return -1;
    h[g->nhooks++] = (struct gate_hook){.ns_name = name, .where = where, .pub = pub, .sub = sub,
                                        .view = view, .ctx = ctx};
    g->bound = NULL; /* rebuild the map on the next publish */
    return 0;
}

void gate_config_changed(struct gate *g) { g->bound = NULL; }

int gate_hook_add(struct gate *g, const char *ns_name, gate_pub_hook *hook, void *ctx)
{
    return hook_add(g, ns_name, NULL, hook, NULL, NULL, ctx);
}

int gate_sub_hook_add(struct gate *g, const char *ns_name, gate_sub_hook *hook, void *ctx)
{
    return hook_add(g, ns_name, NULL, NULL, hook, NULL, ctx);
}

int gate_hook_add_where(struct gate *g, gate_ns_pred *where, gate_pub_hook *hook, void *ctx)
{
    return where ? hook_add(g, NULL, where, hook, NULL, NULL, ctx) : -1;
}

int gate_view_add_where(struct gate *g, gate_ns_pred *where, gate_view_hook *hook, void *ctx)
{
    return where ? hook_add(g, NULL, where, NULL, NULL, hook, ctx) : -1;
}

/* The namespace's GATE_HAS_* bits; 0 on OOM too (no hooks run then). */
unsigned gate_ns_hooks(struct gate *g, const struct ns_config *ns, bool *oom)
{
    if (!g->nhooks)
        return 0;
    if (g->bound != g->node->cfg && rebind(g) != 0) {
        *oom = true;
        return 0;
    }
    return g->has_hooks[ns - g->node->cfg->namespaces];
}

const struct ns_config *gate_subscribe(struct gate *g, const struct gate_sub *req,
                                       uint32_t *code, const char **message)
{
    const struct config *cfg = g->node->cfg;
    const char *ch = (const char *)req->channel.p;
    const struct ns_config *ns = NULL;
    bool oom = false;
    if (!config_channel_name_ok(cfg, ch, req->channel.n))
        *code = ERR_BAD_REQUEST, *message = "bad request";
    else if (!(ns = config_find_ns(cfg, ch, req->channel.n)))
        *code = ERR_UNKNOWN_CHANNEL, *message = "unknown channel";
    else if (ns->binary && !req->binary_ok)
        *code = ERR_NOT_AVAILABLE, *message = "not available";
    else if (req->check_access && (config_channel_private(ns, ch, req->channel.n) ||
                                   !access_allows(ns->rules[ACCESS_SUBSCRIBE], req->subject)))
        *code = ERR_PERMISSION_DENIED, *message = "permission denied";
    else if (!(gate_ns_hooks(g, ns, &oom) & GATE_HAS_SUB)) {
        if (!oom)
            return ns;
        *code = ERR_INTERNAL, *message = proto_error_message(ERR_INTERNAL);
    } else {
        for (uint32_t k = 0; k < g->nhooks; k++) {
            struct gate_hook *h = &g->hooks[k];
            if (!h->sub || !gate_hook_applies(g, h, ns->name, ns))
                continue;
            struct gate_verdict v = h->sub(h->ctx, req, ns);
            if (v.kind == GATE_ALLOW)
                continue;
            if (v.kind == GATE_DENY)
                *code = v.code, *message = v.message;
            else
                *code = ERR_INTERNAL, *message = proto_error_message(ERR_INTERNAL);
            return NULL;
        }
        return ns;
    }
    return NULL;
}

void gate_publish(struct gate *g, const struct gate_pub *p, struct gate_call *call,
                  gate_done_cb *done, void *arg)
{
    *call = (struct gate_call){.done = done, .arg = arg};
    const struct config *cfg = g->node->cfg;
    const char *ch = (const char *)p->channel.p;
    if (!config_channel_name_ok(cfg, ch, p->channel.n))
        return deliver(call, ERR_BAD_REQUEST, "bad request", false);
    const struct ns_config *ns = config_find_ns(cfg, ch, p->channel.n);
    if (!ns)
        return deliver(call, ERR_UNKNOWN_CHANNEL, "unknown channel", false);
    if (p->origin == GATE_CLIENT &&
        ((config_channel_private(ns, ch, p->channel.n) && !p->subscribed) ||
         !access_allows(ns->rules[ACCESS_PUBLISH], p->subject)))
        return deliver(call, ERR_PERMISSION_DENIED, "permission denied", false);
    if (!p->has_data)
        return deliver(call, ERR_BAD_REQUEST, "bad request", false);
    if (p->data.n > cfg->max_publication_size)
        return deliver(call, ERR_LIMIT_EXCEEDED, "limit exceeded", false);
    /* a payload the room's JSON subscribers cannot carry must not reach them:
     * outside a binary namespace, data is JSON or it is refused */
    if (!p->is_json && !ns->binary)
        return deliver(call, ERR_BAD_REQUEST, "bad request", false);
    struct publish_opts o = publish_opts_of(ns);
    if (p->skip_history)
        o.history_size = 0;
    bool oom = false;
    bool hooked = gate_ns_hooks(g, ns, &oom) & GATE_HAS_PUB;
    if (oom)
        return deliver(call, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
    struct publication *pub = publication_new(p->channel, p->data, p->is_json, p->info);
    if (!pub)
        return deliver(call, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
    pub->droppable = p->droppable;
    if (!hooked || p->trusted) {
        to_engine(g, pub, &o, call);
        publication_unref(pub);
        return;
    }
    struct gate_req *r = calloc(1, sizeof(*r));
    char *name = strdup(ns->name);
    char *api_user = p->api_user ? strdup(p->api_user) : NULL;
    if (!r || !name || (p->api_user && !api_user)) {
        free(r);
        free(name);
        free(api_user);
        publication_unref(pub);
        return deliver(call, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
    }
    *r = (struct gate_req){.g = g, .call = call, .pub = pub, .ns = ns, .ns_name = name,
                           .o = o, .origin = p->origin, .api_user = api_user};
    call->req = r;
    run_chain(r);
}
