/* server/api.c — what each server API method does (see api.h). Bodies and
 * replies follow Centrifugo's HTTP API: success {"result":{..}}, a method
 * error {"error":{"code":N,"message":".."}} with HTTP 200; an undecodable
 * body is HTTP 400, an unknown method 404. Calls that reach the engine are
 * asynchronous in shape: each holds a reference on the HTTP request until
 * its reply is written. broadcast and batch step through their channels and
 * commands in a loop that does not recurse when an engine answers at once,
 * encode their replies into one text buffer as they arrive, and are capped
 * at api_max_broadcast_channels / api_max_batch_commands items. */
#include "server/api.h"

#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/api_text.h"
#include "clients/client.h"
#include "server/cluster.h"
#include "server/http.h"
#include "server/server.h"


struct api_method {
    const char *name;
    void (*fn)(struct server *srv, json_t *params, api_done *done, void *arg);
};

static const struct api_method *find_method(const char *name);

/* ---- replies ---- */

static json_t *api_error(int code, const char *message)
{
    return json_pack("{s:{s:i,s:s}}", "error", "code", code, "message", message);
}

static json_t *api_result(json_t *result) /* steals result */
{
    return json_pack("{s:o}", "result", result ? result : json_object());
}

/* Answers with a reply object (owned by done). */
static void reply(api_done *done, void *arg, json_t *r)
{
    done(arg, r, NULL, 0);
}

/* ---- shared checks ---- */

