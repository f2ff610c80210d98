/* node/gate.c — the one publish path (node/gate.h): the shared checks, the
 * publish hook chain (allow / deny / hold / transform / async) and the
 * engine publish. Owns the hook table, the per-namespace "has hooks" map
 * (rebuilt when the running config changes: namespaces matched by name) and
 * the requests waiting on gate_resume(). */
#include "node/gate.h"

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
    uint32_t subject, marks;        /* from gate_pub */
    uint32_t at;                    /* index of the hook that runs (or ran) */
    struct gate_req *next, **pprev; /* pending list while async */
    bool orphan;                    /* gate_free() answered the caller: resume only frees */
};

static void deliver(struct gate_call *call, uint32_t code, const char *msg, bool held)
{
    struct gate_outcome out = {.code = code, .message = msg, .held = held};
    call->done(call->arg, &out);
}

static void on_engine(void *arg, const struct publish_result *res)
{
    struct gate_call *call = arg;
    struct gate_outcome out = {0};
    if (res->err) {
        out.code = ERR_INTERNAL;
        out.message = proto_error_message(ERR_INTERNAL);
    } else {
        out.offset = res->offset;
        out.epoch = res->epoch;
    }
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

#define GATE_HAS_PUB 1u
#define GATE_HAS_SUB 2u

/* ns: the namespace named ns_name (NULL: gone with a reload, then only
 * name-matched hooks apply). */
static bool hook_applies(const struct gate_hook *h, const struct ns_config *ns,
                         const char *ns_name)
{
    if (h->where)
        return ns && h->where(ns);
    return !h->ns_name || strcmp(h->ns_name, ns_name) == 0;
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
            if (hook_applies(&g->hooks[k], &cfg->namespaces[i], cfg->namespaces[i].name))
                m[i] |= g->hooks[k].pub ? GATE_HAS_PUB : GATE_HAS_SUB;
    free(g->has_hooks);
    g->has_hooks = m;
    g->bound = cfg;
    return 0;
}

static void req_free(struct gate_req *r)
{
    publication_unref(r->pub);
    free(r->ns_name);
    free(r);
}

static void run_chain(struct gate_req *r);

/* Apply one verdict; true = go on with the next hook. Frees r when done. */
static bool apply(struct gate_req *r, struct gate_verdict v)
{
    switch (v.kind) {
    case GATE_ALLOW:
        return true;
    case GATE_DENY:
        deliver(r->call, v.code, v.message, false);
        req_free(r);
        return false;
    case GATE_HOLD:
        deliver(r->call, GATE_HELD_CODE, GATE_HELD_MESSAGE, true);
        req_free(r);
        return false;
    case GATE_TRANSFORM: {
        struct publication *old = r->pub;
        struct publication *p = publication_new(old->channel, v.data, v.is_json,
                                                old->has_info ? &old->info : NULL);
        if (!p) {
            deliver(r->call, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
            req_free(r);
            return false;
        }
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
    deliver(r->call, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
    req_free(r);
    return false;
}

static void run_chain(struct gate_req *r)
{
    struct gate *g = r->g;
    for (; r->at < g->nhooks; r->at++) {
        struct gate_hook *h = &g->hooks[r->at];
        if (!h->pub)
            continue;
        /* after an async wait the namespace is looked up again by channel
         * (a reload may have replaced it) */
        const struct ns_config *ns = r->ns;
        if (!ns && h->where) {
            ns = config_find_ns(g->node->cfg, (const char *)r->pub->channel.p, r->pub->channel.n);
            if (ns && strcmp(ns->name, r->ns_name) != 0)
                ns = NULL;
        }
        if (!hook_applies(h, ns, r->ns_name))
            continue;
        if (!apply(r, h->pub(h->ctx, r)))
            return;
    }
    to_engine(g, r->pub, &r->o, r->call);
    req_free(r);
}

void gate_resume(struct gate_req *r, struct gate_verdict v)
{
    if (r->orphan) { /* gate_free() answered its caller */
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
uint32_t gate_req_subject(const struct gate_req *r) { return r->subject; }
uint32_t gate_req_marks(const struct gate_req *r) { return r->marks; }

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
        r->orphan = true;
        deliver(r->call, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
    }
    for (uint32_t i = 0; i < g->nhooks; i++)
        free(g->hooks[i].ns_name);
    free(g->hooks);
    free(g->has_hooks);
    free(g->conn);
    *g = (struct gate){0};
}

static int hook_add(struct gate *g, const char *ns_name, gate_ns_pred *where, gate_pub_hook *pub,
                    gate_sub_hook *sub, void *ctx)
{
    struct gate_hook *h = realloc(g->hooks, (g->nhooks + 1) * sizeof(*h));
    if (!h)
        return -1;
    g->hooks = h;
    char *name = ns_name ? strdup(ns_name) : NULL;
    if (ns_name && !name)
        return -1;
    h[g->nhooks++] =
        (struct gate_hook){.ns_name = name, .where = where, .pub = pub, .sub = sub, .ctx = ctx};
    g->bound = NULL; /* rebuild the map on the next publish */
    return 0;
}

void gate_config_changed(struct gate *g) { g->bound = NULL; }

int gate_hook_add(struct gate *g, const char *ns_name, gate_pub_hook *hook, void *ctx)
{
    return hook_add(g, ns_name, NULL, hook, NULL, ctx);
}

int gate_sub_hook_add(struct gate *g, const char *ns_name, gate_sub_hook *hook, void *ctx)
{
    return hook_add(g, ns_name, NULL, NULL, hook, ctx);
}

int gate_hook_add_where(struct gate *g, gate_ns_pred *where, gate_pub_hook *hook, void *ctx)
{
    return hook_add(g, NULL, where, hook, NULL, ctx);
}

int gate_sub_hook_add_where(struct gate *g, gate_ns_pred *where, gate_sub_hook *hook, void *ctx)
{
    return hook_add(g, NULL, where, NULL, hook, ctx);
}

int gate_connect_hook_add(struct gate *g, gate_conn_hook *hook, void *ctx)
{
    struct gate_conn *c = realloc(g->conn, (g->nconn + 1) * sizeof(*c));
    if (!c)
        return -1;
    g->conn = c;
    c[g->nconn++] = (struct gate_conn){.fn = hook, .ctx = ctx};
    return 0;
}

uint32_t gate_connect(struct gate *g, const char *user, uint32_t subject, const char **reason)
{
    for (uint32_t i = 0; i < g->nconn; i++) {
        struct gate_verdict v = g->conn[i].fn(g->conn[i].ctx, user, subject);
        if (v.kind == GATE_ALLOW)
            continue;
        if (v.kind == GATE_DENY && v.code >= 3000 && v.code <= 4999) {
            *reason = v.message;
            return v.code;
        }
        *reason = proto_error_message(DISC_INTERNAL);
        return DISC_INTERNAL;
    }
    return 0;
}

/* The namespace's GATE_HAS_* bits; 0 on OOM too (no hooks run then). */
static unsigned ns_hooks(struct gate *g, const struct ns_config *ns, bool *oom)
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
    else if (!(ns_hooks(g, ns, &oom) & GATE_HAS_SUB)) {
        if (!oom)
            return ns;
        *code = ERR_INTERNAL, *message = proto_error_message(ERR_INTERNAL);
    } else {
        for (uint32_t k = 0; k < g->nhooks; k++) {
            struct gate_hook *h = &g->hooks[k];
            if (!h->sub || !hook_applies(h, ns, ns->name))
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
    bool hooked = ns_hooks(g, ns, &oom) & GATE_HAS_PUB;
    if (oom)
        return deliver(call, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
    struct publication *pub = publication_new(p->channel, p->data, p->is_json, p->info);
    if (!pub)
        return deliver(call, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
    if (!hooked) {
        to_engine(g, pub, &o, call);
        publication_unref(pub);
        return;
    }
    struct gate_req *r = calloc(1, sizeof(*r));
    char *name = strdup(ns->name);
    if (!r || !name) {
        free(r);
        free(name);
        publication_unref(pub);
        return deliver(call, ERR_INTERNAL, proto_error_message(ERR_INTERNAL), false);
    }
    *r = (struct gate_req){.g = g, .call = call, .pub = pub, .ns = ns, .ns_name = name,
                           .o = o, .origin = p->origin,
                           .subject = p->subject, .marks = p->marks};
    call->req = r;
    run_chain(r);
}
