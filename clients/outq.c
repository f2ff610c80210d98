/* clients/outq.c — bounded outbound frame queue (see outq.h). */
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

int outq_push(struct outq *q, struct frame *f, size_t max_bytes, size_t inflight)
{
    if ((q->count || inflight) &&
        (inflight + q->bytes + f->len > max_bytes || q->count >= OUTQ_MAX_FRAMES))
        return -ENOBUFS;
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
    return 0;
}

void outq_pop(struct outq *q)
{
    struct frame *f = q->ring[q->head];
    q->bytes -= f->len;
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
