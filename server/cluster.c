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
#include "util/log.h"
#include "server/server.h"

/* The fields a verb carries. Strings are NUL-terminated; "" = absent. */
struct verb_args {
    const char *user, *client, *channel, *reason;
    uint32_t code;
    bool expired;
    int64_t expire_at;         /* unix seconds, 0 = unchanged */
    unsigned owned;            /* bit per string field that decode() allocated */
};

/* ---- whose connections: the user -> clients index ---- */

typedef void client_fn(struct client *c, const struct verb_args *a);

/* Runs fn for each of this node's connected clients of user (+ optional
 * client id). The user's clients come from the index (node/users.h); the
 * anonymous user "" is not indexed, so it is found by a scan, as before. The
 * clients are held while fn runs, so fn may disconnect any of them. */
static void for_each_selected(struct server *srv, const struct verb_args *a, client_fn *fn)
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

static void do_disconnect(struct client *c, const struct verb_args *a)
{
    client_disconnect(c, (uint16_t)a->code, a->reason, true);
}

static void do_unsubscribe(struct client *c, const struct verb_args *a)
{
    struct sub *s = client_find_sub(c, span_str(a->channel));
    if (!s)
        return;
    struct wbuf b;
    wbuf_init(&b);
    if (proto_encode_push_unsubscribe(c->wire, &b, span_str(a->channel), 2000,
                                      "server unsubscribe") == 0) {
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

static void do_subscribe(struct client *c, const struct verb_args *a)
{
    /* the channel was checked by the node that took the API call; this node
     * checks it against its own config again in client_server_subscribe */
    client_server_subscribe(c, a->channel);
}

static void do_refresh(struct client *c, const struct verb_args *a)
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

/* ---- the verbs: payload shape, handler ---- */

/* The verbs' payloads are msgpack arrays of these fields, in this order
 * (strs, a uint code, a bool, an int):
 *   disconnect   [user, client, code, reason]
 *   unsubscribe  [user, channel, client]
 *   subscribe    [user, channel, client]
 *   refresh      [user, client, expired, expire_at]               */
enum field { F_END, F_USER, F_CLIENT, F_CHANNEL, F_REASON, F_CODE, F_EXPIRED, F_EXPIRE_AT };

struct verb {
    const char *name;
    enum field fields[5];
    client_fn *fn;
};

static const struct verb verbs[] = {
    {"disconnect", {F_USER, F_CLIENT, F_CODE, F_REASON}, do_disconnect},
    {"unsubscribe", {F_USER, F_CHANNEL, F_CLIENT}, do_unsubscribe},
    {"subscribe", {F_USER, F_CHANNEL, F_CLIENT}, do_subscribe},
    {"refresh", {F_USER, F_CLIENT, F_EXPIRED, F_EXPIRE_AT}, do_refresh},
};

static const char **str_field(struct verb_args *a, enum field f)
{
    return f == F_USER ? &a->user : f == F_CLIENT ? &a->client : f == F_CHANNEL ? &a->channel
                                                                            : &a->reason;
}

static int pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s ? s : "", n);
}

/* Encodes a's fields for verb v into sb. 0 or -1 (OOM). */
static int encode(const struct verb *v, const struct verb_args *a, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    size_t n = 0;
    while (n < 5 && v->fields[n] != F_END)
        n++;
    int r = msgpack_pack_array(&pk, n);
    struct verb_args *m = (struct verb_args *)a;
    for (size_t i = 0; i < n && !r; i++) {
        switch (v->fields[i]) {
        case F_CODE: r = msgpack_pack_uint32(&pk, a->code); break;
        case F_EXPIRED: r = a->expired ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk); break;
        case F_EXPIRE_AT: r = msgpack_pack_int64(&pk, a->expire_at); break;
        default: r = pack_str(&pk, *str_field(m, v->fields[i])); break;
        }
    }
    return r ? -1 : 0;
}

/* Decodes payload (untrusted: from another node, or our own encoding) into
 * a, its strings copied into owned NUL-terminated buffers (free_args).
 * 0, or -1 when it is not exactly the verb's shape. */
/* Walks payload as a fixarray of n scalars (str, int, bool) without
 * allocating: msgpack-c allocates an array's slots at its header, so a
 * header claiming 2^32 elements must never reach it. 0 if the shape fits. */
