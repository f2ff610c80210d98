/* rooms/hub.h — this node's channel registry and fan-out: which local
 * subscriptions each channel has, and delivery of every publication and
 * join/leave event the engine hands us to those subscriptions.
 *
 * Owns struct hub_room (created with the first subscription, freed with the
 * last). Subscriptions (struct sub) are owned by their client, which links
 * and unlinks them here; the hub only borrows them. Fan-out walks a room's
 * array from the end so the sub being visited may unlink itself (and only
 * itself) from inside a delivery callback. Join/leave
 * pushes are encoded once per wire format per event and shared. Loop thread
 * only. */
#ifndef HEARTH_HUB_H
#define HEARTH_HUB_H

#include <stdbool.h>
#include <stdint.h>

#include "util/dict.h"
#include "rooms/engine.h"
#include "util/rand.h"

struct client;
struct hub_room;

struct sub {                    /* ordered by size, bools as bits: one per subscription */
    struct client *client;      /* borrowed: the owner */
    struct hub_room *room;      /* borrowed; NULL while unlinked */
    int64_t expires_ms;         /* subscription token expiry, 0 = never */
    char *chan_info;            /* owned raw JSON from the subscription token, or NULL */
    uint64_t offset;            /* last offset delivered (positioned) */
    struct publication **buf;   /* owned refs: live pubs held while pending */
    const struct ns_config *ns; /* borrowed from config */
    uint32_t index;             /* position in room->subs */
    uint32_t chan_info_len;     /* bounded by max_message_size */
    uint32_t channel_len;       /* bounded by channel_max_length */
    uint16_t nbuf, capbuf;      /* buf; at most HUB_PENDING_MAX */
    enum wire wire : 8;         /* the client's format (cached for fan-out) */
    bool push_join_leave : 1;
    bool positioned : 1;        /* check offsets of live publications */
    bool recoverable : 1;
    bool pending : 1;           /* subscribe reply not written yet: buffer */
    bool inflight : 1;          /* an engine call holds this sub: its callback frees it
                                   if the sub was removed meanwhile */
    bool server_side : 1;       /* made by the server (token "channels", API subscribe):
                                   gaps disconnect with 3010 instead of unsubscribing */
    char epoch[EPOCH_LEN + 1];
    char channel[];             /* owned copy */
};

struct hub_ops {
    /* Deliver pub (borrowed) to sub, which is active (not pending). */
    void (*deliver_pub)(struct sub *s, struct publication *pub);
    /* Queue a shared frame (borrowed; take a ref to keep) for sub's client. */
    void (*deliver_frame)(struct sub *s, struct frame *f);
    /* sub (active, positioned) may have missed publications: make it
     * recover. It may unlink itself. */
    void (*deliver_gap)(struct sub *s);
};

struct hub {
    struct dict rooms;          /* of struct hub_room, owned */
    struct engine *engine;      /* borrowed */
    const struct hub_ops *ops;
    uint64_t nsubs;             /* total live subscriptions, for metrics */
};

struct hub_room {
    struct dict_entry de;
    struct sub **subs;          /* owned array of borrowed subs */
    uint32_t nsubs, cap;
    uint32_t busy;              /* fan-outs in progress: defer freeing */
    uint32_t name_len;          /* <= channel_max_length */
    char name[];
};

#define HUB_PENDING_MAX 1024    /* live pubs a pending sub may buffer */

void hub_init(struct hub *h, const struct hub_ops *ops);
void hub_free(struct hub *h);   /* all subs must be unlinked first */
/* Links s into its channel's room (creating it and telling the engine on the
 * first subscription). 0 or -ENOMEM. */
int hub_link(struct hub *h, struct sub *s);
void hub_unlink(struct hub *h, struct sub *s);
struct hub_room *hub_find(struct hub *h, struct span channel);
uint32_t hub_room_count(const struct hub *h);

/* Engine event sinks (struct engine_events with arg = hub). */
void hub_on_publication(void *hub, struct publication *pub);
void hub_on_join(void *hub, struct span channel, const struct clientinfo *info, bool leave);
/* The engine may have lost live publications of channel: every active
 * positioned subscription there gets ops->deliver_gap. */
void hub_on_gap(void *hub, struct span channel);

/* Ends a pending window: returns the buffered publications (owned refs, the
 * caller unrefs each and frees the array) and marks s active. */
struct publication **sub_take_buffer(struct sub *s, uint32_t *n);

#endif