static const char *get_str(json_t *params, const char *key)
{
    json_t *v = json_object_get(params, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Validates a channel like the client protocol does. Returns its namespace,
 * or NULL with *err set to a reply. */
static const struct ns_config *api_channel(struct server *srv, const char *ch, json_t **err)
{
    size_t n = ch ? strlen(ch) : 0;
    if (!config_channel_name_ok(srv->node.cfg, ch, n)) {
        *err = api_error(107, "bad request");
        return NULL;
    }
    const struct ns_config *ns = config_find_ns(srv->node.cfg, ch, n);
    if (!ns)
        *err = api_error(102, "unknown channel");
    return ns;
}

/* Raw payload bytes → a JSON value for a reply (non-JSON payloads as b64data). */
static void put_payload(json_t *obj, const char *key, struct span data, bool is_json)
{
    if (!data.n)
        return;
    if (is_json) {
        json_t *v = json_loadb((const char *)data.p, data.n, JSON_DECODE_ANY, NULL);
        if (v) {
            json_object_set_new(obj, key, v);
            return;
        }
    }
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *b = malloc((data.n + 2) / 3 * 4 + 1);
    if (!b)
        return;
    size_t o = 0;
    for (size_t i = 0; i < data.n; i += 3) {
        uint32_t v = (uint32_t)data.p[i] << 16;
        if (i + 1 < data.n) v |= (uint32_t)data.p[i + 1] << 8;
        if (i + 2 < data.n) v |= data.p[i + 2];
        b[o++] = t[(v >> 18) & 63];
        b[o++] = t[(v >> 12) & 63];
        b[o++] = i + 1 < data.n ? t[(v >> 6) & 63] : '=';
        b[o++] = i + 2 < data.n ? t[v & 63] : '=';
    }
    b[o] = 0;
    char key2[32];
    snprintf(key2, sizeof(key2), "b64%s", key);
    json_object_set_new(obj, key2, json_string(b));
    free(b);
}

static json_t *clientinfo_json(const struct clientinfo *ci)
{
    json_t *o = json_pack("{s:s%,s:s%}", "user", (const char *)ci->user.p, ci->user.n, "client",
                          (const char *)ci->client.p, ci->client.n);
    put_payload(o, "conn_info", ci->conn_info, true);
    put_payload(o, "chan_info", ci->chan_info, true);
    return o;
}

static json_t *publication_json(const struct publication *p)
{
    json_t *o = json_object();
    put_payload(o, "data", p->data, p->data_is_json);
    if (p->has_info)
        json_object_set_new(o, "info", clientinfo_json(&p->info));
    if (p->offset)
        json_object_set_new(o, "offset", json_integer((json_int_t)p->offset));
    return o;
}

/* ---- publish, broadcast ---- */

struct pub_call {
    api_done *done;
    void *arg;
};

static void on_api_published(void *arg, const struct publish_result *res)
{
    struct pub_call *x = arg;
    if (res->err)
        reply(x->done, x->arg, api_error(100, "internal server error"));
    else if (res->epoch)
        reply(x->done, x->arg,
              api_result(json_pack("{s:I,s:s}", "offset", (json_int_t)res->offset, "epoch",
                                   res->epoch)));
    else
        reply(x->done, x->arg, api_result(NULL));
    free(x);
}

static void publish_one(struct server *srv, const char *channel, json_t *data, bool skip_history,
                        api_done *done, void *arg)
{
    json_t *err = NULL;
    const struct ns_config *ns = api_channel(srv, channel, &err);
    if (!ns)
        return reply(done, arg, err);
    if (!data)
        return reply(done, arg, api_error(107, "bad request"));
    char *text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text && strlen(text) > srv->node.cfg->max_publication_size) {
        free(text);
        return reply(done, arg, api_error(106, "limit exceeded"));
    }
    struct pub_call *x = malloc(sizeof(*x));
    struct publication *p = text ? publication_new(span_str(channel), span_str(text), true, NULL) : NULL;
    free(text);
    if (!p || !x) {
        free(x);
        publication_unref(p);
        return reply(done, arg, api_error(100, "internal server error"));
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
        reply(done, arg, api_error(100, "internal server error"));
    }
}

static void m_publish(struct server *srv, json_t *params, api_done *done, void *arg)
{
    publish_one(srv, get_str(params, "channel"), json_object_get(params, "data"),
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
    api_done *done;
    void *arg;
};

static void bcast_step(struct bcast *b);

static void bcast_one_done(void *arg, json_t *r, char *text, size_t len)
{
    struct bcast *b = arg;
    if (b->next > 1)
        api_text_put(&b->out, ",", 1);
    if (text)
        api_text_put(&b->out, text, len);
    else if (r)
        api_text_put_json(&b->out, r);
    else
        api_text_puts(&b->out, "{\"error\":{\"code\":100,\"message\":\"internal server error\"}}");
    json_decref(r);
    free(text);
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
    size_t len = 0;
    char *text = api_text_take(&b->out, &len);
    api_done *done = b->done;
    void *arg = b->arg;
    json_decref(b->params);
    free(b);
    done(arg, NULL, text, len);
}

static void m_broadcast(struct server *srv, json_t *params, api_done *done, void *arg)
{
    json_t *chans = json_object_get(params, "channels");
    if (!json_is_array(chans) || !json_array_size(chans) || !json_object_get(params, "data") ||
        json_array_size(chans) > srv->node.cfg->api_max_broadcast_channels)
        return reply(done, arg, api_error(107, "bad request"));
    struct bcast *b = calloc(1, sizeof(*b));
    if (!b)
        return reply(done, arg, api_error(100, "internal server error"));
    *b = (struct bcast){.srv = srv, .params = json_incref(params), .done = done, .arg = arg};
    api_text_puts(&b->out, "{\"result\":{\"responses\":[");
    bcast_step(b);
}

/* ---- presence, presence_stats, history, history_remove ---- */

struct cb_call {
    api_done *done;
    void *arg;
};

static struct cb_call *cb_call_new(api_done *done, void *arg)
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
        reply(x->done, x->arg, api_error(100, "internal server error"));
    } else {
        json_t *m = json_object();
        for (size_t i = 0; i < n; i++) {
            char id[64];
            snprintf(id, sizeof(id), "%.*s", (int)e[i].client.n, (const char *)e[i].client.p);
            json_object_set_new(m, id, clientinfo_json(&e[i]));
        }
        reply(x->done, x->arg, api_result(json_pack("{s:o}", "presence", m)));
    }
    free(x);
}

