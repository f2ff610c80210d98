/* clients/outq.h — a client's bounded outbound queue: a ring of frame
 * references plus their byte total. Each slot owns one reference. The ring
 * grows on demand. When it drains, a large ring (> OUTQ_KEEP slots) is
 * released at once; a small one is kept so a busy connection does not
 * allocate per write, and outq_trim() (called for idle clients from the
 * periodic tick) releases it, so an idle connection holds no queue memory.
 * Limits (bytes, OUTQ_MAX_FRAMES) are enforced on push, counting bytes the
 * caller says are still in flight outside the queue (what libwebsockets holds
 * of the last write); the caller decides what an overflow means (3008 slow).
 *
 * Droppable frames (FRAME_DROPPABLE, protocol/frame.h) give way before an
 * overflow: an incoming droppable frame that does not fit is dropped; an
 * incoming normal frame that does not fit first evicts queued droppable
 * frames, oldest first, the rest keeping their order, and is queued if it then
 * fits. Every queued frame is whole (the writer pops what it wrote; bytes
 * libwebsockets still holds are `inflight`), so any queued frame may go.
 * A queue that never sees a droppable frame pays one counter update per
 * push/pop; the eviction scan runs only on the overflow path. */
#ifndef HEARTH_OUTQ_H
#define HEARTH_OUTQ_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/frame.h"

#define OUTQ_MAX_FRAMES 16384u
#define OUTQ_KEEP 64u            /* slots a drained ring may keep until outq_trim() */

struct outq {              /* fields ordered without padding holes: one per connection */
    struct frame **ring;  /* owned; NULL when empty and idle */
    uint64_t dropped;     /* droppable frames dropped or evicted since outq_init/outq_free */
    /* bytes queued: bounded by the caller's max_bytes (client_queue_max_size,
     * at most 1 GB) plus one frame (at most max_message_size) */
    uint32_t bytes;
    uint32_t drop_bytes;  /* bytes of the queued droppable frames (included in bytes) */
    uint32_t cap, head, count;
    uint32_t ndrop;       /* queued droppable frames */
    uint32_t evicted;     /* frames the last push that returned OUTQ_EVICTED evicted */
};

void outq_init(struct outq *q);
void outq_free(struct outq *q);           /* drops every reference */
/* Takes a new reference to f. 0; OUTQ_DROPPED or OUTQ_EVICTED (below); -ENOBUFS when inflight + the queue would
 * exceed max_bytes or OUTQ_MAX_FRAMES; -ENOMEM. A single frame larger than
 * max_bytes is accepted only when nothing is queued or in flight (replies are
 * built bounded by max_bytes, so such a frame is a push bounded by
 * max_publication_size). */
int outq_push(struct outq *q, struct frame *f, size_t max_bytes, size_t inflight);
/* outq_push's results on the overflow path (0 stays the only fast-path
 * result): OUTQ_DROPPED: f is droppable and did not fit, so it was not
 * queued (no reference taken); OUTQ_EVICTED: f was queued after evicting
 * q->evicted droppable frames. Both count in q->dropped. */
#define OUTQ_DROPPED 1
#define OUTQ_EVICTED 2
static inline struct frame *outq_peek(const struct outq *q, uint32_t i)
{
    return q->ring[(q->head + i) & (q->cap - 1)];
}
void outq_pop(struct outq *q);            /* drops the head's reference */
void outq_trim(struct outq *q);           /* releases the ring if the queue is empty */

#endif
