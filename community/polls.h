/* community/polls.h — live polls and NPS pulses in a ritual's chat
 * (docs/rituals.md, "Polls"): poll.create / poll.vote / poll.close /
 * poll.results on the method table (rpc and /api), and the coalesced live
 * results publication.
 *
 * State is store records, so any node serves any poll and the durable store
 * keeps them: POLL_KIND (the poll: question, options, kind, audience,
 * closed), POLL_VOTE_KIND (key poll\x1fuser: the user's current vote), and
 * POLL_COUNT_KIND counters (key poll\x1f"o<i>" per option or NPS score,
 * poll\x1f"v" for voters) moved with record_incr as votes arrive and change,
 * so results are never computed by scanning votes. A user changing a vote
 * on two nodes at the same instant can be counted for both (each counter op
 * is atomic, the pair is not); documented, not prevented.
 *
 * Live results: a vote marks its poll dirty on this node; a 500 ms timer
 * publishes {"type":"poll_results",...} for each dirty poll into its channel
 * (so at most two updates a second per poll per node). Loop thread only. */
#ifndef HEARTH_POLLS_H
#define HEARTH_POLLS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct node;

#define POLL_KIND "poll"
#define POLL_VOTE_KIND "poll.vote"
#define POLL_COUNT_KIND "poll.count"
#define POLL_MAX_OPTIONS 20
#define POLL_RESULTS_MS 500
#define POLL_DIRTY_MAX 256          /* polls with pending live results per node */
#define POLL_ID_LEN 16

struct polls {
    struct node *node;                              /* borrowed */
    uv_timer_t timer;                               /* live results; closed by polls_stop */
    char dirty[POLL_DIRTY_MAX][POLL_ID_LEN + 1];    /* polls to publish at the next tick */
    uint32_t ndirty;
    bool stopped;
};

struct polls *polls_new(struct node *node);
void polls_stop(struct polls *p);
void polls_free(struct polls *p);

#endif
