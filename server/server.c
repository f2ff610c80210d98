/* server/server.c — one node's life: wires the engine, hub and lws server
 * together on the loop, runs the 500 ms housekeeping tick, and carries out
 * the graceful shutdown on SIGINT/SIGTERM (clients get 3001 "shutdown" so
 * they reconnect elsewhere, queued messages are flushed, then lws is torn
 * down in the two-step order libwebsockets 4.1 needs on a foreign loop). */
#include "server/server.h"
#include "protocol/errors.h"

#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "clients/client.h"
#include "rooms/backend.h"
#include "server/api.h"
#include "server/cluster.h"
#include "util/log.h"

#define TICK_MS 500
#define DRAIN_MAX_MS 3000

static const struct hub_ops client_hub_ops = {
    .deliver_pub = client_deliver_pub,
    .deliver_frame = client_deliver_frame,
    .deliver_gap = client_deliver_gap,
};

/* Handshakes borrow big buffers (lws's header tables, 4 KB+ each) that are
 * freed once the WebSocket is up, between the long-lived allocations of the
 * connections made meanwhile; glibc keeps those holes resident. When a burst
 * of connects or closes is over (no change since the last tick) or has gone
 * on for TRIM_EVERY_MS, malloc_trim() hands whole free pages back (a walk of
 * the heap's free chunks: about a millisecond for tens of MB). An idle or
 * steady server never calls it. */
#define TRIM_EVERY_MS 30000
static void trim_after_churn(struct server *srv, int64_t now)
{
    /* connects plus closes so far (every client ever made is counted in
     * connections_total; the ones still open in nclients) */
    uint64_t churn = srv->node.stats.connections_total * 2 - srv->node.nclients;
    bool settled = churn == srv->churn_last_tick;
    srv->churn_last_tick = churn;
    if (churn == srv->churn_trimmed || (!settled && now - srv->trimmed_ms < TRIM_EVERY_MS))
        return;
    malloc_trim(0);
    server_lws_alloc_trim();
    srv->churn_trimmed = churn;
    srv->trimmed_ms = now;
}

static void on_tick(uv_timer_t *t)
{
    struct server *srv = t->data;
    int64_t now = node_now_ms(&srv->node);
    srv->node.stats.loop_lag_ms = srv->next_tick_ms && now > srv->next_tick_ms
                                 ? (double)(now - srv->next_tick_ms) : 0.0;
    srv->next_tick_ms = now + TICK_MS;
    for (struct client *c = srv->node.clients; c; c = c->next)
        client_tick(c, now);
    if (srv->node.engine->ops->sweep)
        srv->node.engine->ops->sweep(srv->node.engine, now);
    srv->node.store->ops->sweep(srv->node.store, now);
    trim_after_churn(srv, now);
}

static void on_stop_loop(uv_timer_t *t)
{
    struct server *srv = t->data;
    uv_stop(srv->node.loop);
}

static void on_drain(uv_timer_t *t)
{
    struct server *srv = t->data;
    if (srv->node.nclients && node_now_ms(&srv->node) - srv->stop_ms < DRAIN_MAX_MS)
        return;
    uv_timer_stop(t);
    log_info("server", "closing (%u clients still open)", srv->node.nclients);
    ws_server_stop(srv); /* first lws_context_destroy: closes every connection */
    uv_timer_start(&srv->drain, on_stop_loop, 100, 0); /* let lws finish on the loop */
}

static void begin_shutdown(struct server *srv)
{
    if (srv->node.stopping)
        return;
    srv->node.stopping = true;
    log_info("server", "shutting down: disconnecting %u clients with 3001", srv->node.nclients);
    for (struct client *c = srv->node.clients; c; c = c->next)
        client_disconnect(c, DISC_SHUTDOWN, NULL, true);
    srv->stop_ms = node_now_ms(&srv->node);
    uv_timer_start(&srv->drain, on_drain, 0, 50);
}

static void on_signal(uv_signal_t *h, int signum)
{
    log_info("server", "signal %d", signum);
    if (signum == SIGHUP)
        server_reload(h->data);
    else
        begin_shutdown(h->data);
}

static struct frame *encode_ping(enum wire w)
{
    struct wbuf b;
    wbuf_init(&b);
    if (proto_encode_ping(w, &b) != 0) {
        wbuf_free(&b);
        return NULL;
    }
    return wbuf_finish(&b);
}

