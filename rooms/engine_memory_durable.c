/* rooms/engine_memory_durable.c — the memory engine's durable copy (see
 * rooms/durable.h and engine_memory.c's top comment): the constructor that
 * loads the database into the engine's channels, rings and record maps,
 * and the completion of each journalled publication once its batch is
 * committed (to the ring, the subscribers, the publisher) or failed (to the
 * publisher only, error 100). Owns nothing of its own. Loop thread only. */
#include <stdio.h>

#include "rooms/durable_records.h"
#include "rooms/engine_memory.h"

/* A journalled publication's batch is done: on success it joins the ring
 * (unless history_remove came after it), reaches the subscribers and its
 * publisher; on failure only the publisher hears (error 100). */
void mem_on_durable_pub(void *ctx, const struct durable_pub *dp, int err)
{
    struct memengine *m = ctx;
    struct mchan *c = mem_find(m, dp->pub->channel);
    struct publish_result res = {.err = err};
    if (!c) { /* cannot happen: pending keeps the channel */
        res.err = ENGINE_ETEMP;
        if (dp->cb)
            dp->cb(dp->arg, &res);
        return;
    }
    c->pending--;
    if (err) {
        c->next_top = c->h.top;
        if (dp->cb)
            dp->cb(dp->arg, &res);
        return;
    }
    if (dp->offset == 0) { /* a publication not kept, queued for its order */
        m->base.ev.on_publication(m->base.ev.arg, dp->pub);
        if (dp->cb)
            dp->cb(dp->arg, &res);
        return;
    }
    int64_t now = mem_now_ms(m);
    history_expire(&c->h, now);
    if (dp->offset > c->clear_at) {
        c->h.top = dp->offset - 1; /* it is already: commits land in offset order */
        if (history_append(&c->h, dp->pub, dp->history_size, dp->expire_ms) != 0) {
            c->h.top = dp->offset; /* stored on disk; memory is short: keep the position */
            dp->pub->offset = dp->offset;
        }
    } else {
        c->h.top = dp->offset;
        dp->pub->offset = dp->offset;
    }
    res.offset = dp->offset;
    res.epoch = c->h.epoch;
    m->base.ev.on_publication(m->base.ev.arg, dp->pub);
    if (dp->cb)
        dp->cb(dp->arg, &res);
}

static int load_channel(void *ctx, struct span name, const char *epoch, uint64_t top,
                        int64_t meta_expire_ms)
{
    struct memengine *m = ctx;
    struct mchan *c = mem_chan_get(m, name);
    if (!c)
        return ENGINE_ENOMEM;
    if (!c->has_stream)
        history_init(&c->h);
    c->has_stream = true;
    snprintf(c->h.epoch, sizeof(c->h.epoch), "%s", epoch);
    c->h.top = c->next_top = top;
    c->meta_expire_ms = meta_expire_ms;
    return 0;
}

static int load_pub(void *ctx, struct publication *p, int64_t expire_ms)
{
    struct memengine *m = ctx;
    struct mchan *c = mem_find(m, p->channel);
    const struct ns_config *ns =
        config_find_ns(m->base.cfg, (const char *)p->channel.p, p->channel.n);
    if (!c || !c->has_stream || !ns || !ns_has_history(ns))
        return 0; /* its channel is gone, or its namespace no longer keeps history */
    uint64_t top = c->h.top > p->offset ? c->h.top : p->offset;
    c->h.top = p->offset - 1;
    int rc = history_append(&c->h, p, ns->history_size, expire_ms);
    c->h.top = c->next_top = top;
    return rc;
}

static int load_record(void *ctx, struct span kind, const struct record *r)
{
    return records_load(&((struct memengine *)ctx)->recs, kind, r);
}

struct engine *engine_memory_durable_new(const struct config *cfg, const struct engine_events *ev,
                                         struct uv_loop_s *loop, const struct clock *clk,
                                         struct store **store)
{
    struct memengine *m = (struct memengine *)engine_memory_new(cfg, ev, clk, store);
    if (!m)
        return NULL;
    struct durable_loader ld = {.channel = load_channel, .pub = load_pub, .record = load_record,
                                .ctx = m};
    m->dur = durable_open(cfg, loop, mem_now_ms(m), &ld, mem_on_durable_pub, m);
    if (!m->dur) {
        mem_destroy(&m->base);
        *store = NULL;
        return NULL;
    }
    durable_records_attach(m->dur, &m->recs);
    return &m->base;
}