static void on_api_stats(void *arg, int err, uint32_t clients, uint32_t users)
{
    struct cb_call *x = arg;
    if (err)
        reply(x->done, x->arg, api_error(100, "internal server error"));
    else
        reply(x->done, x->arg, api_result(json_pack("{s:i,s:i}", "num_clients", (int)clients,
                                                    "num_users", (int)users)));
    free(x);
}

static void on_api_history(void *arg, const struct history_result *res)
{
    struct cb_call *x = arg;
    if (res->err == ENGINE_EUNRECOVERABLE) {
        reply(x->done, x->arg, api_error(112, "unrecoverable position"));
    } else if (res->err) {
        reply(x->done, x->arg, api_error(100, "internal server error"));
    } else {
        json_t *pubs = json_array();
        for (size_t i = 0; i < res->npubs; i++)
            json_array_append_new(pubs, publication_json(res->pubs[i]));
        reply(x->done, x->arg,
              api_result(json_pack("{s:o,s:I,s:s}", "publications", pubs, "offset",
                                   (json_int_t)res->top, "epoch", res->epoch)));
    }
    free(x);
}

static void m_presence_common(struct server *srv, json_t *params, api_done *done, void *arg,
                              bool stats)
{
    json_t *err = NULL;
    const char *ch = get_str(params, "channel");
    const struct ns_config *ns = api_channel(srv, ch, &err);
    if (!ns)
        return reply(done, arg, err);
    if (!ns->presence)
        return reply(done, arg, api_error(108, "not available"));
    struct cb_call *x = cb_call_new(done, arg);
    if (!x)
        return reply(done, arg, api_error(100, "internal server error"));
    struct store *st = srv->node.store;
    int r = stats ? st->ops->presence_stats(st, span_str(ch), on_api_stats, x)
                  : st->ops->presence_get(st, span_str(ch), on_api_presence, x);
    if (r) {
        free(x);
        reply(done, arg, api_error(100, "internal server error"));
    }
}

static void m_presence(struct server *srv, json_t *p, api_done *done, void *arg)
{
    m_presence_common(srv, p, done, arg, false);
}

static void m_presence_stats(struct server *srv, json_t *p, api_done *done, void *arg)
{
    m_presence_common(srv, p, done, arg, true);
}

static void m_history(struct server *srv, json_t *params, api_done *done, void *arg)
{
    json_t *err = NULL;
    const char *ch = get_str(params, "channel");
    const struct ns_config *ns = api_channel(srv, ch, &err);
    if (!ns)
        return reply(done, arg, err);
    if (!ns_has_history(ns))
        return reply(done, arg, api_error(108, "not available"));
    struct history_query q = {0};
    json_t *lim = json_object_get(params, "limit");
    if (lim && !json_is_integer(lim))
        return reply(done, arg, api_error(107, "bad request"));
    json_int_t l = lim ? json_integer_value(lim) : 0;
    q.limit = (l < 0 || l > (json_int_t)srv->node.cfg->history_max_limit) ? (int32_t)srv->node.cfg->history_max_limit
                                                                    : (int32_t)l;
    q.reverse = json_is_true(json_object_get(params, "reverse"));
    json_t *since = json_object_get(params, "since");
    if (json_is_object(since)) {
        json_t *off = json_object_get(since, "offset");
        q.has_since = true;
        q.since_offset = json_is_integer(off) ? (uint64_t)json_integer_value(off) : 0;
        const char *ep = get_str(since, "epoch");
        q.since_epoch = span_str(ep);
        if (q.reverse && q.since_offset == 0)
            return reply(done, arg, api_error(107, "bad request"));
    }
    struct cb_call *x = cb_call_new(done, arg);
    if (!x)
        return reply(done, arg, api_error(100, "internal server error"));
    if (srv->node.store->ops->history(srv->node.store, span_str(ch), ns, &q, on_api_history, x)) {
        free(x);
        reply(done, arg, api_error(100, "internal server error"));
    }
}

