/* protocol/proto.h — Centrifuge client protocol v2 in canonical C form, and the
 * codec API that turns wire bytes into commands and replies/pushes into bytes.
 *
 * Two wire formats share this schema: JSON (text frames, messages joined by
 * '\n', see json_codec.c) and msgpack (binary frames, messages concatenated,
 * map keys = the JSON field names, see msgpack_codec.c and docs/protocol.md).
 *
 * Decoding never allocates: decoders work IN PLACE on a mutable input buffer
 * owned by the caller (JSON string escapes are undone and raw '\n' bytes are
 * stripped from raw payloads in place), and every span in a decoded struct cmd
 * points into that buffer, valid until the caller reuses it.
 *
 * Encoders append one complete message to a struct wbuf and return 0, or a
 * negative errno (-ENOMEM; -EINVAL when a raw payload that must be embedded as
 * JSON is not valid JSON). */
#ifndef HEARTH_PROTO_H
#define HEARTH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/frame.h"
#include "protocol/publication.h"

/* Protocol limits enforced by the decoders (hostile input stays bounded). */
#define PROTO_MAX_DEPTH 64        /* JSON/msgpack nesting depth */

/* Command kinds, numbered as the request fields of Command in client.proto. */
enum cmd_kind {
    CMD_EMPTY = 0,          /* no request field: a pong ({} / 0x80) */
    CMD_CONNECT = 4,
    CMD_SUBSCRIBE = 5,
    CMD_UNSUBSCRIBE = 6,
    CMD_PUBLISH = 7,
    CMD_PRESENCE = 8,
    CMD_PRESENCE_STATS = 9,
    CMD_HISTORY = 10,
    CMD_PING = 11,          /* not supported in v2: caller disconnects 3501 */
    CMD_SEND = 12,
    CMD_RPC = 13,
    CMD_REFRESH = 14,
    CMD_SUB_REFRESH = 15,
};

/* One decoded command. Spans point into the decoder's input buffer. Fields a
 * command does not carry stay zero. For raw payloads (data) has_data tells
 * "present" apart from "absent"; on WIRE_JSON data is the exact compact-able
 * JSON text of the value (raw '\n' stripped), on WIRE_MSGPACK the bytes of a
 * bin/str value. When several request fields are present the lowest field
 * number wins (the Go server takes the first non-null in field order). */
struct cmd {
    uint32_t id;
    enum cmd_kind kind;
    struct span channel;   /* subscribe, unsubscribe, publish, presence, presence_stats, history, sub_refresh */
    struct span token;     /* connect, subscribe, refresh, sub_refresh */
    struct span data;      /* connect, subscribe, publish, send, rpc */
    bool has_data;
    struct span name;      /* connect */
    struct span version;   /* connect */
    struct span method;    /* rpc */
    /* subscribe */
    bool recover, recoverable, positioned, join_leave;
    struct span epoch;
    uint64_t offset;
    /* history */
    int32_t limit;         /* 0 = absent */
    bool has_since;
    uint64_t since_offset;
    struct span since_epoch;
    bool reverse;
};

/* Decoding errors (negative). */
#define PROTO_EBADMSG (-74)   /* malformed message: caller disconnects 3501 */

/* Iterates the messages of one received WebSocket frame.
 * proto_reader_init(): buf/len is the whole frame, owned by the caller and
 * modified in place. proto_read_next(): 1 = *out filled, 0 = no more messages,
 * PROTO_EBADMSG = malformed (stop processing the frame). An empty frame is
 * malformed. JSON: messages separated by single '\n', at most one trailing
 * '\n', no blank lines, each message one JSON object. msgpack: concatenated
 * maps. Unknown fields are skipped. */
struct proto_reader {
    enum wire wire;
    uint8_t *buf;
    size_t len;
    size_t pos;
    int n_read;
};
void proto_reader_init(struct proto_reader *r, enum wire w, uint8_t *buf, size_t len);
int proto_read_next(struct proto_reader *r, struct cmd *out);

/* True when p/n is exactly one valid JSON value (RFC 8259, UTF-8 checked,
 * depth <= PROTO_MAX_DEPTH; surrounding whitespace allowed). */
bool json_validate(const uint8_t *p, size_t n);
/* True when p/n is strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool utf8_valid(const uint8_t *p, size_t n);

/* Replies. Every reply carries the command id; kind selects the result field.
 * All pointers/spans are borrowed for the duration of the encode call. */
enum reply_kind {
    REPLY_ERROR,
    REPLY_CONNECT,
    REPLY_SUBSCRIBE,
    REPLY_UNSUBSCRIBE,
    REPLY_PUBLISH,
    REPLY_PRESENCE,
    REPLY_PRESENCE_STATS,
    REPLY_HISTORY,
    REPLY_RPC,
    REPLY_REFRESH,
    REPLY_SUB_REFRESH,
};

struct reply {
    uint32_t id;
    enum reply_kind kind;
    /* REPLY_ERROR */
    uint32_t err_code;
    const char *err_message;
    bool err_temporary;
    /* REPLY_CONNECT: client, version, expires, ttl, data, ping, pong */
    const char *client;
    const char *version;
    bool expires;          /* also REFRESH, SUB_REFRESH, SUBSCRIBE */
    uint32_t ttl;          /* also REFRESH, SUB_REFRESH, SUBSCRIBE */
    struct span data;      /* CONNECT, SUBSCRIBE, RPC: raw payload, n == 0 = absent */
    uint32_t ping;
    bool pong;
    const struct span *subs; /* CONNECT: server-side subscriptions (channel names) */
    size_t nsubs;
    /* REPLY_SUBSCRIBE: recoverable, positioned, epoch, offset, publications,
     * recovered, was_recovering (+ expires, ttl, data). REPLY_HISTORY:
     * publications, epoch, offset (all three always emitted). */
    bool recoverable, positioned, recovered, was_recovering;
    const char *epoch;     /* NULL = absent (HISTORY emits "" then) */
    uint64_t offset;
    struct publication *const *pubs; /* borrowed array of npubs */
    size_t npubs;
    /* REPLY_PRESENCE: map client id -> ClientInfo (always emitted, {} if empty) */
    const struct clientinfo *presence;
    size_t npresence;
    /* REPLY_PRESENCE_STATS (both always emitted) */
    uint32_t num_clients, num_users;
};

int proto_encode_reply(enum wire w, struct wbuf *b, const struct reply *r);

/* Pushes ({"push":{...}}, no id). */
int proto_encode_push_pub(enum wire w, struct wbuf *b, const struct publication *p);
int proto_encode_push_join(enum wire w, struct wbuf *b, struct span channel,
                           const struct clientinfo *info, bool leave);
int proto_encode_push_unsubscribe(enum wire w, struct wbuf *b, struct span channel,
                                  uint32_t code, const char *reason);
int proto_encode_push_message(enum wire w, struct wbuf *b, struct span data);
/* A server-side subscription added at runtime ({"push":{"channel":..,"subscribe":{}}}). */
int proto_encode_push_subscribe(enum wire w, struct wbuf *b, struct span channel);
/* The server ping: an empty reply ({} / 0x80). */
int proto_encode_ping(enum wire w, struct wbuf *b);

/* Joins already-encoded messages into one WebSocket frame payload: JSON puts a
 * single '\n' between messages (none trailing); msgpack concatenates. */
static inline size_t proto_batch_sep_len(enum wire w) { return w == WIRE_JSON ? 1 : 0; }

#endif
