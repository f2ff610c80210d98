/* community/chat_message.h — what a chat message is (docs/chat.md): the
 * validator and canonical form of a client's or API's publish into a chat
 * namespace, the text rules an edit shares with it (control characters,
 * length in code points, mentions) and the emoji rule of reactions.
 *
 * Pure functions over bytes: no node, no store, no clock (the caller passes
 * the timestamp), so they are unit-tested (tests/unit/test_chat_message.c)
 * and fuzzed (tests/fuzz/fuzz_chat.c) alone. Every refusal is the caller's
 * error 107 with a short reason (a static string). Loop thread or any. */
#ifndef HEARTH_CHAT_MESSAGE_H
#define HEARTH_CHAT_MESSAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAT_NONCE_MAX 64      /* bytes of a nonce */
#define CHAT_MENTION_MAX 64    /* bytes of a mentioned user id */
#define CHAT_EMOJI_MAX 32      /* bytes of an emoji */

struct chat_limits {
    uint32_t max_text;         /* Unicode code points after stripping (chat_max_text) */
    uint32_t max_mentions;     /* distinct mentions (chat_max_mentions) */
};

/* A parsed message. json is the canonical form (owned, NUL-terminated):
 * {"type":"message","text":..,"reply_to"?:..,"mentions":[..],"ts":..}. */
struct chat_message {
    char *json;
    size_t len;
    uint64_t reply_to;         /* 0 = none */
    bool has_nonce;
    char nonce[CHAT_NONCE_MAX + 1];
    size_t nonce_len;
    const char *why;           /* refusal reason (static), NULL on success */
};

/* Parses the publish data p (n bytes: one JSON value) as a chat message:
 * exactly {"text": S, "reply_to"?: positive integer, "nonce"?: S (<= 64
 * bytes)}, no other key, no duplicate key. The text is cleaned
 * (chat_text_clean) and its mentions collected (chat_mentions). ts_ms goes
 * into the canonical form. 0, -EINVAL (refused: out->why says why; the
 * caller answers 107) or -ENOMEM. chat_message_free() in every case. */
int chat_message_parse(const uint8_t *p, size_t n, const struct chat_limits *lim, int64_t ts_ms,
                       struct chat_message *out);
void chat_message_free(struct chat_message *m);

/* Strips Unicode Cc (U+0000–U+001F, U+007F, U+0080–U+009F) except \n and
 * \t from s (n bytes of UTF-8); refuses invalid UTF-8, an empty result and
 * more than max_cp code points. *out: the cleaned text (owned,
 * NUL-terminated), *outlen its bytes. 0, -EINVAL (*why set) or -ENOMEM. */
int chat_text_clean(const char *s, size_t n, uint32_t max_cp, char **out, size_t *outlen,
                    const char **why);

/* The distinct user ids mentioned in text (n bytes), in order of first
 * appearance: "@" at the start or after a byte that is not itself in
 * [A-Za-z0-9_.-], followed by a maximal run of 1..64 bytes of
 * [A-Za-z0-9_.-] (a longer run is no mention). More than max distinct:
 * -EINVAL (*why set). 0 with *arr a new JSON array of strings, or -ENOMEM. */
int chat_mentions(const char *text, size_t n, uint32_t max, json_t **arr, const char **why);

/* A reaction's emoji: 1..32 bytes of valid UTF-8, every code point outside
 * ASCII, the C1 controls (U+0080–U+009F) and Unicode White_Space (U+00A0,
 * U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), and no
 * U+FEFF. Emoji sequences (ZWJ U+200D, variation selectors U+FE0F, skin
 * tones, flags) pass; whether it is an emoji is not judged. */
bool chat_emoji_ok(const char *s, size_t n);

/* Decodes one UTF-8 code point at s[*i] (n bytes), advancing *i; -1 when
 * the bytes there are not a valid, shortest-form, non-surrogate sequence. */
int32_t chat_utf8_next(const uint8_t *s, size_t n, size_t *i);

#endif
