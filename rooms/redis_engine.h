/* rooms/redis_engine.h — private to the Redis engine (engine_redis.c,
 * redis_stream.c, redis_presence.c, redis_nodes.c, redis_subs.c,
 * redis_records.c): its state
 * and the helpers its files share. The engine owns its shards; each shard owns two connections to one
 * Redis (commands, and pub/sub) and the set of channels this node wants
 * from that Redis; the engine owns this node's presence registry (what it
 * must keep refreshing) and the registry of the other nodes. Loop thread
 * only. See docs/redis.md for the key layout and the failure handling. */
#ifndef HEARTH_REDIS_ENGINE_H
#define HEARTH_REDIS_ENGINE_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "util/clock.h"
#include "util/dict.h"
#include "rooms/engine.h"
#include "rooms/store.h"
#include "rooms/envelope.h"
#include "protocol/frame.h"
#include "rooms/redis_conn.h"
#include "rooms/redis_scripts.h"

#define REDIS_KEY_MAX 1280          /* prefix (<= 100) + kind + channel (<= 1024) */
#define REDIS_SUB_BATCH 512         /* channels per SUBSCRIBE/UNSUBSCRIBE */
#define REDIS_BEAT_MS 3000          /* heartbeat on each shard's node channel */
#define REDIS_BEATS_MISSED_MAX 3    /* acknowledged but unseen: the pub/sub link is dead */
#define REDIS_NODE_INFO_MS 3000     /* node info on the control channel */
#define REDIS_NODE_TTL_MS 9000      /* a node silent this long is dropped */
#define REDIS_PRESENCE_BURST 10000  /* presence refreshes per sweep at most */

/* One history read (maybe parked on a channel until its SUBSCRIBE is
 * confirmed). Owned by whoever holds it: a channel's waiters, or the
 * command in flight. */
struct hist_call {
    struct redis_engine *e;
    struct hist_call *next;
    store_history_cb *cb;
    void *arg;
    struct history_query q;     /* since_epoch points into epoch */
    char epoch[ENVELOPE_EPOCH_MAX + 2];
    uint32_t shard;
    size_t ch_len;
    char ch[];
};


enum rchan_state { RCHAN_NONE, RCHAN_SUB_SENT, RCHAN_SUBSCRIBED, RCHAN_UNSUB_SENT };

/* A channel this node wants (or recently wanted) from one shard. Freed by the
 * flush once nothing refers to it. */
struct rchan {
    struct dict_entry de;          /* key = name */
    enum rchan_state state;        /* Redis's view, as far as we know */
    bool wanted;                   /* a local room exists */
    bool queued;                   /* on shard->queue */
    bool lost;                     /* was subscribed on a pub/sub link that dropped */
    struct hist_call *waiters;     /* owned: history reads waiting for SUBSCRIBE */
    struct rchan *next_q;
    size_t len;
    char name[];
};

struct redis_engine;

struct rshard {
    struct redis_engine *e;        /* borrowed: the owner */
    uint32_t index;
    struct redis_addr addr;        /* owned */
    struct rconn cmd;              /* commands and scripts */
    struct rconn sub;              /* SUBSCRIBE only */
    struct dict chans;             /* of struct rchan, owned */
    struct rchan *queue;           /* (un)subscribes for the next flush */
    uint32_t sub_unconfirmed;      /* SUBSCRIBEs sent, not confirmed yet */
    int64_t sub_progress_ms;       /* last confirmation (loop time) */
    int64_t next_beat_ms;
    uint32_t beats_unseen;         /* heartbeats Redis delivered that we did not receive */
};

/* One presence entry this node added and keeps refreshing. */
struct rpres {
    struct dict_entry de;          /* key = channel '\0' client id (in mem) */
    struct rpres *prev, *next;     /* refresh list, ordered by due_ms */
    int64_t due_ms;
    uint32_t shard;
    size_t ch_len, client_len, info_len;
    uint8_t mem[];                 /* channel, '\0', client, info */
};

struct rnode {
    struct dict_entry de;          /* key = info.uid */
    struct node_info info;
    int64_t seen_ms;
};

struct redis_engine {
    struct engine base;
    struct store store;            /* the store half of this one object */
    uv_loop_t *loop;               /* borrowed */
    const struct clock *clock;     /* borrowed: the node's wall clock (redis_now_ms) */
    char uid[UUID_STR_LEN + 1];
    char prefix[REDIS_PREFIX_MAX + 1]; /* copied: a config reload must not move it */
    char sha[RSCRIPT_COUNT][41];
    struct rshard *shards;         /* owned array */
    uint32_t nshards;
    uv_prepare_t flush;            /* batches (un)subscribes once per loop turn */
    bool flush_active, closing;
    struct wbuf scratch;           /* owned: envelope encoding */
    char client_prefix[REDIS_KEY_MAX]; /* "P.client." */
    size_t client_prefix_len;
    char control_chan[REDIS_KEY_MAX];
    char node_chan[REDIS_KEY_MAX];
    /* presence registry (redis_presence.c) */
    struct dict pres;              /* of struct rpres, owned */
    struct rpres *pres_head, *pres_tail;
    int64_t pres_interval_ms;
    /* node registry (redis_nodes.c) */
    struct dict nodes;             /* of struct rnode, owned */
    struct node_info *node_list;   /* owned: what nodes() returns */
    size_t node_list_cap;
    int64_t next_node_info_ms;
};

