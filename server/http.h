/* server/http.h — hearthd's dynamic HTTP endpoints on the lws vhost:
 * GET /health, GET /metrics (Prometheus text) and POST /api/<method> (the
 * server API for bots and back ends, see api_http.c).
 *
 * A request lives in a refcounted struct http_req so that an API call still
 * in flight in the engine survives the connection closing under it: lws's
 * per-session slot holds one reference, each pending call another.
 *
 * One request at a time per connection: the answer is written whole, from
 * inside an lws callback for the connection, and then
 * lws_http_transaction_completed() lets lws parse what was pipelined behind
 * it. A request that is refused before its body was read (bad framing, too
 * large, unauthorized, too slow) is answered with "connection: close", the
 * socket is shut down for writing, and input is discarded for a moment so
 * the answer is not lost to a TCP reset. docs/design.md ("HTTP endpoints")
 * says which libwebsockets 4.1 behaviours this works around. */
#ifndef HEARTH_HTTP_H
#define HEARTH_HTTP_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

struct server;

struct http_req {
    struct server *srv;      /* borrowed */
    struct lws *wsi;         /* borrowed; NULL once lws closed the connection */
    uint32_t refs;
    char path[256];          /* URI path without query */
    int is_post;
    int authorized;          /* API key checked and good */
    uint64_t content_length; /* declared body bytes (POST) */
    char *body;              /* owned request body */
    size_t body_len, body_cap;
    int completed;           /* the whole request is in and routed */
    int body_done;           /* lws has delivered the end of the body */
    int close_after;         /* answer with "connection: close", then linger and close */
    int lingering;           /* answered and shut down for writing: discarding input */
    int in_callback;         /* routing from inside an lws callback for wsi */
    int sent;                /* the response went to lws */
    lws_sorted_usec_list_t deadline; /* body deadline, then linger: armed only
                                        while wsi is set (detach cancels it) */
    int status;              /* 0 = no response yet */
    const char *ctype;
    char *resp;              /* owned response body */
    size_t resp_len;
};

struct http_pss {
    struct http_req *req; /* one reference */
};

/* The lws protocol callback for the "hearth-http" protocol. */
int http_callback(struct lws *wsi, int reason, void *user, void *in, size_t len);
/* Sets the response (takes ownership of body, a malloc'd buffer). Outside
 * the request's own callbacks, writes it at once on an HTTP/1.1 keep-alive
 * connection, or asks lws for a writeable callback if the connection is
 * still there. The caller holds a reference to r. */
void http_respond(struct http_req *r, int status, const char *ctype, char *body, size_t len);
void http_req_hold(struct http_req *r);
void http_req_release(struct http_req *r);

#endif