static void m_history_remove(struct server *srv, json_t *params, api_done *done, void *arg)
{
    json_t *err = NULL;
    const char *ch = get_str(params, "channel");
    const struct ns_config *ns = api_channel(srv, ch, &err);
    if (!ns)
        return reply(done, arg, err);
    if (!ns_has_history(ns))
        return reply(done, arg, api_error(108, "not available"));
    srv->node.store->ops->history_remove(srv->node.store, span_str(ch));
    reply(done, arg, api_result(NULL));
}

/* ---- node-local: channels, info, disconnect, unsubscribe, refresh ---- */

static void m_channels(struct server *srv, json_t *params, api_done *done, void *arg)
{
    const char *pattern = get_str(params, "pattern");
    json_t *m = json_object();
    struct dict_iter it;
    dict_iter_init(&it, &srv->node.hub.rooms);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        struct hub_room *r = DICT_CONTAINER(e, struct hub_room, de);
        if (pattern && *pattern && fnmatch(pattern, r->name, 0) != 0)
            continue;
        json_object_set_new(m, r->name, json_pack("{s:i}", "num_clients", (int)r->nsubs));
    }
    reply(done, arg, api_result(json_pack("{s:o}", "channels", m)));
}

static void m_info(struct server *srv, json_t *params, api_done *done, void *arg)
{
    reply(done, arg, api_result(json_pack("{s:o}", "nodes", cluster_nodes_json(srv))));
}

static void m_disconnect(struct server *srv, json_t *params, api_done *done, void *arg)
{
    const char *user = get_str(params, "user"), *client = get_str(params, "client");
    if (!user)
        return reply(done, arg, api_error(107, "bad request"));
    int code = 3503;
    const char *reason = "force disconnect";
    json_t *d = json_object_get(params, "disconnect");
    if (json_is_object(d)) {
        json_t *jc = json_object_get(d, "code");
        if (json_is_integer(jc)) {
            json_int_t v = json_integer_value(jc);
            if (v < 3000 || v > 4999)
                return reply(done, arg, api_error(107, "bad request"));
            code = (int)v;
        }
        const char *r = get_str(d, "reason");
        if (r && strlen(r) <= 100)
            reason = r;
    }
    if (cluster_disconnect(srv, user, client, (uint16_t)code, reason) != 0)
        return reply(done, arg, api_error(100, "internal server error"));
    reply(done, arg, api_result(NULL));
}

static void m_unsubscribe(struct server *srv, json_t *params, api_done *done, void *arg)
{
    const char *user = get_str(params, "user"), *ch = get_str(params, "channel");
    const char *client = get_str(params, "client");
    if (!user || !ch)
        return reply(done, arg, api_error(107, "bad request"));
    if (cluster_unsubscribe(srv, user, ch, client) != 0)
        return reply(done, arg, api_error(100, "internal server error"));
    reply(done, arg, api_result(NULL));
}

/* Server-side subscription of a user's connections (the client gets a
 * "subscribe" push; the SDK emits "subscribed" for it). */
static void m_subscribe(struct server *srv, json_t *params, api_done *done, void *arg)
{
    const char *user = get_str(params, "user"), *ch = get_str(params, "channel");
    const char *client = get_str(params, "client");
    json_t *err = NULL;
    if (!user || !ch)
        return reply(done, arg, api_error(107, "bad request"));
    if (!api_channel(srv, ch, &err))
        return reply(done, arg, err);
    if (cluster_subscribe(srv, user, ch, client) != 0)
        return reply(done, arg, api_error(100, "internal server error"));
    reply(done, arg, api_result(NULL));
}

