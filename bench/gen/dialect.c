/* bench/gen/dialect.c — what each dialect says once a WebSocket is open and
 * how its messages are read: hearth JSON (Centrifuge v2, '\n'-batched),
 * hearth msgpack (subprotocol hearth-msgpack, concatenated maps), raw
 * (nchan / plain broadcast servers: every message is a payload) and
 * Socket.IO v4 over Engine.IO v4 WebSocket. Deliveries are found by their
 * "~H" marker; sequence, duplicate and order bookkeeping is here too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* ---- delivery bookkeeping ---- */

void bench_on_delivery(struct conn *c, uint32_t room, uint32_t stream, uint32_t seq, uint64_t t_us)
{
    struct bench *b = c->b;
    int64_t now = now_us();
    if (!b->t_first_rx_us)
        b->t_first_rx_us = now;
    b->t_last_rx_us = now;
    b->n.received++;
    if (room != c->room || stream >= b->streams) {
        b->n.misrouted++;
        return;
    }
    if (!c->win && !(c->win = calloc(b->streams, sizeof(*c->win)))) {
        b->n.misrouted++;
        return;
    }
    struct seqwin *w = &c->win[stream];
    hist_add(&b->lat, now > (int64_t)t_us ? (uint64_t)(now - (int64_t)t_us) : 0);
    if (seq >= w->next_seq) {
        uint32_t shift = seq - w->next_seq + 1;
        if (shift > 1)
            b->n.gaps++;
        w->window = shift >= 64 ? 1 : (w->window << shift) | 1;
        w->next_seq = seq + 1;
        b->n.unique++;
        return;
    }
    uint32_t d = w->next_seq - 1 - seq;
    if (d >= 64) {
        b->n.too_old++; /* a very late message or a duplicate: cannot tell */
        return;
    }
    if (w->window & (1ull << d)) {
        b->n.duplicates++;
    } else {
        w->window |= 1ull << d;
        b->n.late++;
        b->n.unique++;
    }
}

static uint64_t parse_u(const uint8_t **pp, const uint8_t *end, int *ok)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
        digits++;
    }
    *ok = digits > 0;
    *pp = p;
    return v;
}

/* every "~H<room>:<stream>:<seq>:<t>;" in p/n is one delivery */
static void scan_markers(struct conn *c, const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    while (p < end && (p = memmem(p, (size_t)(end - p), "~H", 2))) {
        p += 2;
        int ok1, ok2, ok3, ok4;
        uint64_t room = parse_u(&p, end, &ok1);
        if (p >= end || *p != ':')
            continue;
        p++;
        uint64_t stream = parse_u(&p, end, &ok4);
        if (p >= end || *p != ':')
            continue;
        p++;
        uint64_t seq = parse_u(&p, end, &ok2);
        if (p >= end || *p != ':')
            continue;
        p++;
        uint64_t t = parse_u(&p, end, &ok3);
        if (p >= end || *p != ';' || !ok1 || !ok2 || !ok3 || !ok4)
            continue;
        bench_on_delivery(c, (uint32_t)room, (uint32_t)stream, (uint32_t)seq, t);
        if (c->closed)
            return;
    }
}

/* ---- hearth JSON ---- */

static void json_open(struct conn *c)
{
    char m[768], conn[400] = "{}";
    int n;
    if (c->b->o.token_secret) { /* one user per connection: bench-<i>, publishers bench-p<i> */
        char sub[32], tok[320];
        snprintf(sub, sizeof(sub), "bench-%s%u", c->is_pub ? "p" : "", c->idx);
        if (!token_mint(tok, sizeof(tok), c->b->o.token_secret, sub)) {
            conn_fail(c, "cannot mint a token");
            return;
        }
        snprintf(conn, sizeof(conn), "{\"token\":\"%s\"}", tok);
    }
    if (c->is_pub)
        n = snprintf(m, sizeof(m), "{\"id\":1,\"connect\":%s}", conn);
    else
        n = snprintf(m, sizeof(m), "{\"id\":1,\"connect\":%s}\n{\"id\":2,\"subscribe\":{\"channel\":\"%s%u\"}}",
                     conn, c->b->o.room_prefix, c->room);
    conn_send_ws(c, 0x1, m, (size_t)n);
}

static void on_reply(struct conn *c, uint32_t id, bool err, const uint8_t *p, size_t n)
{
    if (id > 2 && c->b->rit && ritual_on_reply(c, id, err, p, n))
        return;
    if (c->is_pub) {
        if (id == 1) {
            if (err)
                conn_fail(c, "publisher connect refused");
            else
                c->state = CS_READY;
        } else {
            pub_ws_on_reply(c, id, !err);
        }
        return;
    }
    if (id == 1 && err)
        conn_fail(c, "connect refused");
    else if (id == 2) {
        if (err)
            conn_fail(c, "subscribe refused");
        else
            bench_on_subscribed(c);
    }
}

