/* community/event_policy.h — the room policy an event's state applies to
 * its occurrence chats (docs/rituals.md, "Lifecycle"): in green_room only
 * the event's hosts may subscribe to (or write in) the occurrence chat; an
 * ended occurrence's chat is read-only; live has a slow mode; each state's
 * policy may be overridden by the event's "policies". Defaults:
 *   scheduled: open · green_room: hosts only · live: slow_mode 3 s ·
 *   after_party: open · ended: read_only.
 *
 * Hooks must answer synchronously, so each node keeps a cache of every
 * event's current occurrence, its state, its policy and its hosts, rebuilt
 * from the event records by the reminder scan once a second (so another
 * node's transition applies here within about a second) and updated at
 * once when this node writes an event. The slow mode is enforced by
 * moderation (community/moderation.h), which asks event_policy_slow(); a
 * moderator's per-room override wins. An occurrence before the current one
 * is ended (or cancelled); one after it is scheduled. Publications from the
 * API (bots, the server's own) are not held to the policy. Loop thread
 * only. */
#ifndef HEARTH_EVENT_POLICY_H
#define HEARTH_EVENT_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "community/event_doc.h"
#include "protocol/publication.h"
#include "util/dict.h"

struct node;

struct room_policy {
    uint32_t slow_mode;     /* seconds; 0 = off */
    bool read_only;
    bool hosts_only;        /* green room */
};

struct event_policy {
    struct node *node;      /* borrowed */
    struct dict events;     /* id -> struct pol_entry (event_policy.c), owned */
    uint64_t generation;    /* of the scan that is filling the cache */
};

/* Registers the subscribe and publish hooks on every chat namespace (by
 * predicate, so a reload that adds one is followed). NULL on OOM. */
struct event_policy *event_policy_new(struct node *node);
void event_policy_free(struct event_policy *p);

/* The scan of all events begins / saw doc / ended (entries not seen by a
 * complete scan are dropped). */
void event_policy_scan_begin(struct event_policy *p);
void event_policy_saw(struct event_policy *p, json_t *doc);
void event_policy_scan_end(struct event_policy *p);

/* The policy of state st for the event doc (defaults, then its overrides). */
struct room_policy event_policy_of(json_t *doc, enum event_state st);

/* The policy in force in channel for a user (NULL: no event room, or no
 * policy): 0 with *out filled and *is_host set, or -1 when channel is not a
 * cached event's occurrence chat. */
int event_policy_lookup(struct event_policy *p, const char *channel, size_t n, const char *user,
                        size_t ulen, struct room_policy *out, bool *is_host);

/* The room's slow mode by its event's state (moderation_slow_source shape:
 * true with *seconds for an event's occurrence chat). ctx: the policy. */
bool event_policy_slow(void *ctx, struct span channel, uint32_t *seconds);

#endif
