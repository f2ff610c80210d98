/* rooms/engine_memory.h — the memory engine's state, private to
 * rooms/engine_memory.c (the engine and store ops) and
 * rooms/engine_memory_durable.c (its durable copy: loading at start and the
 * completion of journalled publications). Nothing else includes it: the
 * rest of the tree sees the engine through engine.h and store.h. Loop
 * thread only. */
#ifndef HEARTH_ENGINE_MEMORY_H
#define HEARTH_ENGINE_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "rooms/durable.h"
#include "rooms/engine.h"
#include "rooms/history.h"
#include "rooms/records.h"
#include "util/clock.h"
#include "util/dict.h"

struct mchan {
    struct dict_entry de;       /* key = name */
    struct history h;
    bool has_stream;            /* h is initialised (epoch exists) */
    int64_t meta_expire_ms;
    uint64_t next_top;          /* durable: offsets handed out (>= h.top) */
    uint64_t clear_at;          /* durable: pending offsets <= this were removed */
    uint32_t pending;           /* durable: publications waiting for their commit */
    struct dict presence;       /* of struct pentry, owned */
    size_t name_len;
    char name[];
};

struct memengine {
    struct engine base;
    struct store store;         /* the store half of this one object */
    struct dict chans;          /* of struct mchan, owned */
    struct publication **scratch; /* owned: history_select output */
    size_t scratch_cap;
    struct clientinfo *pscratch;  /* owned: presence_get output */
    size_t pscratch_cap;
    const struct clock *clock;    /* borrowed: the node's wall clock */
    struct durable *dur;          /* owned; NULL = memory only (data_dir "") */
    struct records recs;          /* owned: community records (rooms/records.h) */
};

static inline int64_t mem_now_ms(const struct memengine *m) { return clock_now_ms(m->clock); }

static inline struct mchan *mem_find(struct memengine *m, struct span ch)
{
    struct dict_entry *e = dict_find(&m->chans, ch.p, ch.n);
    return e ? DICT_CONTAINER(e, struct mchan, de) : NULL;
}

/* The channel's state, made if missing; NULL on OOM. */
struct mchan *mem_chan_get(struct memengine *m, struct span ch);
/* The engine's destroy op (frees the durable copy first). */
void mem_destroy(struct engine *e);
/* engine_memory_durable.c: completes a journalled publication. */
void mem_on_durable_pub(void *ctx, const struct durable_pub *dp, int err);

#endif
