/* rooms/history.h — one channel's publication stream in memory: epoch, top
 * offset and a bounded ring of the latest publications with per-entry expiry.
 * Offsets are gap-free and start at 1 within an epoch. The ring owns one
 * reference to each publication it holds. Used by the memory engine. */
#ifndef HEARTH_HISTORY_H
#define HEARTH_HISTORY_H

#include <stdint.h>

#include "rooms/engine.h"
#include "util/rand.h"

struct history {
    char epoch[EPOCH_LEN + 1];
    uint64_t top;                 /* offset of the newest publication ever appended */
    struct publication **ring;    /* owned, cap slots, each slot an owned ref */
    int64_t *expire_ms;           /* owned, parallel to ring */
    uint32_t cap, start, count;
};

void history_init(struct history *h);  /* fresh epoch, top 0, empty */
void history_free(struct history *h);
/* Appends p (takes a ref), assigning p->offset = ++top. Keeps at most size
 * entries. Returns 0 or ENGINE_ENOMEM. */
int history_append(struct history *h, struct publication *p, uint32_t size, int64_t expire_ms);
/* Drops entries whose expiry has passed. */
void history_expire(struct history *h, int64_t now_ms);
/* Drops every entry, keeps epoch and top (history_remove semantics). */
void history_clear(struct history *h);
/* Publications matching q, in the order asked for, as borrowed pointers into
 * out (capacity max). Returns how many. The caller checks the epoch. */
size_t history_select(const struct history *h, const struct history_query *q,
                      struct publication **out, size_t max);

#endif
