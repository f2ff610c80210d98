/* server/cluster.c — API side effects on every node, and the node list (see
 * cluster.h): the four control verbs (disconnect, unsubscribe, subscribe,
 * refresh), their payloads (msgpack-c) and what they do to a user's clients,
 * registered on the node's control registry (node/control.h). Borrows the
 * server and its clients. */
#include "server/cluster.h"
#include "protocol/errors.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "clients/auth.h"
#include "clients/client.h"
#include "node/control.h"
#include "node/user_verbs.h"
#include "util/log.h"
#include "server/server.h"

/* ---- whose connections: the user -> clients index ---- */

typedef void client_fn(struct client *c, const struct user_verb_args *a);

/* Runs fn for each of this node's connected clients of user (+ optional
 * client id). The user's clients come from the index (node/users.h); the
 * anonymous user "" is not indexed, so it is found by a scan, as before. The
 * clients are held while fn runs, so fn may disconnect any of them. */
static void for_each_selected(struct server *srv, const struct user_verb_args *a, client_fn *fn)
{
    struct client *const *found;
    size_t n = node_users_find(&srv->node.users, a->user, &found);
    struct client *one[8], **v = one;
    if (!*a->user) {
        n = 0;
        for (struct client *c = srv->node.clients; c; c = c->next)
            n++;
    }
    if (n > sizeof(one) / sizeof(one[0]) && !(v = malloc(n * sizeof(*v))))
        return;
    size_t k = 0;
    if (*a->user) {
        for (size_t i = 0; i < n; i++)
            v[k++] = found[i];
    } else {
        for (struct client *c = srv->node.clients; c; c = c->next)
            v[k++] = c;
    }
    for (size_t i = 0; i < k; i++)
        client_hold(v[i]);
    for (size_t i = 0; i < k; i++) {
        struct client *c = v[i];
        if (c->state == CLIENT_CONNECTED && strcmp(c->user, a->user) == 0 &&
            (!*a->client || strcmp(c->id, a->client) == 0))
            fn(c, a);
    }
    for (size_t i = 0; i < k; i++)
        client_release(v[i]);
    if (v != one)
        free(v);
}

/* ---- what each verb does to one client ---- */

static void do_disconnect(struct client *c, const struct user_verb_args *a)
{
    client_disconnect(c, (uint16_t)a->code, a->reason, true);
}

static void do_unsubscribe(struct client *c, const struct user_verb_args *a)
{
    struct sub *s = client_find_sub(c, span_str(a->channel));
    if (!s)
        return;
    struct wbuf b;
    wbuf_init(&b);
    uint32_t code = a->code ? a->code : 2000;
    const char *reason = *a->reason ? a->reason : a->code ? proto_error_message(code)
                                                            : "server unsubscribe";
    if (proto_encode_push_unsubscribe(c->wire, &b, span_str(a->channel), code, reason) == 0) {
        struct frame *f = wbuf_finish(&b);
        if (f) {
            client_remove_sub(c, s, true);
            client_send(c, f);
            frame_unref(f);
            return;
        }
    }
    wbuf_free(&b);
}

static void do_subscribe(struct client *c, const struct user_verb_args *a)
{
    /* the channel was checked by the node that took the API call; this node
     * checks it against its own config again in client_server_subscribe */
    client_server_subscribe(c, a->channel);
}

static void do_refresh(struct client *c, const struct user_verb_args *a)
{
    if (a->expired)
        client_disconnect(c, DISC_EXPIRED, NULL, true);
    else if (a->expire_at)
        /* from the API or another node, not trusted: clamped into
         * [1, AUTH_MAX_DATE] before it becomes milliseconds (a date in
         * the past still means "expired") */
        c->expires_ms = (a->expire_at < 1 ? 1 : a->expire_at > AUTH_MAX_DATE ? AUTH_MAX_DATE
                                                                          : a->expire_at) * 1000;
}

