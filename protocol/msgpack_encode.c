/* protocol/msgpack_encode.c — msgpack encoders for replies and pushes
 * (hearth-msgpack): the JSON schema as msgpack maps with the same keys and
 * the same omission rules; payloads (data, conn_info, chan_info) are bin.
 * Packed with msgpack-c's packer writing straight into a struct wbuf. Each map
 * is walked twice: once to count its fields, once to pack them. */
#include <errno.h>
#include <msgpack.h>
#include <string.h>

#include "protocol/codec_internal.h"

static int to_wbuf(void *data, const char *buf, size_t len)
{
    wbuf_put(data, buf, len);
    return 0;
}

struct mw {
    msgpack_packer *pk;
    int counting;
    uint32_t n;
};

/* Counts the field (counting pass) or packs its key (packing pass); returns
 * true when the caller must now pack the value. */
static bool field(struct mw *m, const char *key)
{
    if (m->counting) {
        m->n++;
        return false;
    }
    size_t n = strlen(key);
    msgpack_pack_str(m->pk, n);
    msgpack_pack_str_body(m->pk, key, n);
    return true;
}

static void pstr(msgpack_packer *pk, const void *p, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, p, n);
}

static void pbin(msgpack_packer *pk, struct span s)
{
    msgpack_pack_bin(pk, s.n);
    msgpack_pack_bin_body(pk, s.p, s.n);
}

#define MAP(m, pk_)                                                            \
    for (struct mw m = {pk_, 1, 0}, *m##_once = &m; m##_once;                 \
         m.counting ? (m.counting = 0, msgpack_pack_map(pk_, m.n), 0)        \
                    : (m##_once = NULL, 0))

static void clientinfo(msgpack_packer *pk, const struct clientinfo *ci)
{
    MAP(m, pk) {
        if (field(&m, "user")) pstr(pk, ci->user.p, ci->user.n);
        if (field(&m, "client")) pstr(pk, ci->client.p, ci->client.n);
        if (ci->conn_info.n && field(&m, "conn_info")) pbin(pk, ci->conn_info);
        if (ci->chan_info.n && field(&m, "chan_info")) pbin(pk, ci->chan_info);
    }
}

static void publication(msgpack_packer *pk, const struct publication *p)
{
    MAP(m, pk) {
        if (p->data.n && field(&m, "data")) pbin(pk, p->data);
        if (p->has_info && field(&m, "info")) clientinfo(pk, &p->info);
        if (p->offset && field(&m, "offset")) msgpack_pack_uint64(pk, p->offset);
        if (p->time_ms > 0 && field(&m, "time")) msgpack_pack_int64(pk, p->time_ms);
    }
}

static void publications(msgpack_packer *pk, const struct reply *r)
{
    msgpack_pack_array(pk, r->npubs);
    for (size_t i = 0; i < r->npubs; i++)
        publication(pk, r->pubs[i]);
}

static void cstr_field(struct mw *m, const char *key, const char *v, bool always)
{
    if ((always || (v && *v)) && field(m, key))
        pstr(m->pk, v ? v : "", v ? strlen(v) : 0);
}

static void result(msgpack_packer *pk, const struct reply *r)
{
    MAP(m, pk) {
        switch (r->kind) {
        case REPLY_ERROR:
            if (field(&m, "code")) msgpack_pack_uint32(pk, r->err_code);
            cstr_field(&m, "message", r->err_message, true);
            if (r->err_temporary && field(&m, "temporary")) msgpack_pack_true(pk);
            break;
        case REPLY_CONNECT:
            cstr_field(&m, "client", r->client, false);
            cstr_field(&m, "version", r->version, false);
            if (r->expires && field(&m, "expires")) msgpack_pack_true(pk);
            if (r->ttl && field(&m, "ttl")) msgpack_pack_uint32(pk, r->ttl);
            if (r->data.n && field(&m, "data")) pbin(pk, r->data);
            if (r->ping && field(&m, "ping")) msgpack_pack_uint32(pk, r->ping);
            if (r->pong && field(&m, "pong")) msgpack_pack_true(pk);
            if (r->nsubs && field(&m, "subs")) {
                msgpack_pack_map(pk, r->nsubs);
                for (size_t i = 0; i < r->nsubs; i++) {
                    pstr(pk, r->subs[i].p, r->subs[i].n);
                    msgpack_pack_map(pk, 0);
                }
            }
            break;
        case REPLY_SUBSCRIBE:
            if (r->expires && field(&m, "expires")) msgpack_pack_true(pk);
            if (r->ttl && field(&m, "ttl")) msgpack_pack_uint32(pk, r->ttl);
            if (r->recoverable && field(&m, "recoverable")) msgpack_pack_true(pk);
            cstr_field(&m, "epoch", r->epoch, false);
            if (r->npubs && field(&m, "publications")) publications(pk, r);
            if (r->recovered && field(&m, "recovered")) msgpack_pack_true(pk);
            if (r->offset && field(&m, "offset")) msgpack_pack_uint64(pk, r->offset);
            if (r->positioned && field(&m, "positioned")) msgpack_pack_true(pk);
            if (r->data.n && field(&m, "data")) pbin(pk, r->data);
            if (r->was_recovering && field(&m, "was_recovering")) msgpack_pack_true(pk);
            break;
        case REPLY_PRESENCE:
            if (field(&m, "presence")) {
                msgpack_pack_map(pk, r->npresence);
                for (size_t i = 0; i < r->npresence; i++) {
                    pstr(pk, r->presence[i].client.p, r->presence[i].client.n);
                    clientinfo(pk, &r->presence[i]);
                }
            }
            break;
        case REPLY_PRESENCE_STATS:
            if (field(&m, "num_clients")) msgpack_pack_uint32(pk, r->num_clients);
            if (field(&m, "num_users")) msgpack_pack_uint32(pk, r->num_users);
            break;
        case REPLY_HISTORY:
            if (field(&m, "publications")) publications(pk, r);
            cstr_field(&m, "epoch", r->epoch, true);
            if (field(&m, "offset")) msgpack_pack_uint64(pk, r->offset);
            break;
        case REPLY_RPC:
            if (r->data.n && field(&m, "data")) pbin(pk, r->data);
            break;
        case REPLY_REFRESH:
        case REPLY_SUB_REFRESH:
            if (r->expires && field(&m, "expires")) msgpack_pack_true(pk);
            if (r->ttl && field(&m, "ttl")) msgpack_pack_uint32(pk, r->ttl);
            break;
        case REPLY_UNSUBSCRIBE:
        case REPLY_PUBLISH:
            break;
        }
    }
}

static const char *result_name(enum reply_kind k)
{
    static const char *names[] = {
        [REPLY_ERROR] = "error", [REPLY_CONNECT] = "connect", [REPLY_SUBSCRIBE] = "subscribe",
        [REPLY_UNSUBSCRIBE] = "unsubscribe", [REPLY_PUBLISH] = "publish",
        [REPLY_PRESENCE] = "presence", [REPLY_PRESENCE_STATS] = "presence_stats",
        [REPLY_HISTORY] = "history", [REPLY_RPC] = "rpc", [REPLY_REFRESH] = "refresh",
        [REPLY_SUB_REFRESH] = "sub_refresh",
    };
    return names[k];
}

int mp_encode_reply(struct wbuf *b, const struct reply *r)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, to_wbuf);
    MAP(m, &pk) {
        if (r->id && field(&m, "id")) msgpack_pack_uint32(&pk, r->id);
        if (field(&m, result_name(r->kind))) result(&pk, r);
    }
    return wbuf_ok(b) ? 0 : -ENOMEM;
}

