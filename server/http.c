/* server/http.c — /health, /metrics and the /api/<method> transport: request
 * lifecycle, API key check, body accumulation with a size limit, response
 * writing (see http.h). What the API methods do lives in api_*.c. */
#include "server/http.h"

#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/api.h"
#include "server/http_parse.h"
#include "util/log.h"
#include "server/server.h"

void http_req_hold(struct http_req *r) { r->refs++; }

void http_req_release(struct http_req *r)
{
    if (--r->refs)
        return;
    free(r->body);
    free(r->resp);
    free(r);
}

static int answer(struct http_pss *pss, struct lws *wsi);

/* An answer that comes after its request's callbacks (an engine call
 * completed later: a durable store's commit, Redis): on a plain HTTP/1.1
 * keep-alive connection whose request is fully read, written at once —
 * lws keeps what the socket does not take, as it does for any write —
 * rather than after a writeable callback, which on lws's libuv glue costs
 * two poll changes (four epoll_ctl calls) and a loop turn per answer.
 * Anything else (an h2 stream, a connection to close after the answer)
 * waits for WRITEABLE as before. The caller holds a reference to r. */
static void answer_later(struct http_req *r)
{
    struct lws *wsi = r->wsi;
    if (r->close_after || !r->body_done || lws_get_network_wsi(wsi) != wsi) {
        lws_callback_on_writable(wsi);
        return;
    }
    if (answer(lws_wsi_user(wsi), wsi) != 0) /* outside a callback: close it from lws */
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void http_respond(struct http_req *r, int status, const char *ctype, char *body, size_t len)
{
    if (r->status) { /* answered already */
        free(body);
        return;
    }
    r->status = status;
    r->ctype = ctype;
    r->resp = body;
    r->resp_len = len;
    if (r->wsi && !r->in_callback)
        answer_later(r);
}

static void respond_text(struct http_req *r, int status, const char *ctype, const char *text)
{
    size_t n = strlen(text);
    char *b = malloc(n + 1);
    if (b)
        memcpy(b, text, n + 1);
    http_respond(r, status, ctype, b, b ? n : 0);
}

/* Constant-time key check: compare digests so neither content nor length leaks. */
static int key_matches(const char *configured, const char *given, size_t given_len)
{
    if (!configured || !*configured)
        return 0;
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)configured, strlen(configured), a);
    SHA256((const unsigned char *)given, given_len, b);
    return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

/* X-API-Key: KEY, or Authorization: apikey KEY / Bearer KEY, against the
 * configured key (NULL or empty: nobody matches). */
static int check_key(struct lws *wsi, const char *configured)
{
    char buf[512];
    int n = lws_hdr_custom_copy(wsi, buf, sizeof(buf), "x-api-key:", 10);
    if (n > 0)
        return key_matches(configured, buf, (size_t)n);
    n = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_AUTHORIZATION);
    const char *k;
    size_t kl;
    if (n > 0 && http_auth_key(buf, (size_t)n, &k, &kl) == 0)
        return key_matches(configured, k, kl);
    return 0;
}

static void route(struct http_req *r)
{
    struct server *srv = r->srv;
    if (!strcmp(r->path, "/health")) {
        const struct store *st = srv->node.store;
        if (srv->node.stopping)
            respond_text(r, 503, "application/json", "{\"error\":\"shutting down\"}");
        else if (st && st->ops->health && st->ops->health((struct store *)st) != 0)
            respond_text(r, 503, "application/json", "{\"error\":\"store unavailable\"}");
        else
            respond_text(r, 200, "application/json", "{}");
        return;
    }
    if (!strcmp(r->path, "/metrics")) {
        if (!r->authorized) {
            respond_text(r, 401, "text/plain", "metrics_key required\n");
            return;
        }
        size_t len;
        char *text = server_metrics_text(srv, &len);
        if (text)
            http_respond(r, 200, "text/plain; version=0.0.4", text, len);
        else
            respond_text(r, 500, "text/plain", "out of memory\n");
        return;
    }
    if (!strncmp(r->path, "/api/", 5)) {
        if (!r->authorized) {
            api_count(srv, r->path + 5, 401);
            respond_text(r, 401, "application/json", "");
            return;
        }
        if (!r->is_post) {
            respond_text(r, 405, "application/json",
                         "{\"error\":{\"code\":107,\"message\":\"use POST\"}}");
            return;
        }
        api_handle(r, r->path + 5);
        return;
    }
    respond_text(r, 404, "application/json", "{\"error\":\"not found\"}");
}

#define HTTP_HDR_MAX 1024

