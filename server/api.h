/* server/api.h — the HTTP server API (Centrifugo-compatible bodies and
 * replies) for bots and back ends: publish, broadcast, unsubscribe,
 * disconnect, refresh, presence, presence_stats, history, history_remove,
 * channels, info, batch. */
#ifndef HEARTH_API_H
#define HEARTH_API_H

#include <stddef.h>

struct http_req;
struct server;

/* Runs POST /api/<method> with r->body; answers through http_respond(). */
void api_handle(struct http_req *r, const char *method);
/* Counts one API call for /metrics. */
void api_count(struct server *srv, const char *method, int status);
/* The method table, for /metrics labels. */
size_t api_method_count(void);
const char *api_method_name(size_t i);   /* i == count: "unknown" */
int api_status_code(size_t i);
/* Prometheus text exposition of the node's counters (metrics.c). Returns a
 * malloc'd buffer and its length, or NULL. */
char *server_metrics_text(struct server *srv, size_t *len);

#endif
