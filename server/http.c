/* server/http.c — /health, /metrics and the /api/<method> transport: request
 * lifecycle, API key check, body accumulation with a size limit, response
 * writing (see http.h). What the API methods do lives in api.c. */
#include "http.h"

#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"
#include "server.h"

void http_req_hold(struct http_req *r) { r->refs++; }

void http_req_release(struct http_req *r)
{
    if (--r->refs)
        return;
    free(r->body);
    free(r->resp);
    free(r);
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
    if (r->wsi)
        lws_callback_on_writable(r->wsi);
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

static int check_api_key(struct lws *wsi, const struct config *cfg)
{
    char buf[512];
    int n = lws_hdr_custom_copy(wsi, buf, sizeof(buf), "x-api-key:", 10);
    if (n > 0)
        return key_matches(cfg->api_key, buf, (size_t)n);
    n = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n > 7 && strncasecmp(buf, "apikey ", 7) == 0) {
        const char *k = buf + 7;
        while (*k == ' ')
            k++;
        return key_matches(cfg->api_key, k, strlen(k));
    }
    return 0;
}

static void route(struct http_req *r)
{
    struct server *srv = r->srv;
    if (!strcmp(r->path, "/health")) {
        if (srv->stopping)
            respond_text(r, 503, "application/json", "{\"error\":\"shutting down\"}");
        else
            respond_text(r, 200, "application/json", "{}");
        return;
    }
    if (!strcmp(r->path, "/metrics")) {
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
        if (r->too_big) {
            api_count(srv, r->path + 5, 413);
            respond_text(r, 413, "application/json",
                         "{\"error\":{\"code\":107,\"message\":\"body too large\"}}");
            return;
        }
        api_handle(r, r->path + 5);
        return;
    }
    respond_text(r, 404, "application/json", "{\"error\":\"not found\"}");
}

#define HTTP_HDR_MAX 1024
#define HTTP_CHUNK 16384

/* Writes the next piece of the response: -1 error, 0 more to come, 1 done.
 * A small response (every API reply in practice) goes out as headers and
 * body in one write, in one writeable callback: plain HTTP/1.1 writes are
 * raw bytes in lws (no TLS here, so no h2 framing). */
static int write_response(struct http_req *r, struct lws *wsi)
{
    if (!r->headers_sent && r->resp_len <= HTTP_CHUNK && !lws_is_ssl(wsi)) {
        uint8_t buf[LWS_PRE + HTTP_HDR_MAX + HTTP_CHUNK], *start = buf + LWS_PRE, *p = start,
                *end = start + HTTP_HDR_MAX - 1;
        if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->ctype, r->resp_len, &p, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                         (const unsigned char *)"no-store", 8, &p, end) ||
            lws_finalize_http_header(wsi, &p, end))
            return -1;
        if (r->resp_len)
            memcpy(p, r->resp, r->resp_len);
        size_t n = (size_t)(p - start) + r->resp_len;
        r->headers_sent = 1;
        r->resp_off = r->resp_len;
        return lws_write(wsi, start, n, LWS_WRITE_HTTP_FINAL) == (int)n ? 1 : -1;
    }
    uint8_t hdr[LWS_PRE + HTTP_HDR_MAX], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
    if (!r->headers_sent) {
        if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->ctype, r->resp_len, &p, end))
            return -1;
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                         (const unsigned char *)"no-store", 8, &p, end))
            return -1;
        if (lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        r->headers_sent = 1;
        if (r->resp_len) {
            lws_callback_on_writable(wsi);
            return 0;
        }
        return 1;
    }
    /* body in chunks of up to 16 KiB, one write per callback */
    uint8_t buf[LWS_PRE + HTTP_CHUNK];
    size_t n = r->resp_len - r->resp_off;
    if (n > HTTP_CHUNK)
        n = HTTP_CHUNK;
    memcpy(buf + LWS_PRE, r->resp + r->resp_off, n);
    int final = r->resp_off + n == r->resp_len;
    if (lws_write(wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
        return -1;
    r->resp_off += n;
    if (!final) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    return 1;
}

/* Drops lws's reference to the request (a call still in flight keeps its own). */
static void detach(struct http_pss *pss)
{
    struct http_req *r = pss->req;
    if (!r)
        return;
    pss->req = NULL;
    r->wsi = NULL;
    http_req_release(r);
}

int http_callback(struct lws *wsi, int reason, void *user, void *in, size_t len)
{
    struct http_pss *pss = user;
    struct server *srv = lws_context_user(lws_get_context(wsi));
    struct http_req *r = pss ? pss->req : NULL;
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        detach(pss); /* keep-alive: a new transaction on the same connection */
        r = pss->req = calloc(1, sizeof(*r));
        if (!r)
            return -1;
        r->srv = srv;
        r->wsi = wsi;
        r->refs = 1;
        r->is_post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
        /* the mount strips its prefix: rebuild the full path from the header */
        char uri[256];
        int n = lws_hdr_copy(wsi, uri, sizeof(uri), r->is_post ? WSI_TOKEN_POST_URI : WSI_TOKEN_GET_URI);
        if (n < 0)
            n = 0;
        uri[n] = 0;
        char *q = strchr(uri, '?');
        if (q)
            *q = 0;
        snprintf(r->path, sizeof(r->path), "%s", uri);
        if (!strncmp(r->path, "/api", 4))
            r->authorized = check_api_key(wsi, srv->cfg);
        if (!r->is_post || !r->authorized) {
            route(r); /* no body to wait for (an unauthorized body is ignored) */
            return 0;
        }
        return 0;
    }
    case LWS_CALLBACK_HTTP_BODY:
        if (!r || r->status)
            return 0;
        if (r->body_len + len > srv->cfg->api_max_body_size) {
            r->too_big = 1;
            return 0;
        }
        if (r->body_len + len + 1 > r->body_cap) {
            size_t ncap = r->body_cap ? r->body_cap * 2 : 1024;
            while (ncap < r->body_len + len + 1)
                ncap *= 2;
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
        if (r && !r->status)
            route(r);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!r || !r->status)
            return 0;
        int w = write_response(r, wsi);
        if (w <= 0)
            return w;
        detach(pss);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
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
