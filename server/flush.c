/* server/flush.c — when the fan-out is written: the flush schedule around
 * client_flush_dirty() and its self-batching.
 *
 * Every client that was sent something sits on the node's flush list; a
 * pass writes each one's queue in one write (clients/client.c). Normally a
 * pass runs at the end of every loop turn (uv_check) and before the loop
 * blocks (uv_prepare: what timers queued). When a pass was heavy — it took
 * at least FLUSH_HEAVY_NS, e.g. ~1,000 sockets — the next one is deferred by
 * as long as that pass took, at most write_delay_max_ms: the loop meanwhile
 * reads more publications, and each member then gets all of them in one
 * write instead of one write per publication. Replies are not deferred (a
 * client with a queued reply is written at the end of the turn, its whole
 * queue in order), and nothing is deferred after a light pass or when the
 * last heavy pass is older than its delay, so an idle or lightly loaded
 * server writes at once exactly as before. docs/design.md "Self-batching
 * fan-out" has the reasoning and the figures. Owns nothing but the server's
 * flush handles' callbacks. */
#include "server/server.h"

#include "clients/client.h"

#define FLUSH_HEAVY_NS 1000000ull /* a pass at least this long defers the next */

/* A full pass; arms the deferral when it was heavy. */
static void flush_pass(struct server *srv, uint64_t start)
{
    uv_timer_stop(&srv->flush_later);
    srv->node.stats.flush_passes++;
    client_flush_dirty(&srv->node, false);
    uint64_t end = uv_hrtime(), cost = end - start;
    uint64_t max = (uint64_t)srv->node.cfg->write_delay_max_ms * 1000000ull;
    srv->flush_after_ns = cost >= FLUSH_HEAVY_NS && max ? end + (cost < max ? cost : max) : 0;
}

static void on_flush_later(uv_timer_t *t)
{
    struct server *srv = t->data;
    if (srv->node.ndirty)
        flush_pass(srv, uv_hrtime());
}

/* The end of a loop turn (or the moment before it blocks): a full pass, or,
 * while a deferral runs, the replies now and the rest when it ends. */
static void flush_turn(struct server *srv)
{
    if (!srv->node.ndirty)
        return;
    uint64_t now = uv_hrtime();
    if (now >= srv->flush_after_ns) {
        flush_pass(srv, now);
        return;
    }
    client_flush_dirty(&srv->node, true);
    if (srv->node.ndirty && !uv_is_active((uv_handle_t *)&srv->flush_later)) {
        srv->node.stats.flush_deferred++;
        /* libuv timers count whole milliseconds: round up */
        uv_timer_start(&srv->flush_later, on_flush_later, (srv->flush_after_ns - now + 999999) / 1000000, 0);
    }
}

static void on_flush(uv_check_t *h) { flush_turn(h->data); }
static void on_flush_early(uv_prepare_t *h) { flush_turn(h->data); }

void server_flush_init(struct server *srv, uv_loop_t *loop)
{
    uv_check_init(loop, &srv->flush);
    uv_prepare_init(loop, &srv->flush_early);
    uv_timer_init(loop, &srv->flush_later);
    srv->flush.data = srv->flush_early.data = srv->flush_later.data = srv;
    srv->flush_after_ns = 0;
}

void server_flush_start(struct server *srv)
{
    uv_check_start(&srv->flush, on_flush);
    uv_prepare_start(&srv->flush_early, on_flush_early);
}
