/* server/api_internal.h — what the API's files share (not for use outside
 * server/api_*.c): the JSON rendering helpers (api_json.c), the method
 * handlers registered on the node's method table (api_publish.c,
 * api_state.c, api_users.c, api_batch.c) and batch's body-text entry. */
#ifndef HEARTH_API_INTERNAL_H
#define HEARTH_API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/methods.h"
#include "protocol/publication.h"

struct server;
struct ns_config;

/* ---- api_json.c ---- */
/* params[key] if it is a string, else NULL (borrowed from params). */
const char *api_get_str(json_t *params, const char *key);
/* Validates a channel like the client protocol does. Returns its
 * namespace, or NULL with *code set (107 bad name, 102 unknown namespace). */
const struct ns_config *api_channel(struct server *srv, const char *ch, uint32_t *code);
/* ClientInfo and publication as API JSON (non-JSON payloads as b64<key>). */
json_t *api_clientinfo_json(const struct clientinfo *ci);
json_t *api_publication_json(const struct publication *p);
/* The API reply object for an answer: {"result":..} or
 * {"error":{"code":..,"message":..}}; NULL for a text answer (r->text, left
 * to the caller), r->oom, or out of memory. Always takes r->result. */
json_t *api_reply_json(const struct method_reply *r);

/* ---- the handlers (method_fn) ---- */
/* api_debug.c: only with "test_clock": true in the config. */
void api_m_debug_clock(const struct method_call *call, json_t *params, method_done *done, void *arg);
void api_m_publish(const struct method_call *call, json_t *params, method_done *done, void *arg);
void api_m_broadcast(const struct method_call *call, json_t *params, method_done *done, void *arg);
void api_m_subscribe(const struct method_call *call, json_t *params, method_done *done, void *arg);
void api_m_unsubscribe(const struct method_call *call, json_t *params, method_done *done, void *arg);
void api_m_disconnect(const struct method_call *call, json_t *params, method_done *done, void *arg);
void api_m_refresh(const struct method_call *call, json_t *params, method_done *done, void *arg);
void api_m_presence(const struct method_call *call, json_t *params, method_done *done, void *arg);
void api_m_presence_stats(const struct method_call *call, json_t *params, method_done *done,
                          void *arg);
void api_m_history(const struct method_call *call, json_t *params, method_done *done, void *arg);
void api_m_history_remove(const struct method_call *call, json_t *params, method_done *done,
                          void *arg);
void api_m_channels(const struct method_call *call, json_t *params, method_done *done, void *arg);
void api_m_info(const struct method_call *call, json_t *params, method_done *done, void *arg);
/* Never runs on params: api_call() runs batch on the body text
 * (api_batch_start); inside a batch it is refused. Answers 107. */
void api_m_batch(const struct method_call *call, json_t *params, method_done *done, void *arg);

/* ---- api_batch.c ---- */
/* Starts a batch on its body text (borrowed until done). Returns 400 for a
 * body that does not decode (done not called), else 0. */
int api_batch_start(struct server *srv, const char *body, size_t len, method_done *done, void *arg);

#endif
