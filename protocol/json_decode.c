/* protocol/json_decode.c — the JSON command decoder and json_validate(): a
 * strict RFC 8259 parser that never allocates. It works in place on the
 * caller's frame buffer: string escapes of the fields we use are undone where
 * they stand, raw payloads are captured as the exact bytes of their value
 * with raw '\n' removed. Depth is limited to PROTO_MAX_DEPTH and all input is
 * UTF-8 checked, so hostile input costs at most one linear pass. */
#include <string.h>

#include "protocol/codec_internal.h"

struct jp {
    uint8_t *p;        /* cursor */
    uint8_t *end;
};

static void ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
        j->p++;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int hex4(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = (v << 4) | (uint32_t)h;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(uint8_t *w, uint32_t cp)
{
    if (cp < 0x80) { w[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { w[0] = (uint8_t)(0xc0 | (cp >> 6)); w[1] = (uint8_t)(0x80 | (cp & 0x3f)); return 2; }
    if (cp < 0x10000) {
        w[0] = (uint8_t)(0xe0 | (cp >> 12)); w[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        w[2] = (uint8_t)(0x80 | (cp & 0x3f)); return 3;
    }
    w[0] = (uint8_t)(0xf0 | (cp >> 18)); w[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    w[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)); w[3] = (uint8_t)(0x80 | (cp & 0x3f)); return 4;
}

/* Parses a string at j->p (which must be '"'). With decode, unescapes in place
 * and sets *out to the decoded bytes; otherwise only validates. 0 or -1. */
static int string(struct jp *j, struct span *out, bool decode)
{
    if (j->p >= j->end || *j->p != '"')
        return -1;
    uint8_t *r = ++j->p, *w = r, *start = r;
    while (r < j->end) {
        uint8_t c = *r;
        if (c == '"') {
            if (out) {
                out->p = start;
                out->n = (size_t)((decode ? w : r) - start);
            }
            j->p = r + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (r + 1 >= j->end)
                return -1;
            uint8_t e = r[1];
            uint8_t simple = 0;
            switch (e) {
            case '"': simple = '"'; break;
            case '\\': simple = '\\'; break;
            case '/': simple = '/'; break;
            case 'b': simple = '\b'; break;
            case 'f': simple = '\f'; break;
            case 'n': simple = '\n'; break;
            case 'r': simple = '\r'; break;
            case 't': simple = '\t'; break;
            case 'u': break;
            default: return -1;
            }
            if (simple) {
                if (decode)
                    *w++ = simple;
                r += 2;
                continue;
            }
            uint32_t cp;
            if (r + 6 > j->end || hex4(r + 2, &cp))
                return -1;
            r += 6;
            if (cp >= 0xd800 && cp <= 0xdbff) { /* high surrogate: needs its pair */
                uint32_t lo;
                if (r + 6 > j->end || r[0] != '\\' || r[1] != 'u' || hex4(r + 2, &lo) ||
                    lo < 0xdc00 || lo > 0xdfff)
                    return -1;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                r += 6;
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return -1;
            }
            if (decode)
                w += put_utf8(w, cp); /* never longer than the escape it replaces */
            continue;
        }
        /* a run of plain bytes: check UTF-8 sequence by sequence */
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!len || r + len > j->end || !utf8_valid(r, len))
            return -1;
        if (decode && w != r)
            memmove(w, r, len);
        w += len;
        r += len;
    }
    return -1;
}

static int number(struct jp *j)
{
    uint8_t *p = j->p;
    if (p < j->end && *p == '-')
        p++;
    if (p >= j->end)
        return -1;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    else
        return -1;
    if (p < j->end && *p == '.') {
        p++;
        if (p >= j->end || *p < '0' || *p > '9')
            return -1;
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < j->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->end || *p < '0' || *p > '9')
            return -1;
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    j->p = p;
    return 0;
}

static int literal(struct jp *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
        return -1;
    j->p += n;
    return 0;
}

/* Validates and skips one value (no mutation). */
static int value(struct jp *j, int depth)
{
    ws(j);
    if (j->p >= j->end)
        return -1;
    switch (*j->p) {
    case '"':
        return string(j, NULL, false);
    case 't':
        return literal(j, "true");
    case 'f':
        return literal(j, "false");
    case 'n':
        return literal(j, "null");
    case '[':
    case '{': {
        if (depth >= PROTO_MAX_DEPTH)
            return -1;
        uint8_t close = *j->p == '[' ? ']' : '}';
        bool obj = close == '}';
        j->p++;
        ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        for (;;) {
            if (obj) {
                ws(j);
                if (string(j, NULL, false))
                    return -1;
                ws(j);
                if (j->p >= j->end || *j->p++ != ':')
                    return -1;
            }
            if (value(j, depth + 1))
                return -1;
            ws(j);
            if (j->p >= j->end)
                return -1;
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p++ != close)
                return -1;
            return 0;
        }
    }
    default:
        return number(j);
    }
}

bool json_validate(const uint8_t *p, size_t n)
{
    struct jp j = {(uint8_t *)(uintptr_t)p, (uint8_t *)(uintptr_t)p + n};
    if (value(&j, 0))
        return false;
    ws(&j);
    return j.p == j.end;
}

static bool is_null(struct jp *j)
{
    ws(j);
    if ((size_t)(j->end - j->p) >= 4 && memcmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return true;
    }
    return false;
}

/* Unsigned integer without fraction or exponent, <= max. */
static int uint_value(struct jp *j, uint64_t max, uint64_t *out)
{
    ws(j);
    uint8_t *s = j->p;
    if (number(j))
        return -1;
    uint64_t v = 0;
    for (uint8_t *p = s; p < j->p; p++) {
        if (*p < '0' || *p > '9')
            return -1; /* sign, fraction or exponent */
        if (v > (max - (uint64_t)(*p - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return 0;
}

static int int32_value(struct jp *j, int32_t *out)
{
    ws(j);
    bool neg = j->p < j->end && *j->p == '-';
    if (neg)
        j->p++;
    uint64_t v;
    if (uint_value(j, neg ? 2147483648ULL : 2147483647ULL, &v))
        return -1;
    *out = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
    return 0;
}

static int bool_value(struct jp *j, bool *out)
{
    ws(j);
    if (!literal(j, "true")) { *out = true; return 0; }
    if (!literal(j, "false")) { *out = false; return 0; }
    return -1;
}

/* Captures a raw value; strips raw '\n' (only whitespace can hold one). */
static int raw_value(struct jp *j, struct span *out)
{
    ws(j);
    uint8_t *s = j->p;
    if (value(j, 1))
        return -1;
    uint8_t *w = s;
    for (uint8_t *r = s; r < j->p; r++)
        if (*r != '\n')
            *w++ = *r;
    out->p = s;
    out->n = (size_t)(w - s);
    return 0;
}

/* Parses a request object into out, accepting the fields of out->kind. */
static int request(struct jp *j, struct cmd *out)
{
    unsigned allowed = cmd_fields_of(out->kind);
    ws(j);
    if (j->p >= j->end || *j->p++ != '{')
        return -1;
    ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return 0;
    }
    for (;;) {
        struct span key;
        ws(j);
        if (string(j, &key, true))
            return -1;
        ws(j);
        if (j->p >= j->end || *j->p++ != ':')
            return -1;
        unsigned f = cmd_field_of(key.p, key.n) & allowed;
        int rc = 0;
        if (!f || is_null(j)) {
            if (!f)
                rc = value(j, 2);
        } else {
            ws(j);
            switch (f) {
            case F_CHANNEL: rc = string(j, &out->channel, true); break;
            case F_TOKEN: rc = string(j, &out->token, true); break;
            case F_NAME: rc = string(j, &out->name, true); break;
            case F_VERSION: rc = string(j, &out->version, true); break;
            case F_METHOD: rc = string(j, &out->method, true); break;
            case F_EPOCH: rc = string(j, &out->epoch, true); break;
            case F_DATA: rc = raw_value(j, &out->data); out->has_data = rc == 0; break;
            case F_RECOVER: rc = bool_value(j, &out->recover); break;
            case F_RECOVERABLE: rc = bool_value(j, &out->recoverable); break;
            case F_POSITIONED: rc = bool_value(j, &out->positioned); break;
            case F_JOIN_LEAVE: rc = bool_value(j, &out->join_leave); break;
            case F_REVERSE: rc = bool_value(j, &out->reverse); break;
            case F_OFFSET: rc = uint_value(j, UINT64_MAX, &out->offset); break;
            case F_LIMIT: rc = int32_value(j, &out->limit); break;
            case F_SINCE: {
                /* StreamPosition {offset, epoch} */
                if (j->p >= j->end || *j->p++ != '{')
                    return -1;
                out->has_since = true;
                ws(j);
                if (j->p < j->end && *j->p == '}') {
                    j->p++;
                    break;
                }
                for (;;) {
                    struct span k2;
                    ws(j);
                    if (string(j, &k2, true))
                        return -1;
                    ws(j);
                    if (j->p >= j->end || *j->p++ != ':')
                        return -1;
                    if (is_null(j))
                        ;
                    else if (k2.n == 6 && !memcmp(k2.p, "offset", 6))
                        rc = uint_value(j, UINT64_MAX, &out->since_offset);
                    else if (k2.n == 5 && !memcmp(k2.p, "epoch", 5)) {
                        ws(j);
                        rc = string(j, &out->since_epoch, true);
                    } else
                        rc = value(j, 3);
                    if (rc)
                        return -1;
                    ws(j);
                    if (j->p < j->end && *j->p == ',') {
                        j->p++;
                        continue;
                    }
                    if (j->p >= j->end || *j->p++ != '}')
                        return -1;
                    break;
                }
                break;
            }
            default: rc = value(j, 2);
            }
        }
        if (rc)
            return -1;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p >= j->end || *j->p++ != '}')
            return -1;
        return 0;
    }
}

/* One message: an object with "id" and request fields. The lowest-numbered
 * non-null request field wins; its value is decoded after the scan. */
static int message(uint8_t *p, uint8_t *end, struct cmd *out)
{
    struct jp j = {p, end};
    memset(out, 0, sizeof(*out));
    ws(&j);
    if (j.p >= j.end || *j.p++ != '{')
        return -1;
    uint8_t *req_at = NULL;
    enum cmd_kind kind = CMD_EMPTY;
    ws(&j);
    if (j.p < j.end && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            struct span key;
            ws(&j);
            if (string(&j, &key, true))
                return -1;
            ws(&j);
            if (j.p >= j.end || *j.p++ != ':')
                return -1;
            enum cmd_kind k;
            if (key.n == 2 && !memcmp(key.p, "id", 2)) {
                uint64_t id;
                if (is_null(&j))
                    id = 0;
                else if (uint_value(&j, UINT32_MAX, &id))
                    return -1;
                out->id = (uint32_t)id;
            } else if ((k = cmd_kind_of(key.p, key.n)) != CMD_EMPTY) {
                if (!is_null(&j)) {
                    ws(&j);
                    uint8_t *at = j.p;
                    if (j.p >= j.end || *j.p != '{' || value(&j, 1))
                        return -1; /* a request must be an object */
                    if (kind == CMD_EMPTY || k < kind) {
                        kind = k;
                        req_at = at;
                    }
                }
            } else if (value(&j, 1)) {
                return -1;
            }
            ws(&j);
            if (j.p < j.end && *j.p == ',') {
                j.p++;
                continue;
            }
            if (j.p >= j.end || *j.p++ != '}')
                return -1;
            break;
        }
    }
    ws(&j);
    if (j.p != j.end)
        return -1; /* exactly one object per line */
    out->kind = kind;
    if (req_at) {
        struct jp rj = {req_at, end};
        if (request(&rj, out))
            return -1;
    }
    return 0;
}

int json_read_next(struct proto_reader *r, struct cmd *out)
{
    if (r->pos >= r->len) {
        if (r->n_read == 0)
            return PROTO_EBADMSG; /* empty frame */
        return 0;
    }
    uint8_t *start = r->buf + r->pos, *end = r->buf + r->len;
    uint8_t *nl = memchr(start, '\n', (size_t)(end - start));
    uint8_t *line_end = nl ? nl : end;
    if (line_end == start)
        return PROTO_EBADMSG; /* blank line */
    r->pos = nl ? (size_t)(nl - r->buf) + 1 : r->len;
    r->n_read++;
    if (message(start, line_end, out))
        return PROTO_EBADMSG;
    return 1;
}
