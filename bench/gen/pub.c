/* bench/gen/pub.c — the publisher side: a schedule that issues publishes at
 * the target rate (round-robin over rooms), carried by either
 *   - HTTP keep-alive connections, one request in flight each: hearth's
 *     server API (POST /api/publish with X-API-Key) or a raw POST whose body
 *     is the payload (nchan /pub, the Node peers' /pub/<room>), or
 *   - one WebSocket client speaking hearth JSON (publish commands, several
 *     per frame), for namespaces with allow_publish; --ws-inflight caps the
 *     publishes awaiting a reply (a bot that waits for its acks), and a reply
 *     sends the next due publish at once, as an HTTP response does.
 * A publish counts as published when the server acknowledged it (2xx without
 * an "error" member / a publish reply without error); only acknowledged
 * publishes add to the deliveries expected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"

#define WS_INFLIGHT_MAX 65536u

size_t marker_format(char *out, uint32_t room, uint32_t stream, uint32_t seq, uint64_t t, uint32_t payload)
{
    int n = sprintf(out, "~H%u:%u:%u:%llu;", room, stream, seq, (unsigned long long)t);
    size_t len = (size_t)n;
    while (len < payload)
        out[len++] = 'x';
    out[len] = 0;
    return len;
}

void pub_start(struct bench *b)
{
    for (uint32_t i = 0; i < b->o.pub_conns; i++) {
        struct conn *c = &b->pubs[i];
        c->idx = i;
        c->is_pub = true;
        c->is_http = b->o.pub != PUB_WS;
        conn_start(b, c);
    }
}

/* next room on the schedule, and the sequence number of (room, stream) */
static void next_pub(struct bench *b, uint32_t stream, uint32_t *room, uint32_t *seq)
{
    *room = b->pub_rr;
    b->pub_rr = (b->pub_rr + 1) % b->o.rooms;
    *seq = b->room_seq[(size_t)*room * b->streams + stream]++;
}

static void http_send(struct bench *b, struct conn *c)
{
    uint32_t room, seq;
    next_pub(b, c->idx, &room, &seq);
    char payload[4096];
    size_t plen = marker_format(payload, room, c->idx, seq, (uint64_t)now_us(), b->o.payload);
    char body[4400];
    size_t blen;
    if (b->o.pub == PUB_API)
        blen = (size_t)snprintf(body, sizeof(body),
                                b->o.chat ? "{\"channel\":\"%s%u\",\"data\":{\"text\":\"%s\"}}"
                                          : "{\"channel\":\"%s%u\",\"data\":\"%s\"}",
                                b->o.room_prefix, room, payload);
    else {
        memcpy(body, payload, plen);
        blen = plen;
    }
    const struct url *u = &b->o.pub_url;
    char path[512];
    const char *ph = strstr(u->path, "{room}");
    if (ph)
        snprintf(path, sizeof(path), "%.*s%s%u%s", (int)(ph - u->path), u->path, b->o.room_prefix, room,
                 ph + 6);
    else
        snprintf(path, sizeof(path), "%s", u->path);
    char req[5200];
    int n = snprintf(req, sizeof(req),
                     "POST %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%sContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                     path, u->host, u->port, b->o.api_key ? "X-API-Key: " : "",
                     b->o.api_key ? b->o.api_key : "", b->o.api_key ? "\r\n" : "",
                     b->o.pub == PUB_API ? "application/json" : "text/plain", blen);
    memcpy(req + n, body, blen);
    c->in_flight = true;
    c->pub_sent_us = now_us();
    c->pub_room = room;
    c->pub_seq = seq;
    b->n.publish_attempts++;
    conn_send_raw(c, req, (size_t)n + blen);
}