/* A personal message push of a->data (JSON text) to the client. */
static void do_message(struct client *c, const struct user_verb_args *a)
{
    struct wbuf b;
    wbuf_init(&b);
    if (proto_encode_push_message(c->wire, &b, span_str(a->data)) == 0) {
        struct frame *f = wbuf_finish(&b);
        if (f) {
            client_send(c, f);
            frame_unref(f);
            return;
        }
    }
    wbuf_free(&b);
}

/* ---- the verbs (payloads: node/user_verbs.h) ---- */

static client_fn *const handlers[USER_VERB_COUNT] = {
    [USER_DISCONNECT] = do_disconnect,
    [USER_UNSUBSCRIBE] = do_unsubscribe,
    [USER_SUBSCRIBE] = do_subscribe,
    [USER_REFRESH] = do_refresh,
    [USER_MESSAGE] = do_message,
};

/* node_control_fn (ctx = the verb's index): runs on every node, the sender
 * included. Untrusted: a payload from another node is range-checked here. */
static void on_verb(struct node *n, void *ctx, struct span payload)
{
    enum user_verb v = (enum user_verb)(uintptr_t)ctx;
    struct user_verb_args a;
    if (user_verb_decode(v, payload, &a) != 0)
        return;
    bool ok = strlen(a.reason) <= USER_REASON_MAX;
    if (v == USER_DISCONNECT)
        ok = ok && a.code >= 3000 && a.code <= 4999;
    if (v == USER_UNSUBSCRIBE)
        ok = ok && (a.code == 0 || (a.code >= 2000 && a.code <= 2999));
    if (v == USER_MESSAGE)
        ok = *a.data && json_validate((const uint8_t *)a.data, strlen(a.data));
    if (ok)
        for_each_selected(server_of(n), &a, handlers[v]);
    user_verb_args_free(&a);
}

int cluster_register(struct node *n)
{
    for (size_t i = 0; i < USER_VERB_COUNT; i++)
        if (node_control_register(n, user_verb_name((enum user_verb)i), on_verb,
                                  (void *)(uintptr_t)i) != 0)
            return -1;
    return 0;
}

static uint32_t count_users(struct server *srv)
{
    struct dict seen;
    dict_init(&seen);
    struct dict_entry *keys = calloc(srv->node.nclients + 1, sizeof(*keys));
    uint32_t n = 0;
    for (struct client *c = srv->node.clients; c && keys; c = c->next) {
        if (c->state != CLIENT_CONNECTED || dict_find(&seen, c->user, strlen(c->user)))
            continue;
        keys[n].key = c->user;
        keys[n].klen = strlen(c->user);
        if (dict_insert(&seen, &keys[n]) == 0)
            n++;
    }
    dict_free(&seen);
    free(keys);
    return n;
}

void cluster_node_stats(void *arg, struct node_info *out)
{
    struct server *srv = server_of(arg);
    memset(out, 0, sizeof(*out));
    snprintf(out->uid, sizeof(out->uid), "%s", srv->node.node_id);
    snprintf(out->name, sizeof(out->name), "%s", srv->node.node_name);
    snprintf(out->version, sizeof(out->version), "%s", HEARTH_VERSION);
    out->num_clients = srv->node.nclients;
    out->num_users = count_users(srv);
    out->num_channels = hub_room_count(&srv->node.hub);
    out->num_subs = srv->node.hub.nsubs;
    out->uptime_s = (node_now_ms(&srv->node) - srv->node.started_ms) / 1000;
}

static json_t *node_json(const struct node_info *n)
{
    return json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:I,s:I}", "uid", n->uid, "name", n->name,
                     "version", n->version, "num_clients", (int)n->num_clients, "num_users",
                     (int)n->num_users, "num_channels", (int)n->num_channels, "uptime",
                     (json_int_t)n->uptime_s, "num_subs", (json_int_t)n->num_subs);
}

json_t *cluster_nodes_json(struct server *srv)
{
    json_t *a = json_array();
    struct node_info me;
    cluster_node_stats(&srv->node, &me);
    json_array_append_new(a, node_json(&me));
    struct engine *e = srv->node.engine;
    const struct node_info *others = NULL;
    size_t n = e->ops->nodes ? e->ops->nodes(e, &others) : 0;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, node_json(&others[i]));
    return a;
}
