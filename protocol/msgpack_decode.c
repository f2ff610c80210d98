/* protocol/msgpack_decode.c — the msgpack command decoder (hearth-msgpack
 * subprotocol). A bounds-checked cursor reader over the frame: it never
 * allocates, checks every declared container count against the bytes left
 * (each element needs at least one byte) and limits nesting, so tiny hostile
 * input cannot trigger the large allocations msgpack-c's unpacker would make.
 * Strings and payloads are borrowed spans into the frame. */
#include <string.h>

#include "protocol/codec_internal.h"

struct mr {
    const uint8_t *p, *end;
};

static size_t left(const struct mr *m) { return (size_t)(m->end - m->p); }

static int need(struct mr *m, size_t n) { return left(m) >= n ? 0 : -1; }

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Reads a container header: *n elements (maps: pairs). 0, or -1 if not that
 * type or the count cannot fit in what is left. */
static int header(struct mr *m, bool map, uint32_t *n)
{
    if (need(m, 1))
        return -1;
    uint8_t t = *m->p;
    uint8_t fix = map ? 0x80 : 0x90;
    uint8_t t16 = map ? 0xde : 0xdc, t32 = map ? 0xdf : 0xdd;
    if ((t & 0xf0) == fix) {
        *n = t & 0x0f;
        m->p++;
    } else if (t == t16) {
        if (need(m, 3)) return -1;
        *n = (uint32_t)be(m->p + 1, 2);
        m->p += 3;
    } else if (t == t32) {
        if (need(m, 5)) return -1;
        *n = (uint32_t)be(m->p + 1, 4);
        m->p += 5;
    } else {
        return -1;
    }
    uint64_t min_bytes = (uint64_t)*n * (map ? 2 : 1);
    return min_bytes <= left(m) ? 0 : -1;
}

/* str (want_bin false) or bin/str (want_bin true) into a span. */
static int bytes(struct mr *m, struct span *out, bool accept_bin)
{
    if (need(m, 1))
        return -1;
    uint8_t t = *m->p;
    size_t hl, n;
    if ((t & 0xe0) == 0xa0) { hl = 1; n = t & 0x1f; }
    else if (t == 0xd9 || (accept_bin && t == 0xc4)) { if (need(m, 2)) return -1; hl = 2; n = m->p[1]; }
    else if (t == 0xda || (accept_bin && t == 0xc5)) { if (need(m, 3)) return -1; hl = 3; n = (size_t)be(m->p + 1, 2); }
    else if (t == 0xdb || (accept_bin && t == 0xc6)) { if (need(m, 5)) return -1; hl = 5; n = (size_t)be(m->p + 1, 4); }
    else return -1;
    if (left(m) - hl < n)
        return -1;
    bool is_str = !(t >= 0xc4 && t <= 0xc6);
    if (is_str && !utf8_valid(m->p + hl, n))
        return -1;
    out->p = m->p + hl;
    out->n = n;
    m->p += hl + n;
    return 0;
}

/* Any integer that fits in [lo, hi]. */
static int integer(struct mr *m, int64_t lo, uint64_t hi, uint64_t *u, int64_t *s)
{
    if (need(m, 1))
        return -1;
    uint8_t t = *m->p;
    bool neg = false;
    uint64_t v = 0;
    int64_t sv = 0;
    if (t <= 0x7f) { v = t; m->p++; }
    else if (t >= 0xe0) { neg = true; sv = (int8_t)t; m->p++; }
    else if (t >= 0xcc && t <= 0xcf) {
        int n = 1 << (t - 0xcc);
        if (need(m, 1 + (size_t)n)) return -1;
        v = be(m->p + 1, n);
        m->p += 1 + n;
    } else if (t >= 0xd0 && t <= 0xd3) {
        int n = 1 << (t - 0xd0);
        if (need(m, 1 + (size_t)n)) return -1;
        uint64_t raw = be(m->p + 1, n);
        int shift = 64 - 8 * n;
        sv = (int64_t)(raw << shift) >> shift;
        m->p += 1 + n;
        if (sv < 0) neg = true; else v = (uint64_t)sv;
    } else {
        return -1;
    }
    if (neg) {
        if (sv < lo)
            return -1;
        if (s) *s = sv;
        if (u) return -1;
        return 0;
    }
    if (v > hi)
        return -1;
    if (u) *u = v;
    if (s) *s = (int64_t)v;
    return 0;
}

static int boolean(struct mr *m, bool *out)
{
    if (need(m, 1) || (*m->p != 0xc2 && *m->p != 0xc3))
        return -1;
    *out = *m->p++ == 0xc3;
    return 0;
}

static bool nil(struct mr *m)
{
    if (left(m) && *m->p == 0xc0) {
        m->p++;
        return true;
    }
    return false;
}

