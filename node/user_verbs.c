/* node/user_verbs.c — the user verbs' payload codec and senders (see
 * user_verbs.h). Moved here from server/cluster.c so that layers below the
 * transport (the community layer) can act on a user's connections; the
 * handlers stay in server/cluster.c. No state. */
#include "node/user_verbs.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "protocol/errors.h"

enum field { F_END, F_USER, F_CLIENT, F_CHANNEL, F_REASON, F_DATA, F_CODE, F_EXPIRED,
             F_EXPIRE_AT };
#define NFIELDS 5

struct shape {
    const char *name;
    enum field fields[NFIELDS];
};

static const struct shape shapes[USER_VERB_COUNT] = {
    [USER_DISCONNECT] = {"disconnect", {F_USER, F_CLIENT, F_CODE, F_REASON}},
    [USER_UNSUBSCRIBE] = {"unsubscribe", {F_USER, F_CHANNEL, F_CLIENT, F_CODE, F_REASON}},
    [USER_SUBSCRIBE] = {"subscribe", {F_USER, F_CHANNEL, F_CLIENT}},
    [USER_REFRESH] = {"refresh", {F_USER, F_CLIENT, F_EXPIRED, F_EXPIRE_AT}},
    [USER_MESSAGE] = {"user.message", {F_USER, F_CLIENT, F_DATA}},
};

const char *user_verb_name(enum user_verb v)
{
    return (unsigned)v < USER_VERB_COUNT ? shapes[v].name : "";
}

static size_t nfields(enum user_verb v)
{
    size_t n = 0;
    while (n < NFIELDS && shapes[v].fields[n] != F_END)
        n++;
    return n;
}

static const char **str_field(struct user_verb_args *a, enum field f)
{
    switch (f) {
    case F_USER: return &a->user;
    case F_CLIENT: return &a->client;
    case F_CHANNEL: return &a->channel;
    case F_REASON: return &a->reason;
    default: return &a->data;
    }
}

static int pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s ? s : "", n);
}

/* Encodes a's fields for verb v into sb. 0 or -1 (OOM). */
static int encode(enum user_verb v, const struct user_verb_args *a, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    size_t n = nfields(v);
    int r = msgpack_pack_array(&pk, n);
    struct user_verb_args *m = (struct user_verb_args *)a;
    for (size_t i = 0; i < n && !r; i++) {
        switch (shapes[v].fields[i]) {
        case F_CODE: r = msgpack_pack_uint32(&pk, a->code); break;
        case F_EXPIRED: r = a->expired ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk); break;
        case F_EXPIRE_AT: r = msgpack_pack_int64(&pk, a->expire_at); break;
        default: r = pack_str(&pk, *str_field(m, shapes[v].fields[i])); break;
        }
    }
    return r ? -1 : 0;
}

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

void user_verb_args_free(struct user_verb_args *a)
{
    for (enum field f = F_USER; f <= F_DATA; f++)
        if (a->owned & (1u << f))
            free((char *)*str_field(a, f));
    a->owned = 0;
}

int user_verb_decode(enum user_verb v, struct span payload, struct user_verb_args *a)
{
    memset(a, 0, sizeof(*a));
    a->client = a->channel = a->reason = a->user = a->data = "";
    if ((unsigned)v >= USER_VERB_COUNT)
        return -1;
    size_t n = nfields(v);
    /* unsubscribe from a node that predates its code and reason */
    if (v == USER_UNSUBSCRIBE && prescan(payload, 3) == 0)
        n = 3;
    else if (prescan(payload, n) != 0)
        return -1;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int ok = msgpack_unpack_next(&u, (const char *)payload.p, payload.n, &off) ==
                 MSGPACK_UNPACK_SUCCESS && off == payload.n &&
             u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == n;
    for (size_t i = 0; ok && i < n; i++) {
        const msgpack_object *o = &u.data.via.array.ptr[i];
        enum field f = shapes[v].fields[i];
        switch (f) {
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
            *str_field(a, f) = s;
            a->owned |= 1u << f;
        }
        }
    }
    msgpack_unpacked_destroy(&u);
    if (!ok)
        user_verb_args_free(a);
    return ok ? 0 : -1;
}

static int send_verb(struct node *n, enum user_verb v, const struct user_verb_args *a)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int r = encode(v, a, &sb) == 0
                ? node_control_send(n, shapes[v].name, (const uint8_t *)sb.data, sb.size)
                : ENGINE_ENOMEM;
    msgpack_sbuffer_destroy(&sb);
    return r;
}

int node_user_disconnect(struct node *n, const char *user, const char *client, uint16_t code,
                         const char *reason)
{
    struct user_verb_args a = {.user = user, .client = client, .code = code, .reason = reason};
    return send_verb(n, USER_DISCONNECT, &a);
}

int node_user_unsubscribe(struct node *n, const char *user, const char *channel,
                          const char *client, uint32_t code, const char *reason)
{
    struct user_verb_args a = {.user = user, .channel = channel, .client = client,
                               .code = code, .reason = reason};
    return send_verb(n, USER_UNSUBSCRIBE, &a);
}

int node_user_subscribe(struct node *n, const char *user, const char *channel, const char *client)
{
    struct user_verb_args a = {.user = user, .channel = channel, .client = client};
    return send_verb(n, USER_SUBSCRIBE, &a);
}

int node_user_refresh(struct node *n, const char *user, const char *client, bool expired,
                      int64_t expire_at)
{
    struct user_verb_args a = {.user = user, .client = client, .expired = expired,
                               .expire_at = expire_at};
    return send_verb(n, USER_REFRESH, &a);
}

int node_user_message(struct node *n, const char *user, const char *client, const char *data)
{
    struct user_verb_args a = {.user = user, .client = client, .data = data};
    return send_verb(n, USER_MESSAGE, &a);
}