static void json_message(struct conn *c, uint8_t *p, size_t n)
{
    uint8_t *end = p + n;
    while (p < end && !c->closed) {
        uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        uint8_t *le = nl ? nl : end;
        size_t ln = (size_t)(le - p);
        if (ln >= 8 && memcmp(p, "{\"push\":", 8) == 0) {
            if (c->b->rit && memmem(p, ln, "\"reaction_totals\"", 17))
                ritual_on_totals(c, p, ln);
            else
                scan_markers(c, p, ln);
        } else if (ln == 2 && p[0] == '{' && p[1] == '}') {
            conn_send_ws(c, 0x1, "{}", 2);
            c->b->n.pongs_sent++;
        } else if (ln > 6 && memcmp(p, "{\"id\":", 6) == 0) {
            const uint8_t *q = p + 6;
            int ok;
            uint32_t id = (uint32_t)parse_u(&q, le, &ok);
            bool err = memmem(q, (size_t)(le - q), "\"error\":", 8) != NULL;
            on_reply(c, id, err, p, ln);
        }
        p = le + 1;
    }
}

/* ---- hearth msgpack ---- */

static void put_str(uint8_t **w, const char *s, size_t n)
{
    uint8_t *p = *w;
    if (n < 32) {
        *p++ = (uint8_t)(0xa0 | n);
    } else {
        *p++ = 0xd9;
        *p++ = (uint8_t)n;
    }
    memcpy(p, s, n);
    *w = p + n;
}

static void msgpack_open(struct conn *c)
{
    uint8_t m[512], *w = m;
    *w++ = 0x82;
    put_str(&w, "id", 2);
    *w++ = 0x01;
    put_str(&w, "connect", 7);
    *w++ = 0x80;
    if (!c->is_pub) {
        char ch[200];
        int chn = snprintf(ch, sizeof(ch), "%s%u", c->b->o.room_prefix, c->room);
        *w++ = 0x82;
        put_str(&w, "id", 2);
        *w++ = 0x02;
        put_str(&w, "subscribe", 9);
        *w++ = 0x81;
        put_str(&w, "channel", 7);
        put_str(&w, ch, (size_t)chn);
    }
    conn_send_ws(c, 0x2, m, (size_t)(w - m));
}

/* Returns the end of the msgpack value at p, or NULL if malformed/truncated. */
static const uint8_t *mp_skip(const uint8_t *p, const uint8_t *end, int depth)
{
    if (p >= end || depth > 32)
        return NULL;
    uint8_t t = *p++;
    uint64_t n = 0;
    int items = 0; /* 1 array, 2 map */
#define NEED(k) do { if ((size_t)(end - p) < (size_t)(k)) return NULL; } while (0)
#define BE(k) ({ uint64_t v_ = 0; NEED(k); for (int i_ = 0; i_ < (k); i_++) v_ = v_ << 8 | p[i_]; p += (k); v_; })
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
        return p;
    if ((t & 0xe0) == 0xa0) { n = t & 0x1f; NEED(n); return p + n; }
    if ((t & 0xf0) == 0x90) { n = t & 0x0f; items = 1; }
    else if ((t & 0xf0) == 0x80) { n = t & 0x0f; items = 2; }
    else switch (t) {
    case 0xcc: case 0xd0: NEED(1); return p + 1;
    case 0xcd: case 0xd1: NEED(2); return p + 2;
    case 0xca: case 0xce: case 0xd2: NEED(4); return p + 4;
    case 0xcb: case 0xcf: case 0xd3: NEED(8); return p + 8;
    case 0xc4: case 0xd9: n = BE(1); NEED(n); return p + n;
    case 0xc5: case 0xda: n = BE(2); NEED(n); return p + n;
    case 0xc6: case 0xdb: n = BE(4); NEED(n); return p + n;
    case 0xd4: NEED(2); return p + 2;
    case 0xd5: NEED(3); return p + 3;
    case 0xd6: NEED(5); return p + 5;
    case 0xd7: NEED(9); return p + 9;
    case 0xd8: NEED(17); return p + 17;
    case 0xc7: n = BE(1); NEED(n + 1); return p + n + 1;
    case 0xc8: n = BE(2); NEED(n + 1); return p + n + 1;
    case 0xc9: n = BE(4); NEED(n + 1); return p + n + 1;
    case 0xdc: n = BE(2); items = 1; break;
    case 0xdd: n = BE(4); items = 1; break;
    case 0xde: n = BE(2); items = 2; break;
    case 0xdf: n = BE(4); items = 2; break;
    default: return NULL;
    }
    if (n > (uint64_t)(end - p))
        return NULL;
    for (uint64_t i = 0; i < n * (uint64_t)items; i++)
        if (!(p = mp_skip(p, end, depth + 1)))
            return NULL;
    return p;
#undef NEED
#undef BE
}