static void m_refresh(struct server *srv, json_t *params, api_done *done, void *arg)
{
    const char *user = get_str(params, "user"), *client = get_str(params, "client");
    if (!user)
        return reply(done, arg, api_error(107, "bad request"));
    bool expired = json_is_true(json_object_get(params, "expired"));
    json_t *ea = json_object_get(params, "expire_at");
    int64_t expire_at = json_is_integer(ea) ? (int64_t)json_integer_value(ea) : 0;
    if (cluster_refresh(srv, user, client, expired, expire_at) != 0)
        return reply(done, arg, api_error(100, "internal server error"));
    reply(done, arg, api_result(NULL));
}

/* ---- batch ---- */

/* A batch runs its commands one after another, reading each from the body
 * as its turn comes (batch_scan checked the whole body first, so a
 * malformed one is refused before anything runs) and encoding each reply
 * into out as it arrives: memory is the body, the replies' text and one
 * command. The loop is a trampoline like broadcast's. */
struct batch {
    struct server *srv;
    const char *p, *end;  /* borrowed (the body): the next command, the array's ']' */
    json_t *cmd;          /* owned: the command running, or NULL */
    const char *mname;    /* its method's name (static) */
    size_t nreplies;
    struct api_text out;  /* owned: {"replies":[ reply, ... */
    bool stepping, again;
    api_done *done;
    void *arg;
};

static void batch_step(struct batch *b);

static void batch_put(struct batch *b, json_t *r)
{
    if (b->nreplies++)
        api_text_put(&b->out, ",", 1);
    api_text_put_json(&b->out, r);
}

static void batch_one_done(void *arg, json_t *r, char *text, size_t len)
{
    struct batch *b = arg;
    static const char res_key[] = "{\"result\":";
    /* batch replies name the method instead of wrapping in "result" */
    json_t *res = json_object_get(r, "result");
    if (res || (text && len > sizeof(res_key) - 1 && !memcmp(text, res_key, sizeof(res_key) - 1))) {
        if (b->nreplies++)
            api_text_put(&b->out, ",", 1);
        api_text_puts(&b->out, "{\"");
        api_text_puts(&b->out, b->mname);
        api_text_puts(&b->out, "\":");
        if (res) {
            api_text_put_json(&b->out, res);
            api_text_puts(&b->out, "}");
        } else {
            api_text_put(&b->out, text + sizeof(res_key) - 1, len - (sizeof(res_key) - 1));
        }
    } else if (r || text) {
        if (b->nreplies++)
            api_text_put(&b->out, ",", 1);
        if (r)
            api_text_put_json(&b->out, r);
        else
            api_text_put(&b->out, text, len);
    } else {
        json_t *e = api_error(100, "internal server error");
        batch_put(b, e);
        json_decref(e);
    }
    json_decref(r);
    free(text);
    if (b->stepping)
        b->again = true;
    else
        batch_step(b);
}

static void batch_step(struct batch *b)
{
    b->stepping = true;
    while (b->p < b->end) {
        json_decref(b->cmd);
        b->cmd = NULL;
        const char *e = json_value_end(b->p, b->end);
        if (!e) /* batch_scan saw the body whole: cannot happen */
            e = b->end;
        json_t *cmd = json_loadb(b->p, (size_t)(e - b->p), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                                 NULL);
        b->p = json_skip_ws(e, b->end);
        if (b->p < b->end && *b->p == ',')
            b->p = json_skip_ws(b->p + 1, b->end);
        const char *k;
        json_t *v;
        const struct api_method *m = NULL;
        json_t *params = NULL;
        if (json_is_object(cmd) && json_object_size(cmd) == 1)
            json_object_foreach(cmd, k, v) {
                m = find_method(k);
                params = v;
            }
        if (!m || !json_is_object(params) || !strcmp(m->name, "batch")) {
            json_t *err = cmd ? api_error(107, "bad request") : api_error(100, "internal server error");
            batch_put(b, err);
            json_decref(err);
            json_decref(cmd);
            continue;
        }
        b->cmd = cmd; /* params borrow from it until the next command */
        b->mname = m->name;
        b->again = false;
        m->fn(b->srv, params, batch_one_done, b);
        if (!b->again) { /* answers later: batch_one_done goes on from there */
            b->stepping = false;
            return;
        }
    }
    json_decref(b->cmd);
    api_text_puts(&b->out, "]}");
    size_t len = 0;
    char *text = api_text_take(&b->out, &len);
    api_done *done = b->done;
    void *arg = b->arg;
    free(b);
    /* batch's reply is top-level {"replies":[..]} (no "result" wrapper) */
    done(arg, NULL, text, len);
}

