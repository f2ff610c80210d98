/* rooms/history.c — in-memory publication stream (see history.h). */
#include "rooms/history.h"

#include <stdlib.h>
#include <string.h>

void history_init(struct history *h)
{
    memset(h, 0, sizeof(*h));
    rand_epoch(h->epoch);
}

void history_clear(struct history *h)
{
    for (uint32_t i = 0; i < h->count; i++)
        publication_unref(h->ring[(h->start + i) % h->cap]);
    h->start = h->count = 0;
}

void history_free(struct history *h)
{
    history_clear(h);
    free(h->ring);
    free(h->expire_ms);
    h->ring = NULL;
    h->expire_ms = NULL;
    h->cap = 0;
}

static int resize(struct history *h, uint32_t cap)
{
    struct publication **r = malloc(sizeof(*r) * cap);
    int64_t *e = malloc(sizeof(*e) * cap);
    if (!r || !e) {
        free(r);
        free(e);
        return ENGINE_ENOMEM;
    }
    /* keep the newest min(count, cap) entries, oldest first */
    while (h->count > cap) {
        publication_unref(h->ring[h->start]);
        h->start = (h->start + 1) % h->cap;
        h->count--;
    }
    for (uint32_t i = 0; i < h->count; i++) {
        r[i] = h->ring[(h->start + i) % h->cap];
        e[i] = h->expire_ms[(h->start + i) % h->cap];
    }
    free(h->ring);
    free(h->expire_ms);
    h->ring = r;
    h->expire_ms = e;
    h->cap = cap;
    h->start = 0;
    return 0;
}

int history_append(struct history *h, struct publication *p, uint32_t size, int64_t expire_ms)
{
    if (size == 0)
        return 0;
    uint32_t want = 0;
    if (h->cap > size) /* the namespace shrank (config reload) */
        want = size;
    else if (h->count == h->cap && h->cap < size) /* grow geometrically: sparse channels stay small */
        want = h->cap ? (h->cap > size / 2 ? size : h->cap * 2) : (size < 8 ? size : 8);
    if (want && resize(h, want) != 0)
        return ENGINE_ENOMEM;
    if (h->count == h->cap) { /* full at max size: drop the oldest */
        publication_unref(h->ring[h->start]);
        h->start = (h->start + 1) % h->cap;
        h->count--;
    }
    uint32_t slot = (h->start + h->count) % h->cap;
    p->offset = ++h->top;
    h->ring[slot] = publication_ref(p);
    h->expire_ms[slot] = expire_ms;
    h->count++;
    return 0;
}

void history_expire(struct history *h, int64_t now_ms)
{
    /* entries are in append order and share one TTL, so expiry is FIFO */
    while (h->count && h->expire_ms[h->start] <= now_ms) {
        publication_unref(h->ring[h->start]);
        h->ring[h->start] = NULL;
        h->start = (h->start + 1) % h->cap;
        h->count--;
    }
}

size_t history_select(const struct history *h, const struct history_query *q,
                      struct publication **out, size_t max)
{
    if (q->limit == 0 || h->count == 0)
        return 0;
    size_t want = q->limit < 0 ? max : (size_t)q->limit;
    if (want > max)
        want = max;
    size_t n = 0;
    if (!q->reverse) {
        for (uint32_t i = 0; i < h->count && n < want; i++) {
            struct publication *p = h->ring[(h->start + i) % h->cap];
            if (q->has_since && p->offset <= q->since_offset)
                continue;
            out[n++] = p;
        }
    } else {
        for (uint32_t i = h->count; i > 0 && n < want; i--) {
            struct publication *p = h->ring[(h->start + i - 1) % h->cap];
            if (q->has_since && p->offset >= q->since_offset)
                continue;
            out[n++] = p;
        }
    }
    return n;
}
