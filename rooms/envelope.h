/* rooms/envelope.h — the msgpack messages hearth nodes exchange through Redis:
 * publication envelopes (what PUBLISH carries on a channel and what a history
 * stream entry holds), join/leave events, presence values, and control
 * messages on the control channel (node info, goodbye, and server API side
 * effects). The formats are documented in docs/redis.md.
 *
 * Decoders read bytes that come from the network: they are bounds-checked,
 * never allocate, accept only the exact shapes below, validate UTF-8 strings
 * and JSON payloads, and return spans borrowed from the input buffer.
 * Encoders append to a struct wbuf (the caller owns it). Loop thread only;
 * no state. */
#ifndef HEARTH_ENVELOPE_H
#define HEARTH_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rooms/engine.h"
#include "protocol/frame.h"
#include "protocol/publication.h"

enum envelope_kind { ENVELOPE_PUB = 1, ENVELOPE_JOIN = 2, ENVELOPE_LEAVE = 3 };

#define ENVELOPE_FLAG_JSON 1u   /* data is one JSON value */
#define ENVELOPE_FLAG_DROPPABLE 2u /* the publication's frames are droppable (publication.h) */
#define ENVELOPE_EPOCH_MAX 64

/* The first bytes of a publication envelope, before offset and epoch:
 * fixarray(6), kind 1. The publish Lua script writes these itself. */
#define ENVELOPE_PUB_HEAD "\x96\x01"

struct envelope {
    enum envelope_kind kind;
    uint64_t offset;           /* pub: 0 = no history position */
    struct span epoch;         /* pub: "" without history */
    bool data_is_json;         /* pub */
    bool droppable;            /* pub: ENVELOPE_FLAG_DROPPABLE */
    struct span data;          /* pub */
    bool has_info;             /* pub: published by a client; join/leave: always */
    struct clientinfo info;
};

/* Appends the tail of a publication envelope (flags, data, info) — what the
 * publish script puts after the head, offset and epoch. */
void envelope_put_pub_tail(struct wbuf *b, const struct publication *p);
/* Appends a whole publication envelope (offset 0 and epoch "" when the
 * channel keeps no history). */
void envelope_put_pub(struct wbuf *b, const struct publication *p, uint64_t offset,
                      struct span epoch);
/* Appends a join (leave false) or leave envelope. */
void envelope_put_join(struct wbuf *b, const struct clientinfo *info, bool leave);
/* Appends a ClientInfo as stored in the presence hash. */
void envelope_put_info(struct wbuf *b, const struct clientinfo *info);

/* Decodes one envelope filling *out (spans borrowed from p). 0, or -1 when
 * the bytes are not exactly one well-formed envelope. */
int envelope_decode(const uint8_t *p, size_t n, struct envelope *out);
/* Decodes a presence value. 0 or -1. */
int envelope_decode_info(const uint8_t *p, size_t n, struct clientinfo *out);
/* A new publication (refs == 1) for channel from a decoded pub envelope;
 * NULL on OOM. */
struct publication *envelope_publication(const struct envelope *env, struct span channel);

/* ---- control channel ---- */

enum control_frame_kind {
    CONTROL_FRAME_CMD = 1,     /* a struct control_msg (verb + payload) */
    CONTROL_FRAME_NODE = 16,   /* periodic node info */
    CONTROL_FRAME_BYE = 17,    /* the node is shutting down: drop it now */
};

struct control_frame {
    enum control_frame_kind kind;
    struct span sender;        /* uid of the node that sent it */
    struct control_msg msg;    /* CONTROL_FRAME_CMD; spans borrowed */
    struct node_info node;     /* CONTROL_FRAME_NODE (strings copied in) */
};

void control_put_cmd(struct wbuf *b, const char *sender, const struct control_msg *m);
void control_put_node(struct wbuf *b, const struct node_info *n);
void control_put_bye(struct wbuf *b, const char *sender);
/* 0, or -1 when malformed. */
int control_decode(const uint8_t *p, size_t n, struct control_frame *out);

#endif
