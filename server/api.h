/* server/api.h — the HTTP server API (Centrifugo-compatible bodies and
 * replies) for bots and back ends: publish, broadcast, subscribe,
 * unsubscribe, disconnect, refresh, presence, presence_stats, history,
 * history_remove, channels, info, batch. The methods live on the node's
 * method table (node/methods.h), registered API-only by api_register();
 * the transport is api_http.c, the methods api_publish.c, api_state.c,
 * api_users.c and api_batch.c, the JSON rendering api_json.c. */
#ifndef HEARTH_API_H
#define HEARTH_API_H

#include <jansson.h>
#include <stddef.h>

#include "node/methods.h"

struct http_req;
struct server;

/* Registers the API methods (API-only, not rpc-callable) on
 * srv->node.methods, in the order /metrics lists them. 0 or negative errno. */
int api_register(struct server *srv);
/* Runs one API method on a JSON body (len bytes; 0 = {}). Returns 0 when
 * the method ran (done is called, maybe later), or the HTTP status of a
 * refusal without calling done: 404 unknown method (or not on the API),
 * 400 undecodable body. The body is borrowed until done is called (batch
 * reads its commands from it one at a time instead of parsing it whole).
 * The answer's text, when set, is the whole HTTP reply body. */
int api_call(struct server *srv, const char *method, const char *body, size_t len,
             method_done *done, void *arg);
/* Runs POST /api/<method> with r->body; answers through http_respond(). */
void api_handle(struct http_req *r, const char *method);
/* Counts one API call for /metrics (a name that is no API method counts
 * as "unknown"). */
void api_count(struct server *srv, const char *method, int status);
/* Prometheus text exposition of the node's counters (metrics.c). Returns a
 * malloc'd buffer and its length, or NULL. */
char *server_metrics_text(struct server *srv, size_t *len);

#endif