/* Checks a batch body ({"commands":[..], ...}) whole without keeping it:
 * every value is parsed on its own and dropped. Returns 0 with the
 * commands array's contents in [*first, *end) (*ncmds of them; *first NULL
 * when "commands" is missing or not an array), or -1 when the body does not
 * decode (a duplicate key included) — as api_call's whole-body parse would. */
static int batch_scan(const char *body, size_t len, const char **first, const char **aend,
                      size_t *ncmds)
{
    const char *p = json_skip_ws(body, body + len), *end = body + len;
    *first = *aend = NULL;
    *ncmds = 0;
    if (p == end || *p != '{')
        return -1;
    p = json_skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return json_skip_ws(p + 1, end) == end ? 0 : -1;
    json_t *seen = json_object();
    int rc = -1;
    for (;;) {
        const char *ke = json_value_end(p, end);
        json_t *key = ke && *p == '"' ? json_loadb(p, (size_t)(ke - p), JSON_DECODE_ANY, NULL) : NULL;
        if (!json_is_string(key) || !seen || json_object_get(seen, json_string_value(key)) ||
            json_object_set(seen, json_string_value(key), json_null()) != 0) {
            json_decref(key);
            break;
        }
        bool is_cmds = !strcmp(json_string_value(key), "commands");
        json_decref(key);
        p = json_skip_ws(ke, end);
        if (p == end || *p != ':')
            break;
        p = json_skip_ws(p + 1, end);
        const char *ve = json_value_end(p, end);
        if (!ve)
            break;
        if (is_cmds && *p == '[') {
            const char *a = json_skip_ws(p + 1, end);
            *first = a;
            bool ok = true;
            while (ok && a < ve && *a != ']') {
                const char *e = json_value_end(a, ve);
                json_t *c = e ? json_loadb(a, (size_t)(e - a), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                                           NULL)
                              : NULL;
                ok = c != NULL;
                json_decref(c);
                if (!ok)
                    break;
                ++*ncmds;
                a = json_skip_ws(e, ve);
                if (a < ve && *a == ',') {
                    a = json_skip_ws(a + 1, ve);
                    ok = a < ve && *a != ']';
                } else {
                    ok = a < ve && *a == ']';
                }
            }
            if (!ok || a + 1 != ve || *a != ']')
                break;
            *aend = a;
        } else {
            json_t *v = json_loadb(p, (size_t)(ve - p), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
            json_decref(v);
            if (!v)
                break;
        }
        p = json_skip_ws(ve, end);
        if (p < end && *p == ',') {
            p = json_skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}' && json_skip_ws(p + 1, end) == end)
            rc = 0;
        break;
    }
    json_decref(seen);
    if (rc)
        *first = *aend = NULL;
    return rc;
}

/* Starts a batch on its body text (borrowed until done). Returns 400 for a
 * body that does not decode (done not called), else 0. */
static int batch_start(struct server *srv, const char *body, size_t len, api_done *done, void *arg)
{
    const char *first = NULL, *aend = NULL;
    size_t n = 0;
    if (len && batch_scan(body, len, &first, &aend, &n) != 0)
        return 400;
    if (!first || n > srv->node.cfg->api_max_batch_commands) {
        reply(done, arg, api_error(107, "bad request"));
        return 0;
    }
    struct batch *b = calloc(1, sizeof(*b));
    if (!b) {
        reply(done, arg, api_error(100, "internal server error"));
        return 0;
    }
    *b = (struct batch){.srv = srv, .p = first, .end = aend, .done = done, .arg = arg};
    api_text_puts(&b->out, "{\"replies\":[");
    batch_step(b);
    return 0;
}

static void m_batch(struct server *srv, json_t *params, api_done *done, void *arg)
{
    /* never called: api_call runs batch on the body text (batch_start);
     * batch inside a batch is refused by batch_step */
    reply(done, arg, api_error(107, "bad request"));
}

static const struct api_method methods[] = {
    {"publish", m_publish},
    {"broadcast", m_broadcast},
    {"subscribe", m_subscribe},
    {"unsubscribe", m_unsubscribe},
    {"disconnect", m_disconnect},
    {"refresh", m_refresh},
    {"presence", m_presence},
    {"presence_stats", m_presence_stats},
    {"history", m_history},
    {"history_remove", m_history_remove},
    {"channels", m_channels},
    {"info", m_info},
    {"batch", m_batch},
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))
_Static_assert(NMETHODS < API_METHOD_SLOTS, "stats table too small");