/* Skips one value of any type. */
static int skip(struct mr *m, int depth)
{
    if (need(m, 1) || depth > PROTO_MAX_DEPTH)
        return -1;
    uint8_t t = *m->p;
    struct span sp;
    uint32_t n;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) { m->p++; return 0; }
    if ((t & 0xf0) == 0x80 || t == 0xde || t == 0xdf) {
        if (header(m, true, &n)) return -1;
        for (uint32_t i = 0; i < 2 * n; i++)
            if (skip(m, depth + 1)) return -1;
        return 0;
    }
    if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd) {
        if (header(m, false, &n)) return -1;
        for (uint32_t i = 0; i < n; i++)
            if (skip(m, depth + 1)) return -1;
        return 0;
    }
    if ((t & 0xe0) == 0xa0 || (t >= 0xd9 && t <= 0xdb) || (t >= 0xc4 && t <= 0xc6))
        return bytes(m, &sp, true);
    size_t fixed = 0;
    switch (t) {
    case 0xcc: case 0xd0: fixed = 2; break;
    case 0xcd: case 0xd1: fixed = 3; break;
    case 0xca: case 0xce: case 0xd2: fixed = 5; break;
    case 0xcb: case 0xcf: case 0xd3: fixed = 9; break;
    case 0xd4: fixed = 3; break; case 0xd5: fixed = 4; break; case 0xd6: fixed = 6; break;
    case 0xd7: fixed = 10; break; case 0xd8: fixed = 18; break;
    case 0xc7: case 0xc8: case 0xc9: { /* ext 8/16/32 */
        int hl = t == 0xc7 ? 1 : t == 0xc8 ? 2 : 4;
        if (need(m, 2 + (size_t)hl)) return -1;
        uint64_t len = be(m->p + 1, hl);
        if (left(m) - 2 - (size_t)hl < len) return -1;
        m->p += 2 + hl + len;
        return 0;
    }
    default: return -1; /* 0xc1 is never used */
    }
    if (need(m, fixed))
        return -1;
    m->p += fixed;
    return 0;
}

static int request(struct mr *m, struct cmd *out)
{
    unsigned allowed = cmd_fields_of(out->kind);
    uint32_t n;
    if (header(m, true, &n))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        struct span key;
        if (bytes(m, &key, false))
            return -1;
        unsigned f = cmd_field_of(key.p, key.n) & allowed;
        if (!f) {
            if (skip(m, 2)) return -1;
            continue;
        }
        if (nil(m))
            continue;
        int rc;
        uint64_t u;
        int64_t s;
        switch (f) {
        case F_CHANNEL: rc = bytes(m, &out->channel, false); break;
        case F_TOKEN: rc = bytes(m, &out->token, false); break;
        case F_NAME: rc = bytes(m, &out->name, false); break;
        case F_VERSION: rc = bytes(m, &out->version, false); break;
        case F_METHOD: rc = bytes(m, &out->method, false); break;
        case F_EPOCH: rc = bytes(m, &out->epoch, false); break;
        case F_DATA: rc = bytes(m, &out->data, true); out->has_data = rc == 0; break;
        case F_RECOVER: rc = boolean(m, &out->recover); break;
        case F_RECOVERABLE: rc = boolean(m, &out->recoverable); break;
        case F_POSITIONED: rc = boolean(m, &out->positioned); break;
        case F_JOIN_LEAVE: rc = boolean(m, &out->join_leave); break;
        case F_REVERSE: rc = boolean(m, &out->reverse); break;
        case F_OFFSET: rc = integer(m, 0, UINT64_MAX, &u, NULL); out->offset = u; break;
        case F_LIMIT: rc = integer(m, INT32_MIN, INT32_MAX, NULL, &s); out->limit = (int32_t)s; break;
        case F_SINCE: {
            uint32_t k;
            rc = header(m, true, &k);
            out->has_since = true;
            for (uint32_t j = 0; j < k && !rc; j++) {
                struct span k2;
                if (bytes(m, &k2, false))
                    return -1;
                if (nil(m))
                    continue;
                if (k2.n == 6 && !memcmp(k2.p, "offset", 6)) {
                    rc = integer(m, 0, UINT64_MAX, &u, NULL);
                    out->since_offset = u;
                } else if (k2.n == 5 && !memcmp(k2.p, "epoch", 5))
                    rc = bytes(m, &out->since_epoch, false);
                else
                    rc = skip(m, 3);
            }
            break;
        }
        default: rc = skip(m, 2);
        }
        if (rc)
            return -1;
    }
    return 0;
}

static int message(struct mr *m, struct cmd *out)
{
    memset(out, 0, sizeof(*out));
    uint32_t n;
    if (header(m, true, &n))
        return -1;
    const uint8_t *req_at = NULL;
    enum cmd_kind kind = CMD_EMPTY;
    for (uint32_t i = 0; i < n; i++) {
        struct span key;
        if (bytes(m, &key, false))
            return -1;
        enum cmd_kind k;
        if (key.n == 2 && !memcmp(key.p, "id", 2)) {
            uint64_t id = 0;
            if (!nil(m) && integer(m, 0, UINT32_MAX, &id, NULL))
                return -1;
            out->id = (uint32_t)id;
        } else if ((k = cmd_kind_of(key.p, key.n)) != CMD_EMPTY) {
            if (nil(m))
                continue;
            const uint8_t *at = m->p;
            uint32_t dummy;
            struct mr probe = *m;
            if (header(&probe, true, &dummy) || skip(m, 1))
                return -1; /* a request must be a map */
            if (kind == CMD_EMPTY || k < kind) {
                kind = k;
                req_at = at;
            }
        } else if (skip(m, 1)) {
            return -1;
        }
    }
    out->kind = kind;
    if (req_at) {
        struct mr rm = {req_at, m->end};
        if (request(&rm, out))
            return -1;
    }
    return 0;
}

int mp_read_next(struct proto_reader *r, struct cmd *out)
{
    if (r->pos >= r->len)
        return r->n_read ? 0 : PROTO_EBADMSG;
    struct mr m = {r->buf + r->pos, r->buf + r->len};
    r->n_read++;
    if (message(&m, out))
        return PROTO_EBADMSG;
    r->pos = (size_t)(m.p - r->buf);
    return 1;
}
