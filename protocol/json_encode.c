/* protocol/json_encode.c — JSON encoders for replies and pushes: compact,
 * field names as client.proto's JSON names, zero values omitted except the
 * ones the protocol always emits (ClientInfo user/client, presence map,
 * num_clients/num_users, history publications/epoch/offset). Raw payloads are
 * spliced in as JSON text with raw '\n' dropped; a payload that is not valid
 * JSON cannot be embedded and fails with -EINVAL, except inside the lists of
 * history/recovery publications and presence entries, which leave such an
 * entry out instead. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "protocol/codec_internal.h"

static void str(struct wbuf *b, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    wbuf_reserve(b, n + 2);
    wbuf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        wbuf_put(b, p + run, i - run);
        run = i + 1;
        wbuf_putc(b, '\\');
        switch (c) {
        case '"': wbuf_putc(b, '"'); break;
        case '\\': wbuf_putc(b, '\\'); break;
        case '\n': wbuf_putc(b, 'n'); break;
        case '\r': wbuf_putc(b, 'r'); break;
        case '\t': wbuf_putc(b, 't'); break;
        default:
            wbuf_puts(b, "u00");
            wbuf_putc(b, (uint8_t)hex[c >> 4]);
            wbuf_putc(b, (uint8_t)hex[c & 15]);
        }
    }
    if (n > run) /* p may be NULL when n == 0: no pointer arithmetic on it */
        wbuf_put(b, p + run, n - run);
    wbuf_putc(b, '"');
}

static void cstr(struct wbuf *b, const char *s) { str(b, (const uint8_t *)s, strlen(s)); }
static void sstr(struct wbuf *b, struct span s) { str(b, s.p, s.n); }

/* Field separator state: writes ',' before every field but the first. */
struct obj {
    struct wbuf *b;
    int n;
};

static void key(struct obj *o, const char *k)
{
    if (o->n++)
        wbuf_putc(o->b, ',');
    wbuf_putc(o->b, '"');
    wbuf_puts(o->b, k);
    wbuf_puts(o->b, "\":");
}

static void f_u64(struct obj *o, const char *k, uint64_t v, bool always)
{
    if (!v && !always)
        return;
    key(o, k);
    wbuf_put_u64(o->b, v);
}

static void f_bool(struct obj *o, const char *k, bool v)
{
    if (!v)
        return;
    key(o, k);
    wbuf_puts(o->b, "true");
}

static void f_str(struct obj *o, const char *k, const char *v, bool always)
{
    if ((!v || !*v) && !always)
        return;
    key(o, k);
    cstr(o->b, v ? v : "");
}

