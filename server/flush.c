/* server/flush.c — when the fan-out is written: the flush schedule around
 * client_flush_dirty() and its self-batching.
 *
 * Every client that was sent something sits on the node's flush list; a
 * pass writes each one's queue in one write (clients/client.c). Normally a
 * pass runs at the end of every loop turn (uv_check) and before the loop
 * blocks (uv_prepare: what timers queued).
 *
 * The next pass is deferred when the last one was heavy — it took at least
 * FLUSH_HEAVY_NS (~1,000 sockets) and at least half of the clients it wrote
 * were written by the pass before too (the same members again and again: a
 * big room; with many small rooms each member gets a message now and then
 * and waiting would batch nothing) — and passes run back to back (the next
 * messages came within an eighth of its length after it, twice in a row).
 * It then waits until as long after the heavy pass as that took, at most
 * write_delay_max_ms: the loop meanwhile reads more publications, and each
 * member gets all of them in one write instead of one write per
 * publication. Replies are not deferred (a client with a queued reply is
 * written at the end of the turn, its whole queue in order). Nothing is
 * deferred after a light pass or when messages come further apart, so an
 * idle or lightly loaded server (100 publications/s into 1,000 members: a
 * ~6.5 ms pass every 10 ms) writes at once, exactly as before.
 * docs/design.md "Self-batching fan-out" has the reasoning and the figures.
 * Owns nothing but the server's flush handles' callbacks. */
#include "server/server.h"

#include "clients/client.h"

#define FLUSH_HEAVY_NS 1000000ull /* a pass at least this long defers the next */

/* A full pass; remembers when it ended and, if it was heavy, how long it
 * took (flush_cost_ns, 0 after a light pass). */
static void flush_pass(struct server *srv, uint64_t start)
{
    uv_timer_stop(&srv->flush_later);
    srv->node.stats.flush_passes++;
    client_flush_dirty(&srv->node, false);
    srv->flush_end_ns = uv_hrtime();
    uint64_t cost = srv->flush_end_ns - start;
    /* heavy, and mostly the clients of the pass before (one big room, not
     * many small ones: there a deferral would batch nothing) */
    srv->flush_cost_ns = cost >= FLUSH_HEAVY_NS &&
                         2 * (uint64_t)srv->node.flush_repeats >= srv->node.flush_written ? cost : 0;
}

/* Should the pass due now wait? Only after a heavy pass, when this turn's
 * messages came during it or within an eighth of its length after it (the
 * passes run back to back: the server is about to fall behind) and that was
 * so for the pass before too (FLUSH_STREAK: two publications that merely
 * happened to come close together do not make a stream), and only until
 * that pass's end plus its length (at most write_delay_max_ms). Returns the
 * deadline, or 0 to write now. */
#define FLUSH_STREAK 2
static uint64_t defer_until(struct server *srv, uint64_t now)
{
    uint64_t cost = srv->flush_cost_ns;
    uint64_t max = (uint64_t)srv->node.cfg->write_delay_max_ms * 1000000ull;
    if (!cost || !max || now - srv->flush_end_ns > cost / 8) {
        srv->flush_streak = 0;
        return 0;
    }
    if (++srv->flush_streak < FLUSH_STREAK)
        return 0;
    uint64_t until = srv->flush_end_ns + (cost < max ? cost : max);
    return until > now ? until : 0;
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
    if (uv_is_active((uv_handle_t *)&srv->flush_later)) { /* a deferral runs: replies only */
        client_flush_dirty(&srv->node, true);
        return;
    }
    uint64_t now = uv_hrtime(), until = defer_until(srv, now);
    if (!until) {
        flush_pass(srv, now);
        return;
    }
    client_flush_dirty(&srv->node, true);
    if (srv->node.ndirty) {
        srv->node.stats.flush_deferred++;
        /* libuv timers count whole milliseconds: round up */
        uv_timer_start(&srv->flush_later, on_flush_later, (until - now + 999999) / 1000000, 0);
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
    srv->flush_end_ns = srv->flush_cost_ns = 0;
    srv->flush_streak = 0;
}

void server_flush_start(struct server *srv)
{
    uv_check_start(&srv->flush, on_flush);
    uv_prepare_start(&srv->flush_early, on_flush_early);
}