static inline struct rshard *shard_for(struct redis_engine *e, struct span ch);
static inline struct redis_engine *redis_of_store(struct store *s)
{
    return (struct redis_engine *)((char *)s - offsetof(struct redis_engine, store));
}
/* "P.<kind>.<channel>" into buf (REDIS_KEY_MAX). Returns its length, 0 if too long. */
size_t redis_key(const struct redis_engine *e, char *buf, const char *kind, struct span ch);
/* The result of a fire-and-forget command: logs errors, reloads scripts on NOSCRIPT. */
void redis_reply_check(struct rshard *sh, redisReply *r, const char *what);
/* True for a reply that is an error (NULL counts as one). */
static inline bool redis_reply_failed(const redisReply *r)
{
    return !r || r->type == REDIS_REPLY_ERROR;
}
/* EVALSHA script with keys and args on sh's command connection. 0 or -1
 * (cb not called). */
int redis_eval(struct rshard *sh, enum rscript s, int nkeys, const char **keys,
               const size_t *keylens, int nargs, const char **args, const size_t *arglens,
               rconn_reply_cb *cb, void *arg);
/* A command whose reply only matters if it is an error (logged). 0 or -1. */
int redis_fire(struct rshard *sh, int argc, const char **argv, const size_t *lens);
int64_t redis_now_ms(const struct redis_engine *e);

/* redis_stream.c: publish, join/leave, history */
int redis_publish(struct engine *e, struct publication *pub, const struct publish_opts *o,
                  engine_publish_cb *cb, void *arg);
int redis_publish_join(struct engine *e, struct span channel, const struct clientinfo *info,
                       bool leave);
int redis_history(struct store *s, struct span channel, const struct ns_config *ns,
                  const struct history_query *q, store_history_cb *cb, void *arg);
int redis_history_remove(struct store *s, struct span channel);
/* Sends a history read now. 0, or -1 (hc untouched). */
int redis_hist_send(struct hist_call *hc);
/* Answers hc with err and frees it. */
void redis_hist_fail(struct hist_call *hc, int err);
/* redis_subs.c: the channels this node wants */
/* The channel entry, or NULL. */
struct rchan *redis_chan_find(struct rshard *sh, struct span ch);
/* Queues c's (un)subscribe for this loop turn's flush. */
void redis_chan_queue(struct rshard *sh, struct rchan *c);
int redis_subscribe(struct engine *e, struct span channel);
int redis_unsubscribe(struct engine *e, struct span channel);

/* redis_presence.c */
int redis_presence_add(struct store *s, struct span channel, const struct clientinfo *info);
int redis_presence_remove(struct store *s, struct span channel, struct span client_id);
int redis_presence_get(struct store *s, struct span channel, store_presence_cb *cb, void *arg);
int redis_presence_stats(struct store *s, struct span channel, store_stats_cb *cb, void *arg);
void redis_presence_sweep(struct redis_engine *e, int64_t now);
void redis_presence_shard_up(struct redis_engine *e, uint32_t shard, int64_t now);
void redis_presence_free(struct redis_engine *e);

/* redis_records.c: the store's records (store.h), one script per op */
int redis_record_put(struct store *s, struct span kind, const struct record *r, unsigned flags,
                     store_records_cb *cb, void *arg);
int redis_record_get(struct store *s, struct span kind, struct span key, store_records_cb *cb,
                     void *arg);
int redis_record_del(struct store *s, struct span kind, struct span key, store_records_cb *cb,
                     void *arg);
int redis_record_scan(struct store *s, struct span kind, const struct record_scan *q,
                      store_records_cb *cb, void *arg);
int redis_record_incr(struct store *s, struct span kind, struct span key, int64_t delta,
                      int64_t expire_ms, store_records_cb *cb, void *arg);
void redis_records_sweep(struct redis_engine *e, int64_t now);

/* redis_nodes.c */
int redis_control(struct engine *e, const struct control_msg *m);
size_t redis_nodes(struct engine *e, const struct node_info **out);
void redis_nodes_on_message(struct redis_engine *e, const uint8_t *p, size_t n);
void redis_nodes_sweep(struct redis_engine *e, int64_t now);
void redis_nodes_announce(struct redis_engine *e);
void redis_nodes_bye(struct redis_engine *e);
void redis_nodes_free(struct redis_engine *e);

#include "rooms/shard.h"

static inline struct rshard *shard_for(struct redis_engine *e, struct span ch)
{
    return &e->shards[shard_of(ch.p, ch.n, e->nshards)];
}

#endif
