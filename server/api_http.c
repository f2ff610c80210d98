/* server/api_http.c — the HTTP server API's transport: registers the API
 * methods on the node's method table (api_register), runs POST
 * /api/<method> bodies through it (api_call, api_handle) and counts each
 * call by HTTP status in the table (api_count, read by metrics.c). Bodies
 * and replies follow Centrifugo's HTTP API: success {"result":{..}}, a
 * method error {"error":{"code":N,"message":".."}} with HTTP 200; an
 * undecodable body is HTTP 400, an unknown method 404. Calls that reach the
 * engine are asynchronous in shape: each holds a reference on the HTTP
 * request until its reply is written. */
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/errors.h"
#include "server/api_internal.h"
#include "server/http.h"
#include "server/server.h"

int api_register(struct server *srv)
{
    static const struct {
        const char *name;
        method_fn *fn;
    } api[] = {
        {"publish", api_m_publish},
        {"broadcast", api_m_broadcast},
        {"subscribe", api_m_subscribe},
        {"unsubscribe", api_m_unsubscribe},
        {"disconnect", api_m_disconnect},
        {"refresh", api_m_refresh},
        {"presence", api_m_presence},
        {"presence_stats", api_m_presence_stats},
        {"history", api_m_history},
        {"history_remove", api_m_history_remove},
        {"channels", api_m_channels},
        {"info", api_m_info},
        {"batch", api_m_batch},
    };
    for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
        /* API-only: rpc_roles 0, so an rpc naming them answers 104 */
        struct method_spec s = {.name = api[i].name, .fn = api[i].fn, .ctx = srv, .api = true};
        int rc = methods_register(&srv->node.methods, &s);
        if (rc)
            return rc;
    }
    if (srv->node.cfg->test_clock) {
        struct method_spec s = {.name = "debug.clock", .fn = api_m_debug_clock, .ctx = srv,
                                .api = true};
        return methods_register(&srv->node.methods, &s);
    }
    return 0;
}

/* The API method named name, or NULL (unknown, or rpc-only). */
static const struct method *api_method(struct server *srv, const char *name)
{
    const struct method *m = methods_find(&srv->node.methods, name, strlen(name));
    return m && m->api ? m : NULL;
}

static void count(struct server *srv, const struct method *m, int status)
{
    int s = method_stat_of_http_status(status);
    if (s >= 0)
        methods_count(&srv->node.methods, m, (enum method_stat)s);
}

void api_count(struct server *srv, const char *method, int status)
{
    count(srv, api_method(srv, method), status);
}

struct http_call {
    struct http_req *r; /* held */
    const struct method *m; /* borrowed from the table (NULL: unknown) */
};

static void http_done(void *arg, const struct method_reply *mr)
{
    struct http_call *x = arg;
    char *text = mr->text;
    size_t len = mr->len;
    json_t *r = api_reply_json(mr);
    if (r) {
        text = json_dumps(r, JSON_COMPACT);
        len = text ? strlen(text) : 0;
        json_decref(r);
    }
    count(x->r->srv, x->m, text ? 200 : 500);
    if (text)
        http_respond(x->r, 200, "application/json", text, len);
    else
        http_respond(x->r, 500, "application/json", NULL, 0);
    http_req_release(x->r);
    free(x);
}

static void respond_error(struct http_req *r, int status, uint32_t code)
{
    json_t *body = json_pack("{s:{s:i,s:s}}", "error", "code", (int)code, "message",
                             proto_error_message(code));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    http_respond(r, status, "application/json", text, text ? strlen(text) : 0);
}

int api_call(struct server *srv, const char *method, const char *body, size_t len,
             method_done *done, void *arg)
{
    const struct method *m = api_method(srv, method);
    if (!m)
        return 404;
    if (m->fn == api_m_batch)
        return api_batch_start(srv, body, len, done, arg);
    json_t *params = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : json_object();
    if (!json_is_object(params)) {
        json_decref(params);
        return 400;
    }
    struct method_call call = {.origin = METHOD_API, .node = &srv->node, .ctx = m->ctx};
    m->fn(&call, params, done, arg);
    json_decref(params);
    return 0;
}

void api_handle(struct http_req *r, const char *method)
{
    struct http_call *x = malloc(sizeof(*x));
    if (!x)
        return respond_error(r, 500, ERR_INTERNAL);
    x->r = r;
    x->m = api_method(r->srv, method);
    http_req_hold(r);
    int status = api_call(r->srv, method, r->body, r->body_len, http_done, x);
    if (status) { /* refused before the method ran: done was not called */
        http_req_release(r);
        free(x);
        api_count(r->srv, method, status);
        respond_error(r, status, status == 404 ? ERR_METHOD_NOT_FOUND : ERR_BAD_REQUEST);
    }
}
