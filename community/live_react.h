/* community/live_react.h — live reactions in a ritual's chat
 * (docs/rituals.md, "Live reactions"): rpc/API live.react {channel, emoji}
 * at any rate. This node counts at most LIVE_REACT_PER_USER_S taps per user
 * per second (the rest answer {"accepted": false}), sums them per room, and
 * every LIVE_REACT_WINDOW_MS publishes one
 * {"type":"reaction_totals","window_ms":250,"counts":{..}} per room that had
 * any — a thousand taps cost one fan-out (per node: each node publishes its
 * own window's taps). The publication is live only (no history, no offset).
 * Each second's totals are added to the room's energy timeline: counters of
 * kind ENERGY_KIND, key channel\x1f<unix second, 13 digits>, read back by
 * stats.event.
 *
 * An emoji is what chat reactions accept (chat_emoji_ok, community/chat_message.h).
 *
 * Memory: per room with taps in the current second, up to
 * LIVE_REACT_MAX_EMOJI distinct emoji; per user who tapped this second, one
 * counter; both freed every second. Loop thread only. */
#ifndef HEARTH_LIVE_REACT_H
#define HEARTH_LIVE_REACT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "util/dict.h"

struct node;
struct moderation;

#define ENERGY_KIND "energy"
#define LIVE_REACT_WINDOW_MS 250
#define LIVE_REACT_PER_USER_S 5
#define LIVE_REACT_MAX_EMOJI 32     /* distinct emoji per room per window (106 past it) */
#define LIVE_REACT_EMOJI_MAX 32     /* bytes of one emoji */
#define LIVE_REACT_ENERGY_TTL_MS (400LL * 24 * 3600 * 1000)

struct live_react {
    struct node *node;       /* borrowed */
    uv_timer_t timer;        /* the window; closed by live_react_stop */
    struct dict rooms;       /* channel -> struct lr_room (live_react.c), owned */
    struct dict tappers;     /* channel\x1fuser -> struct lr_user, owned; cleared each second */
    int64_t second;          /* the unix second the current counts belong to */
    const struct moderation *mod; /* borrowed, or NULL: muted members' taps are 103 */
    bool stopped;
};

struct live_react *live_react_new(struct node *node, const struct moderation *mod);
void live_react_stop(struct live_react *lr);
void live_react_free(struct live_react *lr);

#endif