static int add_close(const struct http_req *r, struct lws *wsi, uint8_t **p, uint8_t *end)
{
    if (!r->close_after)
        return 0;
    return lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                        (const unsigned char *)"close", 5, p, end);
}

/* Writes the whole response (headers and body) in one lws_write: what the
 * socket does not take now lws keeps and flushes before it lets the next
 * pipelined request in (lws_http_transaction_completed defers until then).
 * 0 or -1. */
static int send_response(struct http_req *r, struct lws *wsi)
{
    uint8_t *buf = malloc(LWS_PRE + HTTP_HDR_MAX + r->resp_len);
    if (!buf)
        return -1;
    uint8_t *start = buf + LWS_PRE, *p = start, *end = start + HTTP_HDR_MAX - 1;
    int rc = -1;
    if (!lws_add_http_common_headers(wsi, (unsigned)r->status, r->ctype, r->resp_len, &p, end) &&
        !lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                      (const unsigned char *)"no-store", 8, &p, end) &&
        !add_close(r, wsi, &p, end) && !lws_finalize_http_header(wsi, &p, end)) {
        if (r->resp_len)
            memcpy(p, r->resp, r->resp_len);
        size_t n = (size_t)(p - start) + r->resp_len;
        rc = lws_write(wsi, start, n, LWS_WRITE_HTTP_FINAL) == (int)n ? 0 : -1;
    }
    free(buf);
    r->sent = 1;
    return rc;
}

/* Drops lws's reference to the request (a call still in flight keeps its own). */
static void detach(struct http_pss *pss)
{
    struct http_req *r = pss->req;
    if (!r)
        return;
    pss->req = NULL;
    lws_sul_cancel(&r->deadline);
    r->wsi = NULL;
    http_req_release(r);
}

#define LINGER_USECS (2 * LWS_US_PER_SEC) /* discarding input after a refusal */

static void refuse(struct http_req *r, int status, const char *json);

/* The deadline passed: a body too slow gets 408; a connection lingering
 * after its answer is closed. (lws 4.1's own wsi timer cannot be cancelled,
 * and its content timeout is re-armed by every body byte.) */
static void on_deadline(lws_sorted_usec_list_t *sul)
{
    struct http_req *r = lws_container_of(sul, struct http_req, deadline);
    if (!r->wsi)
        return;
    if (r->completed) {
        lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    log_debug("http", "request body for %s timed out", r->path);
    refuse(r, 408, "{\"error\":{\"code\":107,\"message\":\"request body too slow\"}}");
}

static void arm(struct http_req *r, struct lws *wsi, lws_usec_t us)
{
    lws_sul_schedule(lws_get_context(wsi), 0, &r->deadline, on_deadline, us);
}

/* Refuses the request before its body was read: answer, then close. */
static void refuse(struct http_req *r, int status, const char *json)
{
    r->close_after = 1;
    r->completed = 1;
    if (!strncmp(r->path, "/api/", 5))
        api_count(r->srv, r->path + 5, status);
    respond_text(r, status, "application/json", json);
}

/* Routes a complete request from inside an lws callback for its wsi. */
static void route_in_callback(struct http_req *r)
{
    r->completed = 1;
    r->in_callback = 1;
    route(r);
    r->in_callback = 0;
}

/* The request line and headers are in: framing, credentials, limits. */
static void on_request(struct http_req *r, struct lws *wsi, const struct config *cfg)
{
    r->is_post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    /* the mount strips its prefix: rebuild the full path from the header */
    char uri[256];
    int n = lws_hdr_copy(wsi, uri, sizeof(uri), r->is_post ? WSI_TOKEN_POST_URI : WSI_TOKEN_GET_URI);
    if (n < 0)
        n = 0;
    size_t pl = http_path_len(uri, (size_t)n);
    memcpy(r->path, uri, pl);
    r->path[pl] = 0;
    int api = !strncmp(r->path, "/api", 4);
    if (api)
        r->authorized = check_key(wsi, cfg->api_key);
    else if (!strcmp(r->path, "/metrics"))
        r->authorized = !cfg->metrics_key || !*cfg->metrics_key || check_key(wsi, cfg->metrics_key);

    /* framing: one plain Content-Length, or no body at all */
    char cl[32];
    int cln = lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH);
    r->in_callback = 1;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        refuse(r, 411, "{\"error\":{\"code\":107,\"message\":"
                       "\"send Content-Length: chunked request bodies are not accepted\"}}");
    else if (cln < 0 || (cln > 0 && http_content_length(cl, (size_t)cln, &r->content_length) != 0))
        refuse(r, 400, "{\"error\":{\"code\":107,\"message\":\"bad Content-Length\"}}");
    else if (r->is_post && cln == 0)
        refuse(r, 411, "{\"error\":{\"code\":107,\"message\":\"Content-Length required\"}}");
    else if (!r->is_post && r->content_length)
        refuse(r, 400, "{\"error\":{\"code\":107,\"message\":\"no body allowed\"}}");
    else if (r->is_post && api && r->authorized && r->content_length > cfg->api_max_body_size)
        refuse(r, 413, "{\"error\":{\"code\":107,\"message\":\"body too large\"}}");
    r->in_callback = 0;
    if (r->completed)
        return;
    if (r->is_post && api && r->authorized) {
        /* wait for the body, for at most http_body_timeout in all */
        if (r->content_length)
            arm(r, wsi, (lws_usec_t)cfg->http_body_timeout * LWS_US_PER_SEC);
        return;
    }
    /* nothing to wait for: a body sent anyway (unauthorized, or not an API
     * call) is not read, the connection closes after the answer */
    r->close_after = r->content_length > 0;
    route_in_callback(r);
}

