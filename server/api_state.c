/* server/api_state.c — the API methods that read or drop a channel's state:
 * presence, presence_stats, history, history_remove (through the engine,
 * asynchronous in shape) and the node-local channels and info (on the
 * node's method table, registered by api_http.c). */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/errors.h"
#include "server/api_internal.h"
#include "server/cluster.h"
#include "server/server.h"

/* ---- presence, presence_stats, history, history_remove ---- */

struct cb_call {
    method_done *done;
    void *arg;
};

static struct cb_call *cb_call_new(method_done *done, void *arg)
{
    struct cb_call *x = malloc(sizeof(*x));
    if (x) {
        x->done = done;
        x->arg = arg;
    }
    return x;
}

static void on_api_presence(void *arg, int err, const struct clientinfo *e, size_t n)
{
    struct cb_call *x = arg;
    if (err) {
        method_error(x->done, x->arg, ERR_INTERNAL, NULL);
    } else {
        json_t *m = json_object();
        for (size_t i = 0; i < n; i++) {
            char id[64];
            snprintf(id, sizeof(id), "%.*s", (int)e[i].client.n, (const char *)e[i].client.p);
            json_object_set_new(m, id, api_clientinfo_json(&e[i]));
        }
        method_ok(x->done, x->arg, json_pack("{s:o}", "presence", m));
    }
    free(x);
}

static void on_api_stats(void *arg, int err, uint32_t clients, uint32_t users)
{
    struct cb_call *x = arg;
    if (err)
        method_error(x->done, x->arg, ERR_INTERNAL, NULL);
    else
        method_ok(x->done, x->arg, json_pack("{s:i,s:i}", "num_clients", (int)clients,
                                             "num_users", (int)users));
    free(x);
}

static void on_api_history(void *arg, const struct history_result *res)
{
    struct cb_call *x = arg;
    if (res->err == ENGINE_EUNRECOVERABLE) {
        method_error(x->done, x->arg, ERR_UNRECOVERABLE_POSITION, NULL);
    } else if (res->err) {
        method_error(x->done, x->arg, ERR_INTERNAL, NULL);
    } else {
        json_t *pubs = json_array();
        for (size_t i = 0; i < res->npubs; i++)
            json_array_append_new(pubs, api_publication_json(res->pubs[i]));
        method_ok(x->done, x->arg,
                  json_pack("{s:o,s:I,s:s}", "publications", pubs, "offset",
                            (json_int_t)res->top, "epoch", res->epoch));
    }
    free(x);
}

static void m_presence_common(struct server *srv, json_t *params, method_done *done, void *arg,
                              bool stats)
{
    uint32_t err = 0;
    const char *ch = api_get_str(params, "channel");
    const struct ns_config *ns = api_channel(srv, ch, &err);
    if (!ns)
        return method_error(done, arg, err, NULL);
    if (!ns->presence)
        return method_error(done, arg, ERR_NOT_AVAILABLE, NULL);
    struct cb_call *x = cb_call_new(done, arg);
    if (!x)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    struct store *st = srv->node.store;
    int r = stats ? st->ops->presence_stats(st, span_str(ch), on_api_stats, x)
                  : st->ops->presence_get(st, span_str(ch), on_api_presence, x);
    if (r) {
        free(x);
        method_error(done, arg, ERR_INTERNAL, NULL);
    }
}

void api_m_presence(const struct method_call *call, json_t *p, method_done *done, void *arg)
{
    m_presence_common(server_of(call->node), p, done, arg, false);
}

void api_m_presence_stats(const struct method_call *call, json_t *p, method_done *done, void *arg)
{
    m_presence_common(server_of(call->node), p, done, arg, true);
}

/* The params' channel and its namespace when that keeps history; else NULL
 * after answering (the channel's error, or 108). */
static const struct ns_config *history_ns(struct server *srv, json_t *params, const char **ch,
                                          method_done *done, void *arg)
{
    uint32_t err = 0;
    *ch = api_get_str(params, "channel");
    const struct ns_config *ns = api_channel(srv, *ch, &err);
    if (!ns)
        return method_error(done, arg, err, NULL), NULL;
    if (!ns_has_history(ns))
        return method_error(done, arg, ERR_NOT_AVAILABLE, NULL), NULL;
    return ns;
}

void api_m_history(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct server *srv = server_of(call->node);
    const char *ch;
    const struct ns_config *ns = history_ns(srv, params, &ch, done, arg);
    if (!ns)
        return;
    struct history_query q = {0};
    json_t *lim = json_object_get(params, "limit");
    if (lim && !json_is_integer(lim))
        return method_error(done, arg, ERR_BAD_REQUEST, NULL);
    json_int_t l = lim ? json_integer_value(lim) : 0;
    q.limit = (l < 0 || l > (json_int_t)srv->node.cfg->history_max_limit) ? (int32_t)srv->node.cfg->history_max_limit
                                                                    : (int32_t)l;
    q.reverse = json_is_true(json_object_get(params, "reverse"));
    json_t *since = json_object_get(params, "since");
    if (json_is_object(since)) {
        json_t *off = json_object_get(since, "offset");
        q.has_since = true;
        q.since_offset = json_is_integer(off) ? (uint64_t)json_integer_value(off) : 0;
        const char *ep = api_get_str(since, "epoch");
        q.since_epoch = span_str(ep);
        if (q.reverse && q.since_offset == 0)
            return method_error(done, arg, ERR_BAD_REQUEST, NULL);
    }
    struct cb_call *x = cb_call_new(done, arg);
    if (!x)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    if (gate_history(&srv->node.gate, span_str(ch), ns, &q, on_api_history, x)) {
        free(x);
        method_error(done, arg, ERR_INTERNAL, NULL);
    }
}

void api_m_history_remove(const struct method_call *call, json_t *params, method_done *done,
                          void *arg)
{
    struct server *srv = server_of(call->node);
    const char *ch;
    const struct ns_config *ns = history_ns(srv, params, &ch, done, arg);
    if (!ns)
        return;
    srv->node.store->ops->history_remove(srv->node.store, span_str(ch));
    method_ok(done, arg, NULL);
}

/* ---- node-local: channels, info ---- */

void api_m_channels(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct server *srv = server_of(call->node);
    const char *pattern = api_get_str(params, "pattern");
    json_t *m = json_object();
    struct dict_iter it;
    dict_iter_init(&it, &srv->node.hub.rooms);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        struct hub_room *r = DICT_CONTAINER(e, struct hub_room, de);
        if (pattern && *pattern && fnmatch(pattern, r->name, 0) != 0)
            continue;
        json_object_set_new(m, r->name, json_pack("{s:i}", "num_clients", (int)r->nsubs));
    }
    method_ok(done, arg, json_pack("{s:o}", "channels", m));
}

void api_m_info(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    method_ok(done, arg, json_pack("{s:o}", "nodes", cluster_nodes_json(server_of(call->node))));
}
