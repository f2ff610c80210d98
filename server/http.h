/* server/http.h — hearthd's dynamic HTTP endpoints on the lws vhost:
 * GET /health, GET /metrics (Prometheus text) and POST /api/<method> (the
 * server API for bots and back ends, see api.c).
 *
 * A request lives in a refcounted struct http_req so that an API call still
 * in flight in the engine survives the connection closing under it: lws's
 * per-session slot holds one reference, each pending call another. The
 * response is written from the writeable callback (headers, then body). */
#ifndef HEARTH_HTTP_H
#define HEARTH_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct lws;
struct server;

struct http_req {
    struct server *srv;      /* borrowed */
    struct lws *wsi;         /* borrowed; NULL once lws closed the connection */
    uint32_t refs;
    char path[256];          /* URI path without query */
    int is_post;
    int authorized;          /* API key checked and good */
    char *body;              /* owned request body */
    size_t body_len, body_cap;
    int too_big;             /* body exceeded the API limit */
    int status;              /* 0 = no response yet */
    const char *ctype;
    char *resp;              /* owned response body */
    size_t resp_len, resp_off;
    int headers_sent;
};

struct http_pss {
    struct http_req *req; /* one reference */
};

/* The lws protocol callback for the "hearth-http" protocol. */
int http_callback(struct lws *wsi, int reason, void *user, void *in, size_t len);
/* Sets the response (takes ownership of body, a malloc'd buffer) and asks
 * lws for a writeable callback if the connection is still there. */
void http_respond(struct http_req *r, int status, const char *ctype, char *body, size_t len);
void http_req_hold(struct http_req *r);
void http_req_release(struct http_req *r);

#endif