static void on_body_completion(struct http_req *r, struct lws *wsi)
{
    r->body_done = 1;
    if (!r->completed) {
        lws_sul_cancel(&r->deadline);
        route_in_callback(r);
        return;
    }
    /* Delivered again: lws 4.1 repeats BODY_COMPLETION on every loop turn
     * for as long as pipelined input waits behind a request whose answer is
     * not ready (an engine call in flight; only API-key holders get here,
     * and for at most the engine's command timeout). rx flow control cannot
     * hold it (a flow-controlled h1 connection never gets its writeable
     * callback), so the answer, when it comes, is written from here or from
     * WRITEABLE, and the connection closes after it: requests pipelined
     * behind a pending API call are not served. */
    r->close_after = 1;
}

/* Answers now if the answer exists: 0, or -1 to close the connection. */
static int answer(struct http_pss *pss, struct lws *wsi)
{
    struct http_req *r = pss->req;
    if (!r || !r->status || r->sent)
        return 0;
    if (send_response(r, wsi) != 0)
        return -1;
    if (r->close_after) {
        if (r->body_done)
            return -1;
        /* the peer may still be sending the body we refused: closing now
         * with unread input would reset the connection and lose the answer */
        shutdown(lws_get_socket_fd(wsi), SHUT_WR);
        r->lingering = 1;
        arm(r, wsi, LINGER_USECS);
        return 0;
    }
    detach(pss);
    /* keep-alive: lws takes the next pipelined request once this is out */
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int http_callback(struct lws *wsi, int reason, void *user, void *in, size_t len)
{
    struct http_pss *pss = user;
    struct server *srv = lws_context_user(lws_get_context(wsi));
    struct http_req *r = pss ? pss->req : NULL;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        detach(pss); /* keep-alive: a new transaction on the same connection */
        r = pss->req = calloc(1, sizeof(*pss->req));
        if (!r)
            return -1;
        r->srv = srv;
        r->wsi = wsi;
        r->refs = 1;
        on_request(r, wsi, srv->node.cfg);
        return answer(pss, wsi);
    case LWS_CALLBACK_HTTP_BODY:
        if (!r || r->completed)
            return 0; /* refused or answered: discard */
        if (!r->body_len && len && !memcmp(in, "POST ", len < 5 ? len : 5)) {
            /* lws 4.1 feeds a POST pipelined behind another request its own
             * header bytes as body (lws_http_action consumes the buffered
             * input from its start): refuse it rather than act on garbage */
            r->in_callback = 1;
            refuse(r, 400, "{\"error\":{\"code\":107,\"message\":"
                           "\"pipelined POST requests are not supported\"}}");
            r->in_callback = 0;
            return answer(pss, wsi);
        }
        if (r->body_len + len > r->content_length)
            return -1; /* lws delivers at most Content-Length: cannot happen */
        if (r->body_len + len + 1 > r->body_cap) {
            size_t ncap = r->body_cap ? r->body_cap * 2 : 1024;
            while (ncap < r->body_len + len + 1)
                ncap *= 2;
            if (ncap > r->content_length + 1)
                ncap = r->content_length + 1;
            char *nb = realloc(r->body, ncap);
            if (!nb)
                return -1;
            r->body = nb;
            r->body_cap = ncap;
        }
        memcpy(r->body + r->body_len, in, len);
        r->body_len += len;
        r->body[r->body_len] = 0;
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!r)
            return 0;
        if (r->lingering)
            return -1; /* answered, and the body is drained: close */
        on_body_completion(r, wsi);
        return answer(pss, wsi);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return answer(pss, wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (pss)
            detach(pss);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason, user, in, len);
}