/* Splices a raw JSON payload; 0 or -EINVAL. Absent (n == 0) is omitted. */
static int f_raw(struct obj *o, const char *k, struct span v)
{
    if (!v.n)
        return 0;
    if (!json_validate(v.p, v.n))
        return -EINVAL;
    key(o, k);
    const uint8_t *p = v.p, *end = v.p + v.n;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *stop = nl ? nl : end;
        wbuf_put(o->b, p, (size_t)(stop - p));
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static int clientinfo(struct wbuf *b, const struct clientinfo *ci)
{
    struct obj o = {b, 0};
    wbuf_putc(b, '{');
    key(&o, "user");
    sstr(b, ci->user);
    key(&o, "client");
    sstr(b, ci->client);
    if (f_raw(&o, "conn_info", ci->conn_info) || f_raw(&o, "chan_info", ci->chan_info))
        return -EINVAL;
    wbuf_putc(b, '}');
    return 0;
}

static int publication(struct wbuf *b, const struct publication *p)
{
    struct obj o = {b, 0};
    wbuf_putc(b, '{');
    if (f_raw(&o, "data", p->data))
        return -EINVAL;
    if (p->has_info) {
        key(&o, "info");
        if (clientinfo(b, &p->info))
            return -EINVAL;
    }
    f_u64(&o, "offset", p->offset, false);
    if (p->time_ms > 0) {
        key(&o, "time");
        wbuf_put_i64(b, p->time_ms);
    }
    wbuf_putc(b, '}');
    return 0;
}

/* The publications of a history or subscribe (recovery) reply. One that
 * JSON cannot carry (a non-JSON payload kept from before publish-time
 * checks, or written by another node) is left out of this reply, its bytes
 * rolled back: one bad entry never fails the whole reply. */
static int publications(struct obj *o, const struct reply *r, bool always)
{
    if (!r->npubs && !always)
        return 0;
    key(o, "publications");
    wbuf_putc(o->b, '[');
    size_t n = 0;
    for (size_t i = 0; i < r->npubs; i++) {
        size_t mark = o->b->len;
        if (n)
            wbuf_putc(o->b, ',');
        if (publication(o->b, r->pubs[i])) {
            o->b->len = mark;
            continue;
        }
        n++;
    }
    wbuf_putc(o->b, ']');
    return 0;
}

static const char *result_name(enum reply_kind k)
{
    switch (k) {
    case REPLY_CONNECT: return "connect";
    case REPLY_SUBSCRIBE: return "subscribe";
    case REPLY_UNSUBSCRIBE: return "unsubscribe";
    case REPLY_PUBLISH: return "publish";
    case REPLY_PRESENCE: return "presence";
    case REPLY_PRESENCE_STATS: return "presence_stats";
    case REPLY_HISTORY: return "history";
    case REPLY_RPC: return "rpc";
    case REPLY_REFRESH: return "refresh";
    case REPLY_SUB_REFRESH: return "sub_refresh";
    case REPLY_ERROR: break;
    }
    return "error";
}

int json_encode_reply(struct wbuf *b, const struct reply *r)
{
    struct obj top = {b, 0};
    wbuf_putc(b, '{');
    f_u64(&top, "id", r->id, false);
    key(&top, result_name(r->kind));
    struct obj o = {b, 0};
    wbuf_putc(b, '{');
    int rc = 0;
    switch (r->kind) {
    case REPLY_ERROR:
        f_u64(&o, "code", r->err_code, true);
        f_str(&o, "message", r->err_message, true);
        f_bool(&o, "temporary", r->err_temporary);
        break;
    case REPLY_CONNECT:
        f_str(&o, "client", r->client, false);
        f_str(&o, "version", r->version, false);
        f_bool(&o, "expires", r->expires);
        f_u64(&o, "ttl", r->ttl, false);
        rc = f_raw(&o, "data", r->data);
        f_u64(&o, "ping", r->ping, false);
        f_bool(&o, "pong", r->pong);
        if (r->nsubs) {
            key(&o, "subs");
            wbuf_putc(b, '{');
            for (size_t i = 0; i < r->nsubs; i++) {
                if (i)
                    wbuf_putc(b, ',');
                sstr(b, r->subs[i]);
                wbuf_puts(b, ":{}");
            }
            wbuf_putc(b, '}');
        }
        break;
    case REPLY_SUBSCRIBE:
        f_bool(&o, "expires", r->expires);
        f_u64(&o, "ttl", r->ttl, false);
        f_bool(&o, "recoverable", r->recoverable);
        f_str(&o, "epoch", r->epoch, false);
        rc = publications(&o, r, false);
        f_bool(&o, "recovered", r->recovered);
        f_u64(&o, "offset", r->offset, false);
        f_bool(&o, "positioned", r->positioned);
        if (!rc)
            rc = f_raw(&o, "data", r->data);
        f_bool(&o, "was_recovering", r->was_recovering);
        break;
    case REPLY_PRESENCE:
        key(&o, "presence");
        wbuf_putc(b, '{');
        /* as for publications: an entry JSON cannot carry is left out */
        for (size_t i = 0, n = 0; i < r->npresence; i++) {
            size_t mark = b->len;
            if (n)
                wbuf_putc(b, ',');
            sstr(b, r->presence[i].client);
            wbuf_putc(b, ':');
            if (clientinfo(b, &r->presence[i])) {
                b->len = mark;
                continue;
            }
            n++;
        }
        wbuf_putc(b, '}');
        break;
    case REPLY_PRESENCE_STATS:
        f_u64(&o, "num_clients", r->num_clients, true);
        f_u64(&o, "num_users", r->num_users, true);
        break;
    case REPLY_HISTORY:
        rc = publications(&o, r, true);
        f_str(&o, "epoch", r->epoch, true);
        f_u64(&o, "offset", r->offset, true);
        break;
    case REPLY_RPC:
        rc = f_raw(&o, "data", r->data);
        break;
    case REPLY_REFRESH:
    case REPLY_SUB_REFRESH:
        f_bool(&o, "expires", r->expires);
        f_u64(&o, "ttl", r->ttl, false);
        break;
    case REPLY_UNSUBSCRIBE:
    case REPLY_PUBLISH:
        break;
    }
    wbuf_puts(b, "}}");
    if (rc)
        return rc;
    return wbuf_ok(b) ? 0 : -ENOMEM;
}

static void push_head(struct obj *o, struct span ch)
{
    wbuf_puts(o->b, "{\"push\":{");
    if (ch.n) {
        key(o, "channel");
        sstr(o->b, ch);
    }
}

int json_encode_push_pub(struct wbuf *b, const struct publication *p)
{
    struct obj o = {b, 0};
    push_head(&o, p->channel);
    key(&o, "pub");
    if (publication(b, p))
        return -EINVAL;
    wbuf_puts(b, "}}");
    return wbuf_ok(b) ? 0 : -ENOMEM;
}

int json_encode_push_join(struct wbuf *b, struct span ch, const struct clientinfo *ci, bool leave)
{
    struct obj o = {b, 0};
    push_head(&o, ch);
    key(&o, leave ? "leave" : "join");
    wbuf_puts(b, "{\"info\":");
    if (clientinfo(b, ci))
        return -EINVAL;
    wbuf_puts(b, "}}}");
    return wbuf_ok(b) ? 0 : -ENOMEM;
}

int json_encode_push_unsubscribe(struct wbuf *b, struct span ch, uint32_t code, const char *reason)
{
    struct obj o = {b, 0};
    push_head(&o, ch);
    key(&o, "unsubscribe");
    struct obj u = {b, 0};
    wbuf_putc(b, '{');
    f_u64(&u, "code", code, false);
    f_str(&u, "reason", reason, false);
    wbuf_puts(b, "}}}");
    return wbuf_ok(b) ? 0 : -ENOMEM;
}

int json_encode_push_subscribe(struct wbuf *b, struct span ch)
{
    struct obj o = {b, 0};
    push_head(&o, ch);
    key(&o, "subscribe");
    wbuf_puts(b, "{}}}");
    return wbuf_ok(b) ? 0 : -ENOMEM;
}

int json_encode_push_message(struct wbuf *b, struct span data)
{
    struct obj o = {b, 0};
    push_head(&o, (struct span){0});
    key(&o, "message");
    struct obj m = {b, 0};
    wbuf_putc(b, '{');
    if (f_raw(&m, "data", data))
        return -EINVAL;
    wbuf_puts(b, "}}}");
    return wbuf_ok(b) ? 0 : -ENOMEM;
}
