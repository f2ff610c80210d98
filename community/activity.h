/* community/activity.h — what members do in chat rooms, counted as it
 * happens for the ritual figures (stats.event, stats.series): a publish
 * hook on every chat namespace (registered last, so it sees only messages
 * every other hook let through; the chat hook has made each one canonical)
 * counts each chat message and each distinct chatter per room.
 *
 * The hot path touches no store: a message adds one to its room's pending
 * count in this node's memory, and a once-a-second timer adds each room's
 * count to the store counters (ACT_CHAT_KIND, key channel\x1f"m"; the day's
 * message counter of community/members_stats.h). A chatter is checked
 * against the store (ACT_CHATTER_KIND, key channel\x1fuser, NX) only the
 * first time this node sees them in that room (a bounded memo, cleared
 * hourly), and counted as channel\x1f"k" when the NX lands. A node that dies
 * loses at most its last second of counts. Namespaces are matched by a
 * predicate, so a reload that adds a chat namespace is followed. Loop thread
 * only. */
#ifndef HEARTH_ACTIVITY_H
#define HEARTH_ACTIVITY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "util/dict.h"

struct node;

#define ACT_CHAT_KIND "chat.stat"
#define ACT_CHATTER_KIND "chat.chatter"
#define ACT_TTL_MS (400LL * 24 * 3600 * 1000)
#define ACT_FLUSH_MS 1000
#define ACT_MEMO_MAX 100000          /* (room, user) pairs a node remembers */
#define ACT_ROOMS_MAX 100000         /* rooms with pending counts (past it: counted at once) */

struct activity {
    struct node *node;        /* borrowed */
    uv_timer_t timer;         /* the flush; closed by activity_stop */
    struct dict pending;      /* channel -> struct act_room (owned) */
    struct dict memo;         /* channel\x1fuser -> struct act_memo (owned) */
    int64_t memo_hour;
    int64_t day_messages;     /* for members_stats' counter of day */
    int64_t day;
    bool stopped;
};

struct activity *activity_new(struct node *node);
void activity_stop(struct activity *a);
void activity_free(struct activity *a);

#endif