size_t pub_http_parse(struct conn *c, const uint8_t *p, size_t n)
{
    struct bench *b = c->b;
    const uint8_t *e = memmem(p, n, "\r\n\r\n", 4);
    if (!e) {
        if (n > 65536)
            conn_fail(c, "response headers too large");
        return 0;
    }
    size_t hlen = (size_t)(e - p) + 4;
    int status = n > 12 ? atoi((const char *)p + 9) : 0;
    /* headers: Content-Length or chunked */
    size_t clen = 0;
    bool chunked = false;
    for (const uint8_t *l = p; l < e;) {
        const uint8_t *le = memmem(l, (size_t)(e + 2 - l), "\r\n", 2);
        if (!le)
            break;
        size_t ll = (size_t)(le - l);
        if (ll > 15 && strncasecmp((const char *)l, "content-length:", 15) == 0)
            clen = (size_t)strtoul((const char *)l + 15, NULL, 10);
        else if (ll > 18 && strncasecmp((const char *)l, "transfer-encoding:", 18) == 0 &&
                 memmem(l, ll, "chunked", 7))
            chunked = true;
        l = le + 2;
    }
    size_t total;
    const uint8_t *body = p + hlen;
    size_t body_len;
    if (chunked) {
        size_t off = hlen;
        for (;;) {
            const uint8_t *le = memmem(p + off, n - off, "\r\n", 2);
            if (!le)
                return 0;
            size_t sz = (size_t)strtoul((const char *)p + off, NULL, 16);
            off = (size_t)(le - p) + 2;
            if (n - off < sz + 2)
                return 0;
            off += sz + 2;
            if (sz == 0)
                break;
        }
        total = off;
        body_len = total - hlen;
    } else {
        if (n - hlen < clen)
            return 0;
        total = hlen + clen;
        body_len = clen;
    }
    bool ok = status >= 200 && status < 300 && !memmem(body, body_len, "\"error\"", 7);
    if (c->in_flight) {
        c->in_flight = false;
        hist_add(&b->pub_lat, (uint64_t)(now_us() - c->pub_sent_us));
        bench_on_pub_ack(b, c->pub_room, ok);
        if (!ok && !b->o.quiet && b->n.publish_errors <= 3)
            fprintf(stderr, "hearth-bench: publish failed: HTTP %d %.*s\n", status,
                    (int)(body_len > 120 ? 120 : body_len), (const char *)body);
    }
    if (b->phase == 2 && b->pub_pending && c->state == CS_READY) {
        b->pub_pending--;
        http_send(b, c);
    }
    return total;
}

static void ws_send_batch(struct bench *b, struct conn *c);

void pub_ws_on_reply(struct conn *c, uint32_t id, bool ok)
{
    struct bench *b = c->b;
    (void)id;
    if (!b->ws_count)
        return;
    uint32_t room = b->ws_inflight[b->ws_head];
    hist_add(&b->pub_lat, (uint64_t)(now_us() - b->ws_sent_us[b->ws_head]));
    b->ws_head = (b->ws_head + 1) % WS_INFLIGHT_MAX;
    b->ws_count--;
    bench_on_pub_ack(b, room, ok);
    if (b->phase == 2 && b->pub_pending && c->state == CS_READY && !c->closed)
        ws_send_batch(b, c);
}

static void ws_send_batch(struct bench *b, struct conn *c)
{
    char frame[65536];
    size_t len = 0;
    uint32_t cap = b->o.ws_inflight && b->o.ws_inflight < WS_INFLIGHT_MAX ? b->o.ws_inflight : WS_INFLIGHT_MAX;
    while (b->pub_pending && b->ws_count < cap && len + 4600 < sizeof(frame)) {
        uint32_t room, seq;
        next_pub(b, 0, &room, &seq);
        char payload[4096];
        marker_format(payload, room, 0, seq, (uint64_t)now_us(), b->o.payload);
        if (len)
            frame[len++] = '\n';
        len += (size_t)snprintf(frame + len, sizeof(frame) - len,
                                b->o.chat
                                    ? "{\"id\":%u,\"publish\":{\"channel\":\"%s%u\",\"data\":{\"text\":\"%s\"}}}"
                                    : "{\"id\":%u,\"publish\":{\"channel\":\"%s%u\",\"data\":\"%s\"}}",
                                c->ws_pub_next_id++, b->o.room_prefix, room, payload);
        b->ws_inflight[(b->ws_head + b->ws_count) % WS_INFLIGHT_MAX] = room;
        b->ws_sent_us[(b->ws_head + b->ws_count) % WS_INFLIGHT_MAX] = now_us();
        b->ws_count++;
        b->pub_pending--;
        b->n.publish_attempts++;
    }
    if (len)
        conn_send_ws(c, 0x1, frame, len);
}

void pub_tick(struct bench *b)
{
    int64_t now = now_us();
    double elapsed = (double)(now - b->t_pub_start_us) / 1e6;
    if (elapsed > b->o.seconds)
        elapsed = b->o.seconds;
    uint64_t due = (uint64_t)(b->o.rate * elapsed);
    if (due > b->pub_due_total) {
        b->pub_pending += due - b->pub_due_total;
        b->pub_due_total = due;
    }
    if (!b->pub_pending)
        return;
    if (b->o.pub == PUB_WS) {
        struct conn *c = &b->pubs[0];
        if (c->state == CS_READY && !c->closed) {
            if (!c->ws_pub_next_id)
                c->ws_pub_next_id = 2;
            ws_send_batch(b, c);
        }
        return;
    }
    for (uint32_t i = 0; i < b->o.pub_conns && b->pub_pending; i++) {
        struct conn *c = &b->pubs[i];
        if (c->state == CS_READY && !c->closed && !c->in_flight) {
            b->pub_pending--;
            http_send(b, c);
        }
    }
}