/* {"push":{"channel":ch, <kind>: <body>}} with the body packed by fn. */
static int push(struct wbuf *b, struct span ch, const char *kind,
                void (*fn)(msgpack_packer *, const void *), const void *arg)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, to_wbuf);
    msgpack_pack_map(&pk, 1);
    pstr(&pk, "push", 4);
    MAP(m, &pk) {
        if (ch.n && field(&m, "channel")) pstr(&pk, ch.p, ch.n);
        if (field(&m, kind)) fn(&pk, arg);
    }
    return wbuf_ok(b) ? 0 : -ENOMEM;
}

static void pub_body(msgpack_packer *pk, const void *arg) { publication(pk, arg); }

int mp_encode_push_pub(struct wbuf *b, const struct publication *p)
{
    return push(b, p->channel, "pub", pub_body, p);
}

static void join_body(msgpack_packer *pk, const void *arg)
{
    msgpack_pack_map(pk, 1);
    pstr(pk, "info", 4);
    clientinfo(pk, arg);
}

int mp_encode_push_join(struct wbuf *b, struct span ch, const struct clientinfo *ci, bool leave)
{
    return push(b, ch, leave ? "leave" : "join", join_body, ci);
}

struct unsub_args {
    uint32_t code;
    const char *reason;
};

static void unsub_body(msgpack_packer *pk, const void *arg)
{
    const struct unsub_args *u = arg;
    MAP(m, pk) {
        if (u->code && field(&m, "code")) msgpack_pack_uint32(pk, u->code);
        cstr_field(&m, "reason", u->reason, false);
    }
}

int mp_encode_push_unsubscribe(struct wbuf *b, struct span ch, uint32_t code, const char *reason)
{
    struct unsub_args u = {code, reason};
    return push(b, ch, "unsubscribe", unsub_body, &u);
}

static void message_body(msgpack_packer *pk, const void *arg)
{
    const struct span *data = arg;
    MAP(m, pk) {
        if (data->n && field(&m, "data")) pbin(pk, *data);
    }
}

int mp_encode_push_message(struct wbuf *b, struct span data)
{
    return push(b, (struct span){0}, "message", message_body, &data);
}

static void empty_body(msgpack_packer *pk, const void *arg) { msgpack_pack_map(pk, 0); }

int mp_encode_push_subscribe(struct wbuf *b, struct span ch)
{
    return push(b, ch, "subscribe", empty_body, NULL);
}
