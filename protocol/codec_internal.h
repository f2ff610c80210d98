/* protocol/codec_internal.h — what wire.c dispatches to: the per-format
 * decoders and encoders, plus small helpers shared by both formats. Private
 * to protocol/. */
#ifndef HEARTH_CODEC_INTERNAL_H
#define HEARTH_CODEC_INTERNAL_H

#include "protocol/proto.h"

/* Which request fields a command kind accepts (bit per field). */
enum cmd_field {
    F_CHANNEL = 1 << 0, F_TOKEN = 1 << 1, F_DATA = 1 << 2, F_NAME = 1 << 3,
    F_VERSION = 1 << 4, F_METHOD = 1 << 5, F_RECOVER = 1 << 6, F_RECOVERABLE = 1 << 7,
    F_POSITIONED = 1 << 8, F_JOIN_LEAVE = 1 << 9, F_EPOCH = 1 << 10, F_OFFSET = 1 << 11,
    F_LIMIT = 1 << 12, F_SINCE = 1 << 13, F_REVERSE = 1 << 14,
};

/* Request name -> kind (0 if not a request field). */
enum cmd_kind cmd_kind_of(const uint8_t *key, size_t n);
/* The fields a kind accepts, and a field name -> field bit (0 if unknown). */
unsigned cmd_fields_of(enum cmd_kind k);
unsigned cmd_field_of(const uint8_t *key, size_t n);

int json_read_next(struct proto_reader *r, struct cmd *out);
int json_encode_reply(struct wbuf *b, const struct reply *r);
int json_encode_push_pub(struct wbuf *b, const struct publication *p);
int json_encode_push_join(struct wbuf *b, struct span ch, const struct clientinfo *ci, bool leave);
int json_encode_push_unsubscribe(struct wbuf *b, struct span ch, uint32_t code, const char *reason);
int json_encode_push_message(struct wbuf *b, struct span data);
int json_encode_push_subscribe(struct wbuf *b, struct span ch);

int mp_read_next(struct proto_reader *r, struct cmd *out);
int mp_encode_reply(struct wbuf *b, const struct reply *r);
int mp_encode_push_pub(struct wbuf *b, const struct publication *p);
int mp_encode_push_join(struct wbuf *b, struct span ch, const struct clientinfo *ci, bool leave);
int mp_encode_push_unsubscribe(struct wbuf *b, struct span ch, uint32_t code, const char *reason);
int mp_encode_push_message(struct wbuf *b, struct span data);
int mp_encode_push_subscribe(struct wbuf *b, struct span ch);

/* Strict UTF-8 check (no overlongs, no surrogates, <= U+10FFFF). */
bool utf8_valid(const uint8_t *p, size_t n);

#endif
