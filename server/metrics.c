/* server/metrics.c — GET /metrics: the node's counters and gauges in the
 * Prometheus text exposition format (version 0.0.4). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "server/api.h"
#include "server/server.h"

struct out {
    char *p;
    size_t len, cap;
    int oom;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->p ? o->p + o->len : NULL, o->p ? o->cap - o->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0 || o->oom)
            return;
        if (o->p && o->len + (size_t)n < o->cap) {
            o->len += (size_t)n;
            return;
        }
        size_t ncap = o->cap ? o->cap * 2 : 4096;
        while (ncap < o->len + (size_t)n + 1)
            ncap *= 2;
        char *np = realloc(o->p, ncap);
        if (!np) {
            o->oom = 1;
            return;
        }
        o->p = np;
        o->cap = ncap;
    }
}

static void metric(struct out *o, const char *name, const char *type, const char *help, double v)
{
    outf(o, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

char *server_metrics_text(struct server *srv, size_t *len)
{
    struct out o = {0};
    const struct node_stats *s = &srv->node.stats;
    metric(&o, "hearth_connections", "gauge", "Open WebSocket connections.", srv->node.nclients);
    metric(&o, "hearth_connections_total", "counter", "WebSocket connections accepted.",
           (double)s->connections_total);
    metric(&o, "hearth_subscriptions", "gauge", "Live channel subscriptions on this node.",
           (double)srv->node.hub.nsubs);
    metric(&o, "hearth_channels", "gauge", "Channels with at least one local subscriber.",
           hub_room_count(&srv->node.hub));
    if (srv->node.store && srv->node.store->ops->channel_count)
        metric(&o, "hearth_engine_channels", "gauge",
               "Channels the engine keeps state for on this node (history streams, presence).",
               (double)srv->node.store->ops->channel_count(srv->node.store));
    struct store_durable_stats ds;
    if (srv->node.store && srv->node.store->ops->durable_stats &&
        srv->node.store->ops->durable_stats(srv->node.store, &ds) == 0) {
        metric(&o, "hearth_durable_commits_total", "counter",
               "Transactions the durable store (data_dir) committed.", (double)ds.commits);
        metric(&o, "hearth_durable_changes_total", "counter",
               "Publications, records and removals those transactions held.", (double)ds.changes);
        metric(&o, "hearth_durable_commit_failures_total", "counter",
               "Transactions that failed (their writes answered error 100).",
               (double)ds.commit_failures);
        metric(&o, "hearth_durable_checkpoints_total", "counter",
               "Checkpoint rounds that copied the WAL into the database file.",
               (double)ds.checkpoints);
        metric(&o, "hearth_durable_wal_restarts_total", "counter",
               "Checkpoint rounds that held commits off briefly so the WAL could start over.",
               (double)ds.wal_restarts);
        metric(&o, "hearth_durable_wal_frames", "gauge",
               "Pages in the WAL at the last checkpoint round (4 KB each).", (double)ds.wal_frames);
    }
    metric(&o, "hearth_messages_in_total", "counter", "Protocol commands received.",
           (double)s->messages_in);
    metric(&o, "hearth_messages_out_total", "counter", "Protocol messages queued to clients.",
           (double)s->messages_out);
    metric(&o, "hearth_frames_out_total", "counter", "WebSocket frames written (batched messages).",
           (double)s->frames_out);
    metric(&o, "hearth_flush_passes_total", "counter", "Fan-out passes (every client with queued messages written).",
           (double)s->flush_passes);
    metric(&o, "hearth_flush_deferred_total", "counter",
           "Fan-out passes deferred after a heavy one (self-batching, write_delay_max_ms).",
           (double)s->flush_deferred);
    metric(&o, "hearth_bytes_in_total", "counter", "WebSocket payload bytes received.",
           (double)s->bytes_in);
    metric(&o, "hearth_bytes_out_total", "counter", "WebSocket payload bytes written.",
           (double)s->bytes_out);
    metric(&o, "hearth_publications_total", "counter", "Publications accepted (clients and API).",
           (double)s->publications);
    metric(&o, "hearth_queue_overflows_total", "counter",
           "Clients disconnected because their outbound queue overflowed (3008).",
           (double)s->queue_overflows);
    metric(&o, "hearth_frames_dropped_total", "counter",
           "Droppable frames a slow client's full queue dropped or evicted.", (double)s->frames_dropped);
    metric(&o, "hearth_replies_too_large_total", "counter",
           "Replies not sent because they exceed client_queue_max_size (error 106, or a subscribe without recovery).",
           (double)s->replies_too_large);
    metric(&o, "hearth_rate_limited_total", "counter",
           "Client commands refused with 111 (command rate limit).", (double)s->rate_limited);
    outf(&o, "# HELP hearth_refused_connections_total Connections refused at accept or WebSocket upgrade, by reason.\n"
             "# TYPE hearth_refused_connections_total counter\n");
    static const char *const why[ADMIT_COUNT] = {"", "origin", "max_connections",
                                                 "max_connections_per_ip",
                                                 "max_http_connections_per_ip", "descriptors"};
    for (int i = 1; i < ADMIT_COUNT; i++)
        outf(&o, "hearth_refused_connections_total{reason=\"%s\"} %llu\n", why[i],
             (unsigned long long)s->refused_connections[i]);
    metric(&o, "hearth_sockets", "gauge",
           "Accepted TCP sockets open now (HTTP requests, handshakes and WebSockets).",
           (double)srv->admission.sockets);
    metric(&o, "hearth_loop_lag_seconds", "gauge", "How late the last housekeeping tick ran.",
           s->loop_lag_ms / 1000.0);
    metric(&o, "hearth_uptime_seconds", "gauge", "Seconds since start.",
           (double)(node_now_ms(&srv->node) - srv->node.started_ms) / 1000.0);
    outf(&o, "# HELP hearth_disconnects_total Disconnects decided by the server, by code.\n"
             "# TYPE hearth_disconnects_total counter\n");
    for (int i = 0; i < NODE_DISCONNECT_CODES; i++)
        if (s->disconnects[i])
            outf(&o, "hearth_disconnects_total{code=\"%d\"} %llu\n", 3000 + i,
                 (unsigned long long)s->disconnects[i]);
    outf(&o, "# HELP hearth_api_calls_total HTTP API calls by method and HTTP status.\n"
             "# TYPE hearth_api_calls_total counter\n");
    const struct methods *t = &srv->node.methods;
    for (size_t m = 0; m <= t->count; m++) { /* registration order, then "unknown" */
        const struct method *me = m < t->count ? t->all[m] : NULL;
        const uint64_t *calls = methods_stats(t, me);
        for (int st = 0; st < MSTAT_HTTP_COUNT; st++)
            if (calls[st])
                outf(&o, "hearth_api_calls_total{method=\"%s\",status=\"%d\"} %llu\n",
                     me ? me->name : "unknown", method_stat_http_status((enum method_stat)st),
                     (unsigned long long)calls[st]);
    }
    if (o.oom) {
        free(o.p);
        return NULL;
    }
    *len = o.len;
    return o.p;
}
