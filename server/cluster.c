/* server/cluster.c — API side effects on every node, and the node list (see
 * cluster.h). Borrows the server and its clients. */
#include "server/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "clients/auth.h"
#include "clients/client.h"
#include "util/log.h"
#include "server/server.h"

/* Does client c match the user (+ optional client id) selector? */
static bool selected(const struct client *c, const char *user, const char *client)
{
    if (c->state != CLIENT_CONNECTED || strcmp(c->user, user) != 0)
        return false;
    return !client || !*client || strcmp(c->id, client) == 0;
}

static void local_disconnect(struct server *srv, const char *user, const char *client,
                             uint16_t code, const char *reason)
{
    for (struct client *c = srv->node.clients; c; c = c->next)
        if (selected(c, user, client))
            client_disconnect(c, code, reason, true);
}

static void local_unsubscribe(struct server *srv, const char *user, const char *ch,
                              const char *client)
{
    for (struct client *c = srv->node.clients; c; c = c->next) {
        if (!selected(c, user, client))
            continue;
        struct sub *s = client_find_sub(c, span_str(ch));
        if (!s)
            continue;
        struct wbuf b;
        wbuf_init(&b);
        if (proto_encode_push_unsubscribe(c->wire, &b, span_str(ch), 2000, "server unsubscribe") == 0) {
            struct frame *f = wbuf_finish(&b);
            if (f) {
                client_remove_sub(c, s, true);
                client_send(c, f);
                frame_unref(f);
                continue;
            }
        }
        wbuf_free(&b);
    }
}

static void local_subscribe(struct server *srv, const char *user, const char *ch,
                            const char *client)
{
    /* the channel was checked by the node that took the API call; this node
     * checks it against its own config again in client_server_subscribe */
    for (struct client *c = srv->node.clients; c; c = c->next)
        if (selected(c, user, client))
            client_server_subscribe(c, ch);
}

static void local_refresh(struct server *srv, const char *user, const char *client, bool expired,
                          int64_t expire_at)
{
    for (struct client *c = srv->node.clients; c; c = c->next) {
        if (!selected(c, user, client))
            continue;
        if (expired)
            client_disconnect(c, 3005, "connection expired", true);
        else if (expire_at)
            /* from the API or another node, not trusted: clamped into
             * [1, AUTH_MAX_DATE] before it becomes milliseconds (a date in
             * the past still means "expired") */
            c->expires_ms = (expire_at < 1 ? 1 : expire_at > AUTH_MAX_DATE ? AUTH_MAX_DATE : expire_at) * 1000;
    }
}

static int broadcast(struct server *srv, const struct control_msg *m)
{
    struct engine *e = srv->node.engine;
    return e->ops->control ? e->ops->control(e, m) : 0;
}

int cluster_disconnect(struct server *srv, const char *user, const char *client, uint16_t code,
                       const char *reason)
{
    local_disconnect(srv, user, client, code, reason);
    struct control_msg m = {.kind = CONTROL_DISCONNECT, .user = span_str(user),
                            .client = span_str(client), .reason = span_str(reason), .code = code};
    return broadcast(srv, &m);
}

int cluster_unsubscribe(struct server *srv, const char *user, const char *channel,
                        const char *client)
{
    local_unsubscribe(srv, user, channel, client);
    struct control_msg m = {.kind = CONTROL_UNSUBSCRIBE, .user = span_str(user),
                            .channel = span_str(channel), .client = span_str(client)};
    return broadcast(srv, &m);
}

int cluster_subscribe(struct server *srv, const char *user, const char *channel,
                      const char *client)
{
    local_subscribe(srv, user, channel, client);
    struct control_msg m = {.kind = CONTROL_SUBSCRIBE, .user = span_str(user),
                            .channel = span_str(channel), .client = span_str(client)};
    return broadcast(srv, &m);
}

int cluster_refresh(struct server *srv, const char *user, const char *client, bool expired,
                    int64_t expire_at)
{
    local_refresh(srv, user, client, expired, expire_at);
    struct control_msg m = {.kind = CONTROL_REFRESH, .user = span_str(user),
                            .client = span_str(client), .expired = expired,
                            .expire_at = expire_at};
    return broadcast(srv, &m);
}

static char *dup_span(struct span s)
{
    char *p = malloc(s.n + 1);
    if (p) {
        if (s.n)
            memcpy(p, s.p, s.n);
        p[s.n] = 0;
    }
    return p;
}

void cluster_on_control(void *arg, const struct control_msg *m)
{
    struct server *srv = arg;
    char *user = dup_span(m->user), *client = dup_span(m->client);
    char *channel = dup_span(m->channel), *reason = dup_span(m->reason);
    /* strings with a NUL inside would select something else than was meant */
    bool ok = user && client && channel && reason && strlen(user) == m->user.n &&
              strlen(client) == m->client.n && strlen(channel) == m->channel.n &&
              strlen(reason) == m->reason.n;
    if (ok) {
        switch (m->kind) {
        case CONTROL_DISCONNECT:
            if (m->code >= 3000 && m->code <= 4999 && m->reason.n <= 100)
                local_disconnect(srv, user, client, (uint16_t)m->code, reason);
            break;
        case CONTROL_UNSUBSCRIBE:
            local_unsubscribe(srv, user, channel, client);
            break;
        case CONTROL_REFRESH:
            local_refresh(srv, user, client, m->expired, m->expire_at);
            break;
        case CONTROL_SUBSCRIBE:
            local_subscribe(srv, user, channel, client);
            break;
        }
    }
    free(user);
    free(client);
    free(channel);
    free(reason);
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
    struct server *srv = arg;
    memset(out, 0, sizeof(*out));
    snprintf(out->uid, sizeof(out->uid), "%s", srv->node.node_id);
    snprintf(out->name, sizeof(out->name), "%s", srv->node.node_name);
    snprintf(out->version, sizeof(out->version), "%s", HEARTH_VERSION);
    out->num_clients = srv->node.nclients;
    out->num_users = count_users(srv);
    out->num_channels = hub_room_count(&srv->node.hub);
    out->num_subs = srv->node.hub.nsubs;
    out->uptime_s = (node_now_ms() - srv->node.started_ms) / 1000;
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
    cluster_node_stats(srv, &me);
    json_array_append_new(a, node_json(&me));
    struct engine *e = srv->node.engine;
    const struct node_info *others = NULL;
    size_t n = e->ops->nodes ? e->ops->nodes(e, &others) : 0;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, node_json(&others[i]));
    return a;
}
