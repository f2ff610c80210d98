/* community/mod_internal.h — what the moderation files share: the module
 * object, the sanction cache (mod_cache.c), the method helpers
 * (moderation.c) and each concern's entry points. Not for other modules
 * (they use moderation.h).
 *
 * Record kinds (rooms/store.h records; docs/chat.md, "State"):
 *   mod.mute, mod.ban  key "<channel>\x1f<user>" ("" channel = every room /
 *                      the community), JSON value, expiry = the sanction's end
 *   mod.kick           same key, expires 60 s after the kick
 *   mod.slow           key "<channel>", value {"seconds":N}, no expiry
 *   mod.last           key "<channel>\x1f<user>", put NX with expiry = the
 *                      slow-mode period (a refused put = too soon)
 *   mod.queue          key = the item id (16 hex digits of unix ms, 4 of a node
 *                      sequence, 4 random: oldest first)
 *   mod.report         key "<channel>\x1f<offset>\x1f<user>": one report per
 *                      member per message per day
 *   mod.heldn, mod.repn  key "<user>": the member quotas (mod_quota)
 * Ownership: struct moderation owns its caches, its timer and every
 * operation context until the operation's callback frees it. */
#ifndef HEARTH_MOD_INTERNAL_H
#define HEARTH_MOD_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "community/moderation.h"
#include "node/methods.h"
#include "node/node.h"
#include "rooms/store.h"
#include "util/dict.h"

#define MOD_RESYNC_MS 3000          /* the cache is rebuilt from the store this often */
#define MOD_RETRY_MS 100            /* ... and this soon while it has never loaded */
#define MOD_KICK_BLOCK_MS 60000     /* a kicked user may not resubscribe for this long */
#define MOD_REASON_MAX 500          /* bytes of a reason; more is 107 */
#define MOD_USER_MAX 255            /* bytes of a user id in a method's params */
#define MOD_DURATION_MAX (10LL * 365 * 86400) /* seconds of a mute or ban */
#define MOD_SLOW_MAX 86400          /* seconds of a slow-mode period */
#define MOD_QUEUE_RETENTION_MS (30LL * 86400 * 1000) /* a queue item's life */
#define MOD_STAFF (ROLE_HOST | ROLE_MODERATOR | ROLE_BOT | ROLE_ADMIN)
#define MOD_QUOTA_WINDOW_MS (3600LL * 1000) /* a member's quota counter lives this long after its last use */
#define MOD_HELD_QUOTA 20           /* held messages per member in that window; more is 111 */
#define MOD_REPORT_QUOTA 30         /* reports per member in that window; more is 111 */

/* Sanction kinds in the cache (one byte prefixes the cache key). */
enum mod_kind { MODK_MUTE = 'm', MODK_BAN = 'b', MODK_KICK = 'k', MODK_SLOW = 's' };

/* ---- the sanction cache (mod_cache.c) ---- */

struct mod_entry {
    struct dict_entry de;    /* key = kind byte + record key (points into k) */
    int64_t expire_ms;       /* 0 = never */
    int64_t value;           /* MODK_SLOW: seconds */
    char k[];
};

struct mod_cache {
    struct dict map;         /* of owned struct mod_entry */
};

void mod_cache_init(struct mod_cache *c);
void mod_cache_free(struct mod_cache *c);
/* Sets (replaces) an entry. 0 or -1 (OOM). */
int mod_cache_set(struct mod_cache *c, char kind, struct span key, int64_t expire_ms,
                  int64_t value);
void mod_cache_del(struct mod_cache *c, char kind, struct span key);
/* The live entry (not expired at now_ms) or NULL. */
const struct mod_entry *mod_cache_get(const struct mod_cache *c, char kind, struct span key,
                                      int64_t now_ms);

/* ---- the module object ---- */

struct moderation {
    struct node *node;          /* borrowed: the owner */
    struct mod_cache live;      /* what the checks read */
    struct mod_cache *next;     /* owned while a resync rebuilds it, else NULL */
    uint32_t resync_left;       /* kinds of the running resync not yet scanned */
    bool resync_failed;
    bool loaded;                /* a resync has succeeded: the cache reflects the store */
    bool stopped;               /* moderation_stop ran: drop late store answers */
    bool timer_on;
    uv_timer_t timer;           /* the resync timer */
    char msg[64];               /* a publish check's denial message, until the gate copies it */
    uint16_t seq;               /* queue.c: item ids made on this node */
    moderation_slow_source *slow_src; /* moderation_set_slow_source(), or NULL */
    void *slow_ctx;             /* borrowed */
};

/* A record key "<channel>\x1f<user>" into buf (cap bytes). Its length, or 0
 * when it does not fit a record key. */
size_t mod_key(char *buf, size_t cap, const char *channel, size_t chlen, const char *user,
               size_t ulen);
/* Tell every node (this one included) a sanction changed: set (expire_ms,
 * value) or removed. 0, or an error when other nodes could not be told
 * (the periodic resync heals them). */
int mod_sanction_send(struct moderation *m, char kind, struct span key, bool set,
                      int64_t expire_ms, int64_t value);
int mod_cache_start(struct moderation *m);   /* the verb + timer + first resync */
/* Rebuilds the cache from the store now (the timer's job; a no-op while one
 * runs). */
