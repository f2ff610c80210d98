/* server/api_publish.c — the API's publish and broadcast methods (on the
 * node's method table, registered by api_http.c). publish_one() is the
 * API's one way into the engine's publish; broadcast steps through its
 * channels in a loop that does not recurse when the engine answers at once,
 * encoding each reply into one text buffer as it arrives, capped at
 * api_max_broadcast_channels. */
#include <stdlib.h>
#include <string.h>

#include "protocol/errors.h"
#include "server/api_internal.h"
#include "server/api_text.h"
#include "server/server.h"

struct pub_call {
    method_done *done;
    void *arg;
};

static void on_api_published(void *arg, const struct publish_result *res)
{
    struct pub_call *x = arg;
    if (res->err)
        method_error(x->done, x->arg, ERR_INTERNAL, NULL);
    else if (res->epoch)
        method_ok(x->done, x->arg,
                  json_pack("{s:I,s:s}", "offset", (json_int_t)res->offset, "epoch", res->epoch));
    else
        method_ok(x->done, x->arg, NULL);
    free(x);
}

static void publish_one(struct server *srv, const char *channel, json_t *data, bool skip_history,
                        method_done *done, void *arg)
{
    uint32_t err = 0;
    const struct ns_config *ns = api_channel(srv, channel, &err);
    if (!ns)
        return method_error(done, arg, err, NULL);
    if (!data)
        return method_error(done, arg, ERR_BAD_REQUEST, NULL);
    char *text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text && strlen(text) > srv->node.cfg->max_publication_size) {
        free(text);
        return method_error(done, arg, ERR_LIMIT_EXCEEDED, NULL);
    }
    struct pub_call *x = malloc(sizeof(*x));
    struct publication *p = text ? publication_new(span_str(channel), span_str(text), true, NULL) : NULL;
    free(text);
    if (!p || !x) {
        free(x);
        publication_unref(p);
        return method_error(done, arg, ERR_INTERNAL, NULL);
    }
    x->done = done;
    x->arg = arg;
    struct publish_opts o = publish_opts_of(ns);
    if (skip_history)
        o.history_size = 0;
    srv->node.stats.publications++;
    int r = srv->node.engine->ops->publish(srv->node.engine, p, &o, on_api_published, x);
    publication_unref(p);
    if (r) {
        free(x);
        method_error(done, arg, ERR_INTERNAL, NULL);
    }
}

void api_m_publish(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    publish_one(server_of(call->node), api_get_str(params, "channel"),
                json_object_get(params, "data"),
                json_is_true(json_object_get(params, "skip_history")), done, arg);
}

/* A broadcast publishes to its channels one after another. Each reply is
 * encoded into out as it arrives. The loop is a trampoline: when a publish
 * answers before returning (the memory engine always does), its callback
 * only sets `again` and the loop goes on, so the stack stays flat however
 * many channels there are; a later (asynchronous) answer restarts the loop. */
struct bcast {
    struct server *srv;
    json_t *params;       /* owned ref */
    struct api_text out;  /* owned: {"result":{"responses":[ reply, ... */
    size_t next;
    bool stepping;        /* bcast_step is on the stack */
    bool again;           /* the publish it started has answered */
    method_done *done;
    void *arg;
};

static void bcast_step(struct bcast *b);

static void bcast_one_done(void *arg, const struct method_reply *r)
{
    struct bcast *b = arg;
    if (b->next > 1)
        api_text_put(&b->out, ",", 1);
    json_t *j = api_reply_json(r);
    if (r->text)
        api_text_put(&b->out, r->text, r->len);
    else if (j)
        api_text_put_json(&b->out, j);
    else
        api_text_puts(&b->out, "{\"error\":{\"code\":100,\"message\":\"internal server error\"}}");
    json_decref(j);
    free(r->text);
    if (b->stepping)
        b->again = true;
    else
        bcast_step(b);
}

static void bcast_step(struct bcast *b)
{
    json_t *chans = json_object_get(b->params, "channels");
    json_t *data = json_object_get(b->params, "data");
    bool skip = json_is_true(json_object_get(b->params, "skip_history"));
    b->stepping = true;
    while (b->next < json_array_size(chans)) {
        json_t *ch = json_array_get(chans, b->next++);
        b->again = false;
        publish_one(b->srv, json_is_string(ch) ? json_string_value(ch) : NULL, data, skip,
                    bcast_one_done, b);
        if (!b->again) { /* answers later: bcast_one_done goes on from there */
            b->stepping = false;
            return;
        }
    }
    api_text_puts(&b->out, "]}}");
    struct method_reply r = {0};
    r.text = api_text_take(&b->out, &r.len);
    r.oom = r.text == NULL;
    method_done *done = b->done;
    void *arg = b->arg;
    json_decref(b->params);
    free(b);
    done(arg, &r);
}

void api_m_broadcast(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct server *srv = server_of(call->node);
    json_t *chans = json_object_get(params, "channels");
    if (!json_is_array(chans) || !json_array_size(chans) || !json_object_get(params, "data") ||
        json_array_size(chans) > srv->node.cfg->api_max_broadcast_channels)
        return method_error(done, arg, ERR_BAD_REQUEST, NULL);
    struct bcast *b = calloc(1, sizeof(*b));
    if (!b)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    *b = (struct bcast){.srv = srv, .params = json_incref(params), .done = done, .arg = arg};
    api_text_puts(&b->out, "{\"result\":{\"responses\":[");
    bcast_step(b);
}