static const struct api_method *find_method(const char *name)
{
    for (size_t i = 0; i < NMETHODS; i++)
        if (!strcmp(methods[i].name, name))
            return &methods[i];
    return NULL;
}

static const int status_codes[API_STATUS_SLOTS] = {200, 400, 401, 404, 413, 500};

void api_count(struct server *srv, const char *method, int status)
{
    const struct api_method *m = find_method(method);
    size_t mi = m ? (size_t)(m - methods) : API_METHOD_SLOTS - 1;
    for (size_t s = 0; s < API_STATUS_SLOTS; s++)
        if (status_codes[s] == status)
            srv->api_calls[mi][s]++;
}

const char *api_method_name(size_t i) { return i < NMETHODS ? methods[i].name : "unknown"; }
int api_status_code(size_t i) { return status_codes[i]; }
size_t api_method_count(void) { return NMETHODS; }

/* ---- HTTP glue ---- */

struct http_call {
    struct http_req *r; /* held */
    size_t method_index;
};

static void http_done(void *arg, json_t *r, char *text, size_t len)
{
    struct http_call *x = arg;
    if (r) {
        text = json_dumps(r, JSON_COMPACT);
        len = text ? strlen(text) : 0;
        json_decref(r);
    }
    api_count(x->r->srv, api_method_name(x->method_index), text ? 200 : 500);
    if (text)
        http_respond(x->r, 200, "application/json", text, len);
    else
        http_respond(x->r, 500, "application/json", NULL, 0);
    http_req_release(x->r);
    free(x);
}

static void respond_json(struct http_req *r, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    http_respond(r, status, "application/json", text, text ? strlen(text) : 0);
}

int api_call(struct server *srv, const char *method, const char *body, size_t len,
             api_done *done, void *arg)
{
    const struct api_method *m = find_method(method);
    if (!m)
        return 404;
    if (m->fn == m_batch)
        return batch_start(srv, body, len, done, arg);
    json_t *params = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : json_object();
    if (!json_is_object(params)) {
        json_decref(params);
        return 400;
    }
    m->fn(srv, params, done, arg);
    json_decref(params);
    return 0;
}

void api_handle(struct http_req *r, const char *method)
{
    struct http_call *x = malloc(sizeof(*x));
    if (!x)
        return respond_json(r, 500, api_error(100, "internal server error"));
    const struct api_method *m = find_method(method);
    x->r = r;
    x->method_index = m ? (size_t)(m - methods) : NMETHODS;
    http_req_hold(r);
    int status = api_call(r->srv, method, r->body, r->body_len, http_done, x);
    if (status) { /* refused before the method ran: done was not called */
        http_req_release(r);
        free(x);
        api_count(r->srv, method, status);
        respond_json(r, status, status == 404 ? api_error(104, "method not found")
                                              : api_error(107, "bad request"));
    }
}
