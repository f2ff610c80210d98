/* node/gate_view.c — gate_history(), the one history read, and its view
 * hooks (node/gate.h "history views"): a namespace without a view hook is
 * the store call itself; with hooks, the gate holds a reference to each
 * publication of the store's answer while the hooks rewrite it, then
 * answers the caller. Owns each struct gate_view until the caller's
 * callback has run. */
#include <stdlib.h>
#include <string.h>

#include "node/gate.h"
#include "node/gate_internal.h"
#include "node/node.h"

/* One history read of a namespace with view hooks. Owned by the gate from
 * gate_history() until the caller's cb has run. */
struct gate_view {
    struct gate *g;                 /* borrowed */
    store_history_cb *cb;           /* the caller's */
    void *arg;
    const struct ns_config *ns;     /* borrowed while synchronous; NULL after an async hook */
    char *ns_name;                  /* owned */
    struct span channel;            /* points into mem */
    char *epoch;                    /* owned copy of the store's epoch */
    uint64_t top;
    struct publication **pubs;      /* owned array of owned refs */
    size_t npubs;
    uint32_t at;                    /* index of the view hook that runs (or ran) */
    bool in_hook;                   /* a hook is running synchronously */
    bool resumed;                   /* ... and it already called gate_view_resume() */
    int err;
    char mem[];
};

static void view_free(struct gate_view *v)
{
    for (size_t i = 0; i < v->npubs; i++)
        publication_unref(v->pubs[i]);
    free(v->pubs);
    free(v->epoch);
    free(v->ns_name);
    free(v);
}

static void view_answer(struct gate_view *v)
{
    struct history_result res = {.err = v->err, .top = v->top, .epoch = v->epoch ? v->epoch : "",
                                 .pubs = v->err ? NULL : v->pubs, .npubs = v->err ? 0 : v->npubs};
    v->cb(v->arg, &res);
    view_free(v);
}

/* Runs the view hooks from v->at on; a hook that answers later resumes it. */
static void view_run(struct gate_view *v)
{
    struct gate *g = v->g;
    while (!v->err && v->at < g->nhooks) {
        struct gate_hook *h = &g->hooks[v->at];
        if (!h->view || !gate_hook_applies(g, h, v->ns_name, v->ns)) {
            v->at++;
            continue;
        }
        v->in_hook = true;
        v->resumed = false;
        h->view(h->ctx, v);
        v->in_hook = false;
        if (!v->resumed) { /* answers later: gate_view_resume() goes on */
            v->ns = NULL;
            return;
        }
        v->at++;
    }
    view_answer(v);
}

void gate_view_resume(struct gate_view *v, int err)
{
    if (err)
        v->err = err;
    if (v->in_hook) {
        v->resumed = true;
        return;
    }
    v->at++;
    view_run(v);
}

struct span gate_view_channel(const struct gate_view *v) { return v->channel; }
const char *gate_view_epoch(const struct gate_view *v) { return v->epoch ? v->epoch : ""; }
const struct ns_config *gate_view_ns(const struct gate_view *v) { return v->ns; }

struct publication **gate_view_pubs(struct gate_view *v, size_t *n)
{
    *n = v->npubs;
    return v->pubs;
}

static void on_view_history(void *arg, const struct history_result *res)
{
    struct gate_view *v = arg;
    if (res->err || !res->npubs) { /* nothing to rewrite */
        v->cb(v->arg, res);
        view_free(v);
        return;
    }
    v->top = res->top;
    v->epoch = strdup(res->epoch ? res->epoch : "");
    v->pubs = malloc(res->npubs * sizeof(*v->pubs));
    if (!v->epoch || !v->pubs) {
        struct history_result e = {.err = ENGINE_ENOMEM, .epoch = ""};
        v->cb(v->arg, &e);
        view_free(v);
        return;
    }
    for (size_t i = 0; i < res->npubs; i++)
        v->pubs[i] = publication_ref(res->pubs[i]);
    v->npubs = res->npubs;
    view_run(v);
}

int gate_history(struct gate *g, struct span channel, const struct ns_config *ns,
                 const struct history_query *q, store_history_cb *cb, void *arg)
{
    struct store *st = g->node->store;
    bool oom = false;
    if (!(gate_ns_hooks(g, ns, &oom) & GATE_HAS_VIEW)) {
        if (oom)
            return ENGINE_ENOMEM;
        return st->ops->history(st, channel, ns, q, cb, arg);
    }
    struct gate_view *v = calloc(1, sizeof(*v) + channel.n + 1);
    char *name = strdup(ns->name);
    if (!v || !name) {
        free(v);
        free(name);
        return ENGINE_ENOMEM;
    }
    *v = (struct gate_view){.g = g, .cb = cb, .arg = arg, .ns = ns, .ns_name = name,
                            .channel = {(const uint8_t *)v->mem, channel.n}};
    memcpy(v->mem, channel.p, channel.n);
    int rc = st->ops->history(st, v->channel, ns, q, on_view_history, v);
    if (rc)
        view_free(v);
    return rc;
}
