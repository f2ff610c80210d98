/* clients/outq.c — bounded outbound frame queue (see outq.h): the ring, its
 * byte/frame limits and the droppable-frame eviction on overflow. */
#include "clients/outq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void outq_init(struct outq *q) { memset(q, 0, sizeof(*q)); }

void outq_free(struct outq *q)
{
    while (q->count)
        outq_pop(q);
    free(q->ring);
    outq_init(q);
}

/* Would a frame of len bytes fit a queue of count frames and bytes bytes? */
static int fits(uint32_t count, size_t bytes, size_t len, size_t max_bytes, size_t inflight)
{
    if (!count && !inflight)
        return 1; /* an idle queue takes one oversized frame */
    return inflight + bytes + len <= max_bytes && count < OUTQ_MAX_FRAMES;
}

/* Evict queued droppable frames, oldest first, until a frame of len bytes
 * fits; the kept frames keep their order. Only called when evicting every
 * droppable frame is known to be enough. */
static void evict_for(struct outq *q, size_t len, size_t max_bytes, size_t inflight)
{
    uint32_t mask = q->cap - 1, w = 0, n = q->count;
    for (uint32_t r = 0; r < n; r++) {
        struct frame *f = q->ring[(q->head + r) & mask];
        if (frame_droppable(f) && !fits(q->count, q->bytes, len, max_bytes, inflight)) {
            q->count--;
            q->bytes -= f->len;
            q->ndrop--;
            q->drop_bytes -= f->len;
            q->dropped++;
            frame_unref(f);
            continue;
        }
        q->ring[(q->head + w) & mask] = f;
        w++;
    }
}

int outq_push(struct outq *q, struct frame *f, size_t max_bytes, size_t inflight)
{
    int res = 0;
    if (!fits(q->count, q->bytes, f->len, max_bytes, inflight)) {
        if (frame_droppable(f)) {
            q->dropped++;
            return OUTQ_DROPPED;
        }
        if (!q->ndrop || !fits(q->count - q->ndrop, q->bytes - q->drop_bytes, f->len,
                               max_bytes, inflight))
            return -ENOBUFS; /* even without its droppable frames it would not fit */
        uint64_t before = q->dropped;
        evict_for(q, f->len, max_bytes, inflight);
        q->evicted = (uint32_t)(q->dropped - before);
        res = OUTQ_EVICTED;
    }
    if (q->count == q->cap) {
        uint32_t ncap = q->cap ? q->cap * 2 : 8; /* power of two: index with & */
        struct frame **nr = malloc(sizeof(*nr) * ncap);
        if (!nr)
            return -ENOMEM;
        for (uint32_t i = 0; i < q->count; i++)
            nr[i] = outq_peek(q, i);
        free(q->ring);
        q->ring = nr;
        q->cap = ncap;
        q->head = 0;
    }
    q->ring[(q->head + q->count) & (q->cap - 1)] = frame_ref(f);
    q->count++;
    q->bytes += f->len;
    if (frame_droppable(f)) {
        q->ndrop++;
        q->drop_bytes += f->len;
    }
    return res;
}

void outq_pop(struct outq *q)
{
    struct frame *f = q->ring[q->head];
    q->bytes -= f->len;
    if (frame_droppable(f)) {
        q->ndrop--;
        q->drop_bytes -= f->len;
    }
    frame_unref(f);
    q->head = (q->head + 1) & (q->cap - 1);
    if (--q->count == 0) {
        /* drained: give a big ring back now; a small one waits for outq_trim */
        q->head = 0;
        if (q->cap > OUTQ_KEEP)
            outq_trim(q);
    }
}

void outq_trim(struct outq *q)
{
    if (q->count)
        return;
    free(q->ring);
    q->ring = NULL;
    q->cap = 0;
    q->head = 0;
}