static int prescan(struct span payload, size_t n)
{
    const uint8_t *p = payload.p, *end = payload.p + payload.n;
    if (payload.n == 0 || *p != 0x90 + n)
        return -1;
    p++;
    for (size_t i = 0; i < n; i++) {
        if (p >= end)
            return -1;
        uint8_t b = *p;
        size_t len;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc2 || b == 0xc3) len = 1;
        else if (b == 0xcc || b == 0xd0) len = 2;
        else if (b == 0xcd || b == 0xd1) len = 3;
        else if (b == 0xce || b == 0xd2) len = 5;
        else if (b == 0xcf || b == 0xd3) len = 9;
        else if (b >= 0xa0 && b <= 0xbf) len = 1 + (size_t)(b & 0x1f);
        else if (b == 0xd9 && end - p >= 2) len = 2 + (size_t)p[1];
        else if (b == 0xda && end - p >= 3) len = 3 + ((size_t)p[1] << 8 | p[2]);
        else if (b == 0xdb && end - p >= 5)
            len = 5 + ((size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4]);
        else return -1;
        if ((size_t)(end - p) < len)
            return -1;
        p += len;
    }
    return p == end ? 0 : -1;
}

static int decode(const struct verb *v, struct span payload, struct verb_args *a)
{
    memset(a, 0, sizeof(*a));
    a->client = a->channel = a->reason = a->user = "";
    size_t nf = 0;
    while (nf < 5 && v->fields[nf] != F_END)
        nf++;
    if (prescan(payload, nf) != 0)
        return -1;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int ok = msgpack_unpack_next(&u, (const char *)payload.p, payload.n, &off) ==
                 MSGPACK_UNPACK_SUCCESS && off == payload.n &&
             u.data.type == MSGPACK_OBJECT_ARRAY;
    size_t n = 0;
    while (n < 5 && v->fields[n] != F_END)
        n++;
    ok = ok && u.data.via.array.size == n;
    for (size_t i = 0; ok && i < n; i++) {
        const msgpack_object *o = &u.data.via.array.ptr[i];
        switch (v->fields[i]) {
        case F_CODE:
            ok = o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= UINT32_MAX;
            a->code = ok ? (uint32_t)o->via.u64 : 0;
            break;
        case F_EXPIRED:
            ok = o->type == MSGPACK_OBJECT_BOOLEAN;
            a->expired = ok && o->via.boolean;
            break;
        case F_EXPIRE_AT:
            ok = o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? o->via.u64 <= INT64_MAX
                 : o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
            a->expire_at = ok ? o->via.i64 : 0;
            break;
        default: {
            /* a string with a NUL inside would select something else than was meant */
            ok = o->type == MSGPACK_OBJECT_STR &&
                 (o->via.str.size == 0 || !memchr(o->via.str.ptr, 0, o->via.str.size));
            char *s = ok ? malloc(o->via.str.size + 1) : NULL;
            if (!s) {
                ok = 0;
                break;
            }
            if (o->via.str.size)
                memcpy(s, o->via.str.ptr, o->via.str.size);
            s[o->via.str.size] = 0;
            *str_field(a, v->fields[i]) = s;
            a->owned |= 1u << v->fields[i];
        }
        }
    }
    msgpack_unpacked_destroy(&u);
    return ok ? 0 : -1;
}

static void free_args(struct verb_args *a)
{
    for (enum field f = F_USER; f <= F_REASON; f++)
        if (a->owned & (1u << f))
            free((char *)*str_field(a, f));
}

/* node_control_fn: runs on every node, the sender included. */
static void on_verb(struct node *n, void *ctx, struct span payload)
{
    const struct verb *v = ctx;
    struct verb_args a;
    if (decode(v, payload, &a) == 0 &&
        (v->fn != do_disconnect ||
         (a.code >= 3000 && a.code <= 4999 && strlen(a.reason) <= 100)))
        for_each_selected(server_of(n), &a, v->fn);
    free_args(&a);
}

int cluster_register(struct node *n)
{
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (node_control_register(n, verbs[i].name, on_verb, (void *)&verbs[i]) != 0)
            return -1;
    return 0;
}

static int send_verb(struct server *srv, size_t which, const struct verb_args *a)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int r = encode(&verbs[which], a, &sb) == 0
                ? node_control_send(&srv->node, verbs[which].name, (const uint8_t *)sb.data, sb.size)
                : ENGINE_ENOMEM;
    msgpack_sbuffer_destroy(&sb);
    return r;
}

int cluster_disconnect(struct server *srv, const char *user, const char *client, uint16_t code,
                       const char *reason)
{
    struct verb_args a = {.user = user, .client = client, .code = code, .reason = reason};
    return send_verb(srv, 0, &a);
}

int cluster_unsubscribe(struct server *srv, const char *user, const char *channel,
                        const char *client)
{
    struct verb_args a = {.user = user, .channel = channel, .client = client};
    return send_verb(srv, 1, &a);
}

int cluster_subscribe(struct server *srv, const char *user, const char *channel,
                      const char *client)
{
    struct verb_args a = {.user = user, .channel = channel, .client = client};
    return send_verb(srv, 2, &a);
}

int cluster_refresh(struct server *srv, const char *user, const char *client, bool expired,
                    int64_t expire_at)
{
    struct verb_args a = {.user = user, .client = client, .expired = expired,
                          .expire_at = expire_at};
    return send_verb(srv, 3, &a);
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
