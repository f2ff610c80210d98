/* protocol/wire.c — the codec API of proto.h: dispatch by wire format, the
 * request-field tables both decoders share, and UTF-8 validation. */
#include <errno.h>
#include <string.h>

#include "protocol/codec_internal.h"

static const struct {
    const char *name;
    enum cmd_kind kind;
    unsigned fields;
} requests[] = {
    {"connect", CMD_CONNECT, F_TOKEN | F_DATA | F_NAME | F_VERSION},
    {"subscribe", CMD_SUBSCRIBE, F_CHANNEL | F_TOKEN | F_RECOVER | F_EPOCH | F_OFFSET | F_DATA |
                                     F_POSITIONED | F_RECOVERABLE | F_JOIN_LEAVE},
    {"unsubscribe", CMD_UNSUBSCRIBE, F_CHANNEL},
    {"publish", CMD_PUBLISH, F_CHANNEL | F_DATA},
    {"presence", CMD_PRESENCE, F_CHANNEL},
    {"presence_stats", CMD_PRESENCE_STATS, F_CHANNEL},
    {"history", CMD_HISTORY, F_CHANNEL | F_LIMIT | F_SINCE | F_REVERSE},
    {"ping", CMD_PING, 0},
    {"send", CMD_SEND, F_DATA},
    {"rpc", CMD_RPC, F_DATA | F_METHOD},
    {"refresh", CMD_REFRESH, F_TOKEN},
    {"sub_refresh", CMD_SUB_REFRESH, F_CHANNEL | F_TOKEN},
};

static const struct {
    const char *name;
    unsigned bit;
} fields[] = {
    {"channel", F_CHANNEL}, {"token", F_TOKEN}, {"data", F_DATA},
    {"name", F_NAME}, {"version", F_VERSION}, {"method", F_METHOD},
    {"recover", F_RECOVER}, {"recoverable", F_RECOVERABLE}, {"positioned", F_POSITIONED},
    {"join_leave", F_JOIN_LEAVE}, {"epoch", F_EPOCH}, {"offset", F_OFFSET},
    {"limit", F_LIMIT}, {"since", F_SINCE}, {"reverse", F_REVERSE},
};

static bool key_is(const uint8_t *k, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(k, name, n) == 0;
}

enum cmd_kind cmd_kind_of(const uint8_t *key, size_t n)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
        if (key_is(key, n, requests[i].name))
            return requests[i].kind;
    return CMD_EMPTY;
}

unsigned cmd_fields_of(enum cmd_kind k)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
        if (requests[i].kind == k)
            return requests[i].fields;
    return 0;
}

unsigned cmd_field_of(const uint8_t *key, size_t n)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (key_is(key, n, fields[i].name))
            return fields[i].bit;
    return 0;
}

bool utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > n)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

void proto_reader_init(struct proto_reader *r, enum wire w, uint8_t *buf, size_t len)
{
    r->wire = w;
    r->buf = buf;
    r->len = len;
    r->pos = 0;
    r->n_read = 0;
}

int proto_read_next(struct proto_reader *r, struct cmd *out)
{
    return r->wire == WIRE_JSON ? json_read_next(r, out) : mp_read_next(r, out);
}

int proto_encode_reply(enum wire w, struct wbuf *b, const struct reply *r)
{
    return w == WIRE_JSON ? json_encode_reply(b, r) : mp_encode_reply(b, r);
}

int proto_encode_push_pub(enum wire w, struct wbuf *b, const struct publication *p)
{
    return w == WIRE_JSON ? json_encode_push_pub(b, p) : mp_encode_push_pub(b, p);
}

int proto_encode_push_join(enum wire w, struct wbuf *b, struct span ch,
                           const struct clientinfo *info, bool leave)
{
    return w == WIRE_JSON ? json_encode_push_join(b, ch, info, leave)
                          : mp_encode_push_join(b, ch, info, leave);
}

int proto_encode_push_unsubscribe(enum wire w, struct wbuf *b, struct span ch, uint32_t code,
                                  const char *reason)
{
    return w == WIRE_JSON ? json_encode_push_unsubscribe(b, ch, code, reason)
                          : mp_encode_push_unsubscribe(b, ch, code, reason);
}

int proto_encode_push_message(enum wire w, struct wbuf *b, struct span data)
{
    return w == WIRE_JSON ? json_encode_push_message(b, data) : mp_encode_push_message(b, data);
}

int proto_encode_ping(enum wire w, struct wbuf *b)
{
    if (w == WIRE_JSON)
        wbuf_put(b, "{}", 2);
    else
        wbuf_putc(b, 0x80);
    return wbuf_ok(b) ? 0 : -ENOMEM;
}

int proto_encode_push_subscribe(enum wire w, struct wbuf *b, struct span channel)
{
    return w == WIRE_JSON ? json_encode_push_subscribe(b, channel) : mp_encode_push_subscribe(b, channel);
}