static void msgpack_message(struct conn *c, uint8_t *p, size_t n)
{
    const uint8_t *q = p, *end = p + n;
    while (q < end && !c->closed) {
        const uint8_t *mend = mp_skip(q, end, 0);
        if (!mend) {
            conn_fail(c, "malformed msgpack from server");
            return;
        }
        uint8_t t = *q;
        uint32_t nk;
        const uint8_t *k = q + 1;
        if ((t & 0xf0) == 0x80)
            nk = t & 0x0f;
        else if (t == 0xde && end - q >= 3) {
            nk = (uint32_t)(q[1] << 8 | q[2]);
            k = q + 3;
        } else {
            q = mend;
            continue;
        }
        if (nk == 0) {
            conn_send_ws(c, 0x2, "\x80", 1);
            c->b->n.pongs_sent++;
            q = mend;
            continue;
        }
        int64_t id = -1;
        bool err = false, push = false;
        for (uint32_t i = 0; i < nk && k < mend; i++) {
            const uint8_t *v = mp_skip(k, mend, 1);
            if (!v)
                break;
            size_t kl = 0;
            const uint8_t *ks = NULL;
            if ((*k & 0xe0) == 0xa0) {
                kl = *k & 0x1f;
                ks = k + 1;
            }
            const uint8_t *vend = mp_skip(v, mend, 1);
            if (!vend)
                break;
            if (ks && kl == 2 && memcmp(ks, "id", 2) == 0) {
                if (*v <= 0x7f)
                    id = *v;
                else if (*v == 0xcc)
                    id = v[1];
                else if (*v == 0xcd)
                    id = v[1] << 8 | v[2];
                else if (*v == 0xce)
                    id = (int64_t)((uint32_t)v[1] << 24 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 8 | v[4]);
            } else if (ks && kl == 5 && memcmp(ks, "error", 5) == 0) {
                err = true;
            } else if (ks && kl == 4 && memcmp(ks, "push", 4) == 0) {
                push = true;
                scan_markers(c, v, (size_t)(vend - v));
            }
            k = vend;
        }
        if (!push && id > 0)
            on_reply(c, (uint32_t)id, err, q, (size_t)(mend - q));
        q = mend;
    }
}

/* ---- Socket.IO v4 / Engine.IO v4 ---- */

static void sio_message(struct conn *c, uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    switch (p[0]) {
    case '0': /* engine.io open: connect to the default namespace */
        conn_send_ws(c, 0x1, "40", 2);
        c->sio_stage = 1;
        return;
    case '2': /* engine.io ping */
        conn_send_ws(c, 0x1, "3", 1);
        c->b->n.pongs_sent++;
        return;
    case '1':
        conn_fail(c, "engine.io close");
        return;
    case '4':
        break;
    default:
        return;
    }
    if (n < 2)
        return;
    if (p[1] == '0' && c->sio_stage == 1) { /* namespace connected: join with ack id 0 */
        char m[256];
        int k = snprintf(m, sizeof(m), "420[\"join\",\"%s%u\"]", c->b->o.room_prefix, c->room);
        conn_send_ws(c, 0x1, m, (size_t)k);
        c->sio_stage = 2;
    } else if (p[1] == '3' && c->sio_stage == 2) { /* ack of join */
        c->sio_stage = 3;
        bench_on_subscribed(c);
    } else if (p[1] == '2') {
        scan_markers(c, p, n);
    } else if (p[1] == '4') {
        conn_fail(c, "socket.io connect error");
    }
}

void dialect_on_open(struct conn *c)
{
    if (c->is_pub) { /* the WebSocket publisher always speaks hearth JSON */
        json_open(c);
        return;
    }
    switch (c->b->o.dialect) {
    case D_JSON:
        json_open(c);
        break;
    case D_MSGPACK:
        msgpack_open(c);
        break;
    case D_RAW:
        bench_on_subscribed(c);
        break;
    case D_SIO:
        break; /* wait for the engine.io open packet */
    }
}

void dialect_on_message(struct conn *c, uint8_t opcode, uint8_t *p, size_t n)
{
    (void)opcode;
    if (c->is_pub) {
        json_message(c, p, n);
        return;
    }
    switch (c->b->o.dialect) {
    case D_JSON:
        json_message(c, p, n);
        break;
    case D_MSGPACK:
        msgpack_message(c, p, n);
        break;
    case D_RAW:
        scan_markers(c, p, n);
        break;
    case D_SIO:
        sio_message(c, p, n);
        break;
    }
}
