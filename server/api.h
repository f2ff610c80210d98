/* server/api.h — the HTTP server API (Centrifugo-compatible bodies and
 * replies) for bots and back ends: publish, broadcast, unsubscribe,
 * disconnect, refresh, presence, presence_stats, history, history_remove,
 * channels, info, batch. */
#ifndef HEARTH_API_H
#define HEARTH_API_H

#include <jansson.h>
#include <stddef.h>

struct http_req;
struct server;

/* A method's answer, owned by the callee: either reply, the reply object
 * ({"result":..} or {"error":..}), with text NULL; or reply NULL and text,
 * the reply already encoded (a malloc'd JSON object of len bytes, NUL
 * after it): broadcast and batch encode their replies one by one as they
 * arrive, so a big answer is one buffer, not a tree of JSON values. Both
 * NULL: out of memory. */
typedef void api_done(void *arg, json_t *reply, char *text, size_t len);

/* Runs one API method on a JSON body (len bytes; 0 = {}). Returns 0 when
 * the method ran (done is called, maybe later), or the HTTP status of a
 * refusal without calling done: 404 unknown method, 400 undecodable body.
 * The body is borrowed until done is called (batch reads its commands from
 * it one at a time instead of parsing it whole). */
int api_call(struct server *srv, const char *method, const char *body, size_t len,
             api_done *done, void *arg);
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