void mod_cache_resync(struct moderation *m);
void mod_cache_stop(struct moderation *m);

/* Is user (ulen bytes) under a sanction of kind in channel (or, with
 * any_room, in every room / the community)? */
bool mod_sanctioned(const struct moderation *m, char kind, struct span channel, struct span user,
                    bool any_room);

/* ---- method helpers (moderation.c) ---- */

enum mod_param_type { MP_STR, MP_INT, MP_CHANNEL };

struct mod_param {
    const char *name;
    enum mod_param_type type;
    bool required;
    int64_t min, max;          /* MP_INT range; MP_STR/MP_CHANNEL: byte length range */
};

/* Checks params against spec (n entries; any other key is refused). On
 * success out[i] holds each field (NULL = absent). MP_CHANNEL must be a chat
 * channel. 0, or a protocol error code with *msg set. */
uint32_t mod_params(const struct moderation *m, json_t *params, const struct mod_param *spec,
                    size_t n, json_t **out, const char **msg);
/* The actor a method call records: the caller's user id, "api" for the API. */
const char *mod_actor(const struct method_call *call);
/* Registers one method with the staff roles (or rpc_roles when nonzero). */
int mod_method(struct moderation *m, const char *name, method_fn *fn, uint32_t rpc_roles,
               uint32_t rate_cost);

/* A method call that outlives its handler: done/arg plus copies. */
struct mod_op {
    struct moderation *m;
    method_done *done;
    void *arg;
    char *actor;               /* owned */
    bool api;                  /* called over the HTTP API */
    char *channel;             /* owned; NULL = none */
    char *user;                /* owned; NULL = none */
    char *reason;              /* owned; NULL = none */
    char *id;                  /* owned; NULL = none */
    const char *action;        /* static: the method name */
    int64_t duration;          /* seconds; -1 = none */
    int64_t expire_ms;
    json_t *extra;             /* owned, concern-specific */
    void (*then)(struct mod_op *op, json_t *rec); /* queue.c: what follows a take */
    uint32_t pages;            /* audit.c: scan pages read */
};
struct mod_op *mod_op_new(struct moderation *m, const struct method_call *call, method_done *done,
                          void *arg, const char *action);
void mod_op_free(struct mod_op *op);
/* Records op's audit entry (target: a message offset, 0 = none) and then
 * answers op like mod_op_finish(op, 0, NULL, result): once the entry is
 * stored (committed on the durable store), so an acknowledged action's
 * audit entry outlives a crash. If the entry cannot be written the action
 * still succeeded: it is answered anyway (the failure is logged). */
void mod_op_audit_finish(struct mod_op *op, uint64_t target, json_t *result);
/* Answers op and frees it: code 0 = ok with result (stolen; NULL = {}). */
void mod_op_finish(struct mod_op *op, uint32_t code, const char *msg, json_t *result);

/* A member's quota (bounded queue growth): counts one more use of kind by
 * user (a record_incr, key = user, expiry pushed MOD_QUOTA_WINDOW_MS ahead
 * on every use) and calls done(arg, err, within) with within = the count is
 * at most limit. done runs exactly once (maybe before return). */
typedef void mod_quota_done(void *arg, int err, bool within);
void mod_quota(struct moderation *m, const char *kind, struct span user, int64_t limit,
               mod_quota_done *done, void *arg);

/* ---- the concerns ---- */

int mod_sanctions_register(struct moderation *m);      /* mod_sanctions.c */
int mod_slowmode_register(struct moderation *m);       /* mod_slowmode.c */
int mod_queue_register(struct moderation *m);          /* queue.c */
int mod_audit_register(struct moderation *m);          /* audit.c */

/* Slow mode for a member's publish (mod_slowmode.c): the effective period of
 * channel in ns, 0 = none. */
uint32_t mod_slow_seconds(const struct moderation *m, const struct ns_config *ns,
                          struct span channel);

/* The filters (filters.c). text: UTF-8 bytes. */
bool filter_match(const struct chat_filter *f, const char *text, size_t len);
/* The "text" string of a JSON object's bytes (the last one, as jansson
 * reads duplicates), or NULL: not an object, no text, not a string. Owned
 * by the caller. */
char *filter_text_of(const uint8_t *p, size_t n);

/* The queue (queue.c): hold a publication; done runs once with 0 (held) or
 * a protocol error. */
typedef void mod_hold_done(void *arg, uint32_t code);
void mod_queue_hold(struct moderation *m, struct publication *pub, const char *text,
                    mod_hold_done *done, void *arg);
#define MOD_ID_LEN 24
/* A new item id (time first: the queue is oldest first) and its time. */
void mod_queue_new_id(struct moderation *m, char id[MOD_ID_LEN + 1], int64_t *ts);
/* Puts item rec (a JSON object with "id" and "ts") into the queue; cb as
 * store.h (may be NULL). 0, or an error (cb does not run). */
int mod_queue_put(struct moderation *m, json_t *rec, store_records_cb *cb, void *arg);
/* Publishes a new item (public fields) on mod:<namespace of its channel>. */
void mod_queue_live_item(struct moderation *m, json_t *rec);
int mod_reports_register(struct moderation *m);         /* reports.c */

#endif
