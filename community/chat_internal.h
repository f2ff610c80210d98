/* community/chat_internal.h — what the chat module's files share (not for
 * other modules): struct chat, the record kinds and key shapes, and the
 * helpers of chat.c (method params, finding a message in history,
 * publishing an event).
 *
 * Record kinds (rooms/store.h records; every node sees the same):
 *   chat.msg     key S<off>            a message's state: {"text","mentions","edited_ts"}
 *                                      after an edit, {"deleted":true} after a delete
 *   chat.nonce   key C\x1fU\x1fnonce     "offset epoch" of the first publication ("" while
 *                                      it is being published); expires after 5 min
 *   chat.react   key S<off>\x1fE\x1fU      one user's reaction (membership, put NX)
 *   chat.rcount  key S<off>\x1fE         count of emoji E on the message (record_incr)
 *   chat.remoji  key S<off>              distinct emoji on the message (record_incr)
 *   chat.pin     key S<off>              a pinned message
 *   chat.typing  key C\x1fU              a user typing; expires after 10 s
 * where C is the channel, S = C\x1f<epoch>\x1f (the stream: a new epoch after
 * history_remove starts over, so old state never applies to new offsets),
 * <off> the offset as 20 zero-padded digits (byte order = offset order, so
 * one prefix scan with "after" returns a range of messages), U the user id
 * (anonymous: "~" + client id), E the emoji. State records expire
 * chat_state_expire() after their last write. */
#ifndef HEARTH_CHAT_INTERNAL_H
#define HEARTH_CHAT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "community/chat.h"
#include "community/chat_message.h"
#include "node/node.h"
#include "util/dict.h"

#define CHAT_KIND_MSG "chat.msg"
#define CHAT_KIND_NONCE "chat.nonce"
#define CHAT_KIND_REACT "chat.react"
#define CHAT_KIND_RCOUNT "chat.rcount"
#define CHAT_KIND_REMOJI "chat.remoji"
#define CHAT_KIND_PIN "chat.pin"
#define CHAT_KIND_TYPING "chat.typing"

#define CHAT_NONCE_TTL_MS (5 * 60 * 1000)
#define CHAT_REACT_COALESCE_MS 250
#define CHAT_TYPING_TICK_MS 1000
#define CHAT_TYPING_TTL_MS 10000
#define CHAT_DIRTY_MAX 4096      /* messages (rooms) with a coalesced update pending */
#define CHAT_OFF_DIGITS 20
#define CHAT_STREAM_KEY_MAX 320   /* bytes of S (+ room for offset, emoji, user in 512) */
#define CHAT_EPOCH_MAX 64         /* bytes of an epoch (rooms/envelope.h) */

struct chat {
    struct node *node;                 /* borrowed: the owner */
    char *scratch;                     /* owned: the bytes of the last synchronous
                                        * TRANSFORM (the gate copies them after the hook) */
    struct clientinfo scratch_info;    /* its publisher info (spans into scratch_user) */
    char scratch_user[160];
    uv_timer_t react_timer;            /* coalesced reaction counts (chat_reactions.c) */
    struct dict react_dirty;           /* struct chat_dirty by message key; owned entries */
    uv_timer_t typing_timer;           /* typing lists (chat_typing.c) */
    struct dict typing_rooms;          /* struct chat_typing_room by channel; owned entries */
    bool timers;                       /* the timers are initialised (a loop exists) */
    bool stopped;                      /* chat_stop() ran: no new timers */
};

static inline struct span chat_kind(const char *kind) { return span_str(kind); }

/* "C\x1f<epoch>\x1f" into buf: its length, or -1 when it does not fit. */
int chat_key_stream(char *buf, size_t cap, struct span channel, const char *epoch);
/* "C\x1f<epoch>\x1f<off>": its length, or -1. */
int chat_key_msg(char *buf, size_t cap, struct span channel, const char *epoch, uint64_t off);
/* The offset in a key that ends with (or continues after) S<off> at pos;
 * 0 when the digits are not there. */
uint64_t chat_key_offset(const uint8_t *key, size_t n, size_t pos);
/* The user part of keys for a publisher: the user id, or "~" + client id
 * for an anonymous one. */
void chat_user_key(char *buf, size_t cap, struct span user, struct span client);
/* When state written now expires (unix ms): the longer of the namespace's
 * history_ttl and the config's history_meta_ttl, so it outlives the message
 * in history on either engine. */
int64_t chat_state_expire(const struct chat *c, const struct ns_config *ns);
/* Records are available (the Redis store's record ops may be missing). */
bool chat_has_records(const struct chat *c);

/* ---- methods ---- */

/* The channel (and offset) a chat method names. */
struct chat_target {
    const struct ns_config *ns;   /* borrowed: valid while the handler runs synchronously */
    const char *channel;          /* borrowed from params */
    uint64_t offset;
};

/* Reads params.channel (a chat namespace's channel: else 107, unknown 102,
 * not chat 108) and, when want_offset, params.offset (a positive integer,
 * else 107). 0, or -1 after answering done. */
int chat_params_target(struct chat *c, json_t *params, bool want_offset, struct chat_target *t,
                       method_done *done, void *arg);
/* True when params has no key outside keys (NULL-terminated). */
bool chat_params_only(json_t *params, const char *const *keys);
/* Who acts: the rpc caller's user id; on the API params.user (a string of
 * 1..128 bytes) or "api". NULL when params.user is there but not such a
 * string (107). */
const char *chat_actor(const struct method_call *call, json_t *params);
/* rpc: may the caller publish into t (the namespace's publish rule)? The API
 * always may. */
bool chat_may_publish(const struct method_call *call, const struct ns_config *ns);
/* rpc: is the caller a host, moderator or admin? The API is. */
bool chat_is_moderator(const struct method_call *call);

/* ---- finding a message in history (store history, not the view) ---- */

struct chat_found {
    int err;                      /* a store error (answer 100) */
    struct publication *pub;      /* the publication at that offset, NULL = none in history */
    const char *epoch;            /* the stream's epoch */
    bool is_message;              /* pub is a chat message (type "message") */
    int64_t ts;                   /* its ts */
    bool deleted;                 /* want_state: its chat.msg record says deleted */
    json_t *state;                /* want_state: its chat.msg record, or NULL */
};
typedef void chat_found_cb(void *arg, const struct chat_found *f);
/* Everything in *f is borrowed for the callback. 0, or nonzero and cb never
 * runs. */
int chat_find(struct chat *c, struct span channel, const struct ns_config *ns, uint64_t offset,
              bool want_state, chat_found_cb *cb, void *arg);

/* ---- publishing an event ---- */

/* Publishes data (stolen) into channel as actor through the gate (trusted:
 * the hooks are skipped): stored when stored, else without history and
 * droppable. cb (may be NULL) gets the outcome. 0 or -1 (OOM: cb does not
 * run). */
int chat_publish_event(struct chat *c, const char *channel, const char *actor, json_t *data,
                       bool stored, gate_done_cb *cb, void *arg);

/* ---- the parts ---- */

gate_pub_hook chat_on_publish;       /* chat_post.c */
gate_view_hook chat_view;            /* chat_view.c */
method_fn chat_m_edit, chat_m_delete;             /* chat_edit.c */
method_fn chat_m_react;                           /* chat_reactions.c */
method_fn chat_m_pin, chat_m_unpin, chat_m_pins;  /* chat_pins.c */
method_fn chat_m_typing;                          /* chat_typing.c */
void chat_reactions_stop(struct chat *c);
void chat_reactions_free(struct chat *c);
void chat_typing_stop(struct chat *c);
void chat_typing_free(struct chat *c);

#endif