int server_init(struct server *srv, uv_loop_t *loop, const struct config *cfg)
{
    memset(srv, 0, sizeof(*srv));
    srv->node.loop = loop;
    srv->node.cfg = cfg;
    clock_init(&srv->node.clock);
    srv->node.started_ms = node_now_ms(&srv->node);
    rand_uuid(srv->node.node_id);
    if (cfg->node_name)
        snprintf(srv->node.node_name, sizeof(srv->node.node_name), "%s", cfg->node_name);
    else if (gethostname(srv->node.node_name, sizeof(srv->node.node_name) - 1) != 0)
        snprintf(srv->node.node_name, sizeof(srv->node.node_name), "hearth");
    hub_init(&srv->node.hub, &client_hub_ops);
    methods_init(&srv->node.methods);
    gate_init(&srv->node.gate, &srv->node);
    members_init(&srv->node.members);
    if (api_register(srv) != 0)
        return -1;
    admission_init(&srv->admission, cfg);
    struct engine_events ev = {.on_publication = hub_on_publication,
                               .on_join = hub_on_join,
                               .on_gap = hub_on_gap,
                               .arg = &srv->node.hub,
                               .on_control = node_control_on_message,
                               .node_stats = cluster_node_stats,
                               .ctl_arg = &srv->node};
    backend_new(cfg, &ev, loop, srv->node.node_id, &srv->node.clock, &srv->node.engine,
                &srv->node.store);
    if (cluster_register(&srv->node) != 0)
        return -1;
    if (!srv->node.engine || community_init(&srv->community, &srv->node) != 0)
        return -1;
    srv->node.hub.engine = srv->node.engine;
    srv->node.scratch = malloc(FRAME_PRE + NODE_BATCH_MAX);
    for (int w = 0; w < WIRE_COUNT; w++)
        srv->node.ping[w] = encode_ping((enum wire)w);
    if (!srv->node.engine || !srv->node.scratch || !srv->node.ping[0] || !srv->node.ping[1])
        return -1;
    uv_timer_init(loop, &srv->tick);
    uv_timer_init(loop, &srv->drain);
    server_flush_init(srv, loop);
    uv_signal_init(loop, &srv->sig_int);
    uv_signal_init(loop, &srv->sig_term);
    uv_signal_init(loop, &srv->sig_hup);
    srv->tick.data = srv->drain.data = srv->sig_int.data = srv->sig_term.data = srv;
    srv->sig_hup.data = srv;
    if (ws_server_start(srv) != 0)
        return -1;
    uv_timer_start(&srv->tick, on_tick, TICK_MS, TICK_MS);
    server_flush_start(srv);
    uv_signal_start(&srv->sig_int, on_signal, SIGINT);
    uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
    uv_signal_start(&srv->sig_hup, on_signal, SIGHUP);
    return 0;
}

static void on_closed_handle(uv_handle_t *h) { (void)h; }

void server_finish(struct server *srv)
{
    ws_server_destroy(srv); /* second lws_context_destroy, after uv_run returned */
    gate_free(&srv->node.gate); /* answers publishes still held by an async hook */
    community_stop(&srv->community); /* closes its timers: the loop below runs their close */
    client_flush_dirty(&srv->node, false); /* drops the references the flush list holds */
    /* backend connections flush and close while the loop drains below */
    if (srv->node.engine && srv->node.engine->ops->shutdown)
        srv->node.engine->ops->shutdown(srv->node.engine);
    uv_handle_t *hs[] = {(uv_handle_t *)&srv->tick, (uv_handle_t *)&srv->drain,
                         (uv_handle_t *)&srv->sig_int, (uv_handle_t *)&srv->sig_term,
                         (uv_handle_t *)&srv->sig_hup, (uv_handle_t *)&srv->flush,
                         (uv_handle_t *)&srv->flush_early, (uv_handle_t *)&srv->flush_later};
    for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
        if (hs[i]->loop && !uv_is_closing(hs[i]))
            uv_close(hs[i], on_closed_handle);
    uv_run(srv->node.loop, UV_RUN_DEFAULT);
    backend_free(srv->node.engine, srv->node.store); /* runs store callbacks still pending */
    community_free(&srv->community); /* after them: they point into the modules */
    node_controls_free(&srv->node.controls);
    node_users_free(&srv->node.users);
    hub_free(&srv->node.hub);
    methods_free(&srv->node.methods);
    members_free(&srv->node.members);
    admission_free(&srv->admission);
    for (int w = 0; w < WIRE_COUNT; w++)
        frame_unref(srv->node.ping[w]);
    free(srv->node.scratch);
    free(srv->node.dirty);
    if (srv->cfg_owned) {
        config_free(srv->cfg_owned);
        free(srv->cfg_owned);
    }
}
