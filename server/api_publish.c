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
    struct gate_call call;
};

static void on_api_published(void *arg, const struct gate_outcome *out)
{
    struct pub_call *x = arg;
    if (out->held)
        method_error(x->done, x->arg, out->code, out->message);
    else if (out->code)
        /* the gate's own checks keep the API's default messages; a hook's
         * deny carries its own */
        method_error(x->done, x->arg, out->code, out->code < 1000 ? NULL : out->message);
    else if (out->epoch)
        method_ok(x->done, x->arg,
                  json_pack("{s:I,s:s}", "offset", (json_int_t)out->offset, "epoch", out->epoch));
    else
        method_ok(x->done, x->arg, NULL);
    free(x);
}

/* The API's JSON shape is here (data dumped compact); the checks, hooks and
 * the engine publish are the gate's (node/gate.h). user: the request's
 * top-level "user", handed to the hooks (a chat namespace makes it the
 * author); broadcast has none. */
static void publish_one(struct server *srv, const char *channel, json_t *data, bool skip_history,
                        const char *user, method_done *done, void *arg)
{
    char *text = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    struct pub_call *x = malloc(sizeof(*x));
    if (!x || (data && !text)) {
        free(x);
        free(text);
        return method_error(done, arg, ERR_INTERNAL, NULL);
    }
    x->done = done;
    x->arg = arg;
    struct gate_pub p = {.channel = channel ? span_str(channel) : (struct span){0},
                         .data = text ? span_str(text) : (struct span){0},
                         .has_data = text != NULL, .is_json = true, .origin = GATE_API,
                         .skip_history = skip_history, .api_user = user};
    gate_publish(&srv->node.gate, &p, &x->call, on_api_published, x);
    free(text);
}

void api_m_publish(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    publish_one(server_of(call->node), api_get_str(params, "channel"),
                json_object_get(params, "data"),
                json_is_true(json_object_get(params, "skip_history")),
                api_get_str(params, "user"), done, arg);
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
                    api_get_str(b->params, "user"), bcast_one_done, b);
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
