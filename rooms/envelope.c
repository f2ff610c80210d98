/* rooms/envelope.c — encoders and bounds-checked decoders for the msgpack
 * messages nodes exchange through Redis (see envelope.h, docs/redis.md).
 *
 * Shapes (msgpack arrays, fixed element counts):
 *   publication  [1, offset, epoch, flags, data, info|nil]
 *   join, leave  [2|3, info]
 *   info         [user, client, conn_info, chan_info]     (presence values too)
 *   control      [1, sender, verb, payload]   (verb str, payload bin: the
 *                verb's own encoding, see node/control.h)
 *                [16, uid, name, version, clients, users, channels, subs, uptime]
 *                [17, uid]
 * Strings are msgpack str (UTF-8 checked), payloads bin; conn_info and
 * chan_info are JSON text or empty; data is JSON when flags has bit 0; bit 1
 * marks a droppable publication (its frames may be dropped for a slow reader). */
#include "rooms/envelope.h"

#include <string.h>

#include "protocol/proto.h"

/* ---- writer ---- */

static void put_be(struct wbuf *b, uint8_t tag, uint64_t v, int n)
{
    uint8_t t[9];
    t[0] = tag;
    for (int i = 0; i < n; i++)
        t[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    wbuf_put(b, t, 1 + (size_t)n);
}

static void put_uint(struct wbuf *b, uint64_t v)
{
    if (v < 128)
        wbuf_putc(b, (uint8_t)v);
    else if (v <= 0xff)
        put_be(b, 0xcc, v, 1);
    else if (v <= 0xffff)
        put_be(b, 0xcd, v, 2);
    else if (v <= 0xffffffffu)
        put_be(b, 0xce, v, 4);
    else
        put_be(b, 0xcf, v, 8);
}

static void put_int(struct wbuf *b, int64_t v)
{
    if (v >= 0)
        put_uint(b, (uint64_t)v);
    else if (v >= -32)
        wbuf_putc(b, (uint8_t)(int8_t)v);
    else
        put_be(b, 0xd3, (uint64_t)v, 8);
}

static void put_raw(struct wbuf *b, bool str, const void *p, size_t n)
{
    if (str && n < 32)
        wbuf_putc(b, (uint8_t)(0xa0 | n));
    else if (n <= 0xff)
        put_be(b, str ? 0xd9 : 0xc4, n, 1);
    else if (n <= 0xffff)
        put_be(b, str ? 0xda : 0xc5, n, 2);
    else
        put_be(b, str ? 0xdb : 0xc6, n, 4);
    if (n)
        wbuf_put(b, p, n);
}

static void put_str(struct wbuf *b, struct span s) { put_raw(b, true, s.p, s.n); }
static void put_bin(struct wbuf *b, struct span s) { put_raw(b, false, s.p, s.n); }
static void put_cstr(struct wbuf *b, const char *s) { put_str(b, span_str(s)); }

void envelope_put_info(struct wbuf *b, const struct clientinfo *ci)
{
    wbuf_putc(b, 0x94);
    put_str(b, ci->user);
    put_str(b, ci->client);
    put_bin(b, ci->conn_info);
    put_bin(b, ci->chan_info);
}

void envelope_put_pub_tail(struct wbuf *b, const struct publication *p)
{
    put_uint(b, (p->data_is_json ? ENVELOPE_FLAG_JSON : 0) |
                   (p->droppable ? ENVELOPE_FLAG_DROPPABLE : 0));
    put_bin(b, p->data);
    if (p->has_info)
        envelope_put_info(b, &p->info);
    else
        wbuf_putc(b, 0xc0);
}

void envelope_put_pub(struct wbuf *b, const struct publication *p, uint64_t offset,
                      struct span epoch)
{
    wbuf_put(b, ENVELOPE_PUB_HEAD, 2);
    put_uint(b, offset);
    put_str(b, epoch);
    envelope_put_pub_tail(b, p);
}

void envelope_put_join(struct wbuf *b, const struct clientinfo *info, bool leave)
{
    wbuf_putc(b, 0x92);
    wbuf_putc(b, leave ? ENVELOPE_LEAVE : ENVELOPE_JOIN);
    envelope_put_info(b, info);
}

void control_put_cmd(struct wbuf *b, const char *sender, const struct control_msg *m)
{
    wbuf_putc(b, 0x94);
    wbuf_putc(b, CONTROL_FRAME_CMD);
    put_cstr(b, sender);
    put_str(b, m->verb);
    put_bin(b, m->payload);
}

void control_put_node(struct wbuf *b, const struct node_info *n)
{
    wbuf_putc(b, 0x99);
    wbuf_putc(b, CONTROL_FRAME_NODE);
    put_cstr(b, n->uid);
    put_cstr(b, n->name);
    put_cstr(b, n->version);
    put_uint(b, n->num_clients);
    put_uint(b, n->num_users);
    put_uint(b, n->num_channels);
    put_uint(b, n->num_subs);
    put_int(b, n->uptime_s);
}

void control_put_bye(struct wbuf *b, const char *sender)
{
    wbuf_putc(b, 0x92);
    wbuf_putc(b, CONTROL_FRAME_BYE);
    put_cstr(b, sender);
}

/* ---- reader ---- */

struct rd {
    const uint8_t *p, *end;
};

static size_t left(const struct rd *r) { return (size_t)(r->end - r->p); }

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* An array header with exactly `want` elements. */
static int rd_array(struct rd *r, uint32_t want)
{
    if (left(r) < 1)
        return -1;
    uint8_t t = *r->p;
    uint32_t n;
    if ((t & 0xf0) != 0x90) /* every shape is a fixarray */
        return -1;
    n = t & 0x0f;
    r->p++;
    return n == want && n <= left(r) ? 0 : -1;
}

static int rd_uint(struct rd *r, uint64_t max, uint64_t *out)
{
    if (left(r) < 1)
        return -1;
    uint8_t t = *r->p;
    uint64_t v;
    if (t <= 0x7f) {
        v = t;
        r->p++;
    } else if (t >= 0xcc && t <= 0xcf) {
        int n = 1 << (t - 0xcc);
        if (left(r) < 1 + (size_t)n)
            return -1;
        v = be(r->p + 1, n);
        r->p += 1 + n;
    } else {
        return -1;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int rd_int(struct rd *r, int64_t *out)
{
    if (left(r) < 1)
        return -1;
    uint8_t t = *r->p;
    if (t >= 0xe0) {
        *out = (int8_t)t;
        r->p++;
        return 0;
    }
    if (t >= 0xd0 && t <= 0xd3) {
        int n = 1 << (t - 0xd0);
        if (left(r) < 1 + (size_t)n)
            return -1;
        uint64_t raw = be(r->p + 1, n);
        int shift = 64 - 8 * n;
        *out = shift ? (int64_t)(raw << shift) >> shift : (int64_t)raw;
        r->p += 1 + n;
        return 0;
    }
    uint64_t u;
    if (rd_uint(r, INT64_MAX, &u))
        return -1;
    *out = (int64_t)u;
    return 0;
}

/* str (bin false) or bin (bin true), at most max bytes. */
static int rd_raw(struct rd *r, bool bin, size_t max, struct span *out)
{
    if (left(r) < 1)
        return -1;
    uint8_t t = *r->p;
    size_t hl, n;
    if (!bin && (t & 0xe0) == 0xa0) {
        hl = 1;
        n = t & 0x1f;
    } else if (t == (bin ? 0xc4 : 0xd9) && left(r) >= 2) {
        hl = 2;
        n = r->p[1];
    } else if (t == (bin ? 0xc5 : 0xda) && left(r) >= 3) {
        hl = 3;
        n = (size_t)be(r->p + 1, 2);
    } else if (t == (bin ? 0xc6 : 0xdb) && left(r) >= 5) {
        hl = 5;
        n = (size_t)be(r->p + 1, 4);
    } else {
        return -1;
    }
    if (left(r) - hl < n || n > max)
        return -1;
    if (!bin && !utf8_valid(r->p + hl, n))
        return -1;
    out->p = r->p + hl;
    out->n = n;
    r->p += hl + n;
    return 0;
}

#define STR_MAX 4096           /* user ids, client ids, channel names, reasons */
#define PAYLOAD_MAX (64u << 20)

static int rd_info(struct rd *r, struct clientinfo *ci)
{
    if (rd_array(r, 4) || rd_raw(r, false, STR_MAX, &ci->user) ||
        rd_raw(r, false, STR_MAX, &ci->client) || rd_raw(r, true, PAYLOAD_MAX, &ci->conn_info) ||
        rd_raw(r, true, PAYLOAD_MAX, &ci->chan_info))
        return -1;
    if (ci->conn_info.n && !json_validate(ci->conn_info.p, ci->conn_info.n))
        return -1;
    if (ci->chan_info.n && !json_validate(ci->chan_info.p, ci->chan_info.n))
        return -1;
    return 0;
}

int envelope_decode_info(const uint8_t *p, size_t n, struct clientinfo *out)
{
    struct rd r = {p, p + n};
    memset(out, 0, sizeof(*out));
    return rd_info(&r, out) == 0 && r.p == r.end ? 0 : -1;
}

int envelope_decode(const uint8_t *p, size_t n, struct envelope *out)
{
    struct rd r = {p, p + n};
    memset(out, 0, sizeof(*out));
    if (left(&r) < 2)
        return -1;
    uint8_t kind = r.p[1];
    if (kind == ENVELOPE_PUB) {
        uint64_t flags;
        if (rd_array(&r, 6))
            return -1;
        r.p++; /* the kind, checked above */
        if (rd_uint(&r, UINT64_MAX, &out->offset) ||
            rd_raw(&r, false, ENVELOPE_EPOCH_MAX, &out->epoch) ||
            rd_uint(&r, ENVELOPE_FLAG_JSON | ENVELOPE_FLAG_DROPPABLE, &flags) || rd_raw(&r, true, PAYLOAD_MAX, &out->data))
            return -1;
        out->kind = ENVELOPE_PUB;
        out->data_is_json = flags & ENVELOPE_FLAG_JSON;
        out->droppable = flags & ENVELOPE_FLAG_DROPPABLE;
        if (out->data_is_json && !json_validate(out->data.p, out->data.n))
            return -1;
        if (left(&r) >= 1 && *r.p == 0xc0) {
            r.p++;
        } else {
            if (rd_info(&r, &out->info))
                return -1;
            out->has_info = true;
        }
    } else if (kind == ENVELOPE_JOIN || kind == ENVELOPE_LEAVE) {
        if (rd_array(&r, 2))
            return -1;
        r.p++;
        out->kind = (enum envelope_kind)kind;
        out->has_info = true;
        if (rd_info(&r, &out->info))
            return -1;
    } else {
        return -1;
    }
    return r.p == r.end ? 0 : -1;
}

struct publication *envelope_publication(const struct envelope *env, struct span channel)
{
    struct publication *p = publication_new(channel, env->data, env->data_is_json,
                                            env->has_info ? &env->info : NULL);
    if (p) {
        p->offset = env->offset;
        p->droppable = env->droppable;
    }
    return p;
}

/* Copies a str into a fixed buffer of size cap (NUL-terminated); *sp (if
 * not NULL) gets the span in the input. */
static int rd_cstr(struct rd *r, char *dst, size_t cap, bool nonempty, struct span *sp)
{
    struct span s;
    if (rd_raw(r, false, cap - 1, &s) || (nonempty && !s.n) || memchr(s.p, 0, s.n))
        return -1;
    memcpy(dst, s.p, s.n);
    dst[s.n] = 0;
    if (sp)
        *sp = s;
    return 0;
}

int control_decode(const uint8_t *p, size_t n, struct control_frame *out)
{
    struct rd r = {p, p + n};
    memset(out, 0, sizeof(*out));
    if (left(&r) < 2)
        return -1;
    uint8_t kind = r.p[1];
    uint64_t u;
    if (kind == CONTROL_FRAME_CMD) {
        struct control_msg *m = &out->msg;
        if (rd_array(&r, 4))
            return -1;
        r.p++;
        if (rd_raw(&r, false, UUID_STR_LEN, &out->sender) || !out->sender.n ||
            rd_raw(&r, false, CONTROL_VERB_MAX, &m->verb) || !m->verb.n ||
            memchr(m->verb.p, 0, m->verb.n) ||
            rd_raw(&r, true, CONTROL_PAYLOAD_MAX, &m->payload))
            return -1;
    } else if (kind == CONTROL_FRAME_NODE) {
        struct node_info *ni = &out->node;
        if (rd_array(&r, 9))
            return -1;
        r.p++;
        if (rd_cstr(&r, ni->uid, sizeof(ni->uid), true, &out->sender) ||
            rd_cstr(&r, ni->name, sizeof(ni->name), false, NULL) ||
            rd_cstr(&r, ni->version, sizeof(ni->version), false, NULL))
            return -1;
        if (rd_uint(&r, UINT32_MAX, &u))
            return -1;
        ni->num_clients = (uint32_t)u;
        if (rd_uint(&r, UINT32_MAX, &u))
            return -1;
        ni->num_users = (uint32_t)u;
        if (rd_uint(&r, UINT32_MAX, &u))
            return -1;
        ni->num_channels = (uint32_t)u;
        if (rd_uint(&r, UINT64_MAX, &ni->num_subs) || rd_int(&r, &ni->uptime_s))
            return -1;
    } else if (kind == CONTROL_FRAME_BYE) {
        if (rd_array(&r, 2))
            return -1;
        r.p++;
        if (rd_raw(&r, false, UUID_STR_LEN, &out->sender) || !out->sender.n)
            return -1;
    } else {
        return -1;
    }
    out->kind = (enum control_frame_kind)kind;
    return r.p == r.end ? 0 : -1;
}
