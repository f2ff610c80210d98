/* bench/gen/ws.c — the generator's lean WebSocket/HTTP client connection:
 * TCP connect (optionally from one of several 127.0.0.x source addresses),
 * the HTTP upgrade, WebSocket frame parsing over large batched reads (one
 * shared read buffer for the whole loop; only an unfinished frame's bytes are
 * carried per connection), masked client frames, ping -> pong. What the
 * messages mean is dialect.c's business; HTTP publisher responses go to pub.c.
 * Loop thread only. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench.h"

static void on_closed(uv_handle_t *h) { (void)h; }

static void conn_close(struct conn *c)
{
    if (c->closed)
        return;
    c->closed = true;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

void conn_fail(struct conn *c, const char *why)
{
    struct bench *b = c->b;
    if (!c->is_pub && c->state < CS_READY) {
        b->n.connect_errors++;
        if (b->connecting)
            b->connecting--;
        if (!b->o.quiet && b->n.connect_errors <= 3)
            fprintf(stderr, "hearth-bench: connection %u failed: %s\n", c->idx, why);
    } else if (c->state == CS_READY) {
        b->n.closed_by_server++;
        if (!c->is_pub && b->room_subs[c->room])
            b->room_subs[c->room]--; /* its missing deliveries still count as loss */
        if (!b->o.quiet && b->n.closed_by_server <= 3)
            fprintf(stderr, "hearth-bench: %s %u closed: %s\n", c->is_pub ? "publisher" : "subscriber",
                    c->idx, why);
    }
    if (c->is_pub && c->in_flight) {
        b->n.publish_errors++;
        c->in_flight = false;
    }
    c->state = CS_FAILED;
    conn_close(c);
}

struct wreq {
    uv_write_t req;
    uv_buf_t buf;
    char data[];
};

static void on_written(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

/* Writes n bytes in order: straight to the socket when its queue is empty
 * (uv_try_write), the rest through a queued uv_write with a copy. */
int conn_send_raw(struct conn *c, const void *p, size_t n)
{
    if (c->closed)
        return -1;
    uv_buf_t ub = uv_buf_init((char *)p, (unsigned)n);
    int w = uv_try_write((uv_stream_t *)&c->tcp, &ub, 1);
    if (w == (int)n)
        return 0;
    if (w < 0 && w != UV_EAGAIN) {
        conn_fail(c, uv_strerror(w));
        return -1;
    }
    size_t done = w > 0 ? (size_t)w : 0;
    struct wreq *r = malloc(sizeof(*r) + n - done);
    if (!r)
        return -1;
    memcpy(r->data, (const char *)p + done, n - done);
    r->buf = uv_buf_init(r->data, (unsigned)(n - done));
    if (uv_write(&r->req, (uv_stream_t *)&c->tcp, &r->buf, 1, on_written) != 0) {
        free(r);
        conn_fail(c, "write failed");
        return -1;
    }
    return 0;
}

static uint32_t rng32(struct bench *b)
{
    b->rng ^= b->rng << 13;
    b->rng ^= b->rng >> 7;
    b->rng ^= b->rng << 17;
    return (uint32_t)b->rng;
}

int conn_send_ws(struct conn *c, uint8_t opcode, const void *p, size_t n)
{
    uint8_t stackbuf[1024];
    size_t hdr = n < 126 ? 2 : n < 65536 ? 4 : 10;
    size_t total = hdr + 4 + n;
    uint8_t *f = total <= sizeof(stackbuf) ? stackbuf : malloc(total);
    if (!f)
        return -1;
    f[0] = (uint8_t)(0x80 | opcode);
    if (n < 126) {
        f[1] = (uint8_t)(0x80 | n);
    } else if (n < 65536) {
        f[1] = 0x80 | 126;
        f[2] = (uint8_t)(n >> 8);
        f[3] = (uint8_t)n;
    } else {
        f[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            f[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    }
    uint32_t key = rng32(c->b);
    uint8_t *k = f + hdr;
    memcpy(k, &key, 4);
    const uint8_t *src = p;
    uint8_t *dst = k + 4;
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] ^ k[i & 3];
    int r = conn_send_raw(c, f, total);
    if (f != stackbuf)
        free(f);
    return r;
}

static int grow(uint8_t **buf, uint32_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 512;
    while (ncap < need)
        ncap *= 2;
    if (ncap > (1u << 30))
        return -1;
    uint8_t *nb = realloc(*buf, ncap);
    if (!nb)
        return -1;
    *buf = nb;
    *cap = (uint32_t)ncap;
    return 0;
}

static void on_frame(struct conn *c, uint8_t b0, uint8_t *p, size_t n)
{
    uint8_t op = b0 & 0x0f;
    bool fin = b0 & 0x80;
    c->b->n.frames_in++;
    switch (op) {
    case 0x8: {
        uint16_t code = n >= 2 ? (uint16_t)(p[0] << 8 | p[1]) : 1005;
        c->b->n.last_close_code = code;
        char why[96];
        snprintf(why, sizeof(why), "close frame %u %.*s", code, n > 2 ? (int)(n - 2 > 60 ? 60 : n - 2) : 0,
                 n > 2 ? (const char *)p + 2 : "");
        conn_fail(c, why);
        return;
    }
    case 0x9:
        conn_send_ws(c, 0xA, p, n);
        return;
    case 0xA:
        return;
    default:
        break;
    }
    if (fin && op != 0 && c->mlen == 0) {
        dialect_on_message(c, op, p, n);
        return;
    }
    if (op != 0)
        c->msg_op = op;
    if (c->mlen + n > (64u << 20) || grow(&c->msg, &c->mcap, c->mlen + n) != 0) {
        conn_fail(c, "message too large");
        return;
    }
    memcpy(c->msg + c->mlen, p, n);
    c->mlen += (uint32_t)n;
    if (fin) {
        uint32_t m = c->mlen;
        c->mlen = 0;
        dialect_on_message(c, c->msg_op, c->msg, m);
    }
}

/* Parses as much of p/n as forms complete units; returns bytes consumed. */
static size_t parse(struct conn *c, uint8_t *p, size_t n)
{
    size_t off = 0;
    while (!c->closed && off < n) {
        uint8_t *q = p + off;
        size_t avail = n - off;
        if (c->is_http) {
            size_t used = pub_http_parse(c, q, avail);
            if (!used)
                break;
            off += used;
            continue;
        }
        if (c->state == CS_HANDSHAKE) {
            uint8_t *e = memmem(q, avail, "\r\n\r\n", 4);
            if (!e) {
                if (avail > 16384)
                    conn_fail(c, "handshake response too large");
                break;
            }
            if (avail < 12 || memcmp(q + 9, "101", 3) != 0) {
                char why[64];
                snprintf(why, sizeof(why), "handshake refused: %.*s", (int)(avail < 40 ? avail : 40), q);
                for (char *s = why; *s; s++)
                    if (*s == '\r' || *s == '\n')
                        *s = ' ';
                conn_fail(c, why);
                break;
            }
            off += (size_t)(e - q) + 4;
            c->state = CS_OPEN;
            dialect_on_open(c);
            continue;
        }
        if (avail < 2)
            break;
        size_t len = q[1] & 0x7f, hdr = 2;
        if (len == 126) {
            if (avail < 4)
                break;
            len = (size_t)q[2] << 8 | q[3];
            hdr = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | q[2 + i];
            hdr = 10;
            if (len > (64u << 20)) {
                conn_fail(c, "frame too large");
                break;
            }
        }
        bool masked = q[1] & 0x80;
        if (masked)
            hdr += 4;
        if (avail < hdr + len)
            break;
        uint8_t *payload = q + hdr;
        if (masked)
            for (size_t i = 0; i < len; i++)
                payload[i] ^= q[hdr - 4 + (i & 3)];
        off += hdr + len;
        on_frame(c, q[0], payload, len);
    }
    return off;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    struct conn *c = h->data;
    *buf = uv_buf_init((char *)c->b->rd, (unsigned)c->b->rd_size);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    (void)buf;
    if (nread < 0) {
        conn_fail(c, nread == UV_EOF ? "connection closed" : uv_strerror((int)nread));
        return;
    }
    if (nread == 0)
        return;
    c->b->n.bytes_in += (uint64_t)nread;
    uint8_t *data = c->b->rd;
    size_t n = (size_t)nread;
    if (c->rlen) { /* finish the frame carried over from the last read */
        if (grow(&c->rbuf, &c->rcap, c->rlen + n) != 0) {
            conn_fail(c, "out of memory");
            return;
        }
        memcpy(c->rbuf + c->rlen, data, n);
        data = c->rbuf;
        n = c->rlen + n;
    }
    size_t used = parse(c, data, n);
    if (c->closed)
        return;
    size_t rest = n - used;
    if (rest == 0) {
        c->rlen = 0;
        if (c->rcap > 65536) {
            free(c->rbuf);
            c->rbuf = NULL;
            c->rcap = 0;
        }
    } else if (data == c->rbuf) {
        memmove(c->rbuf, c->rbuf + used, rest);
        c->rlen = (uint32_t)rest;
    } else {
        if (grow(&c->rbuf, &c->rcap, rest) != 0) {
            conn_fail(c, "out of memory");
            return;
        }
        memcpy(c->rbuf, data + used, rest);
        c->rlen = (uint32_t)rest;
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    struct conn *c = req->data;
    struct bench *b = c->b;
    if (status < 0) {
        conn_fail(c, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0) {
        /* close with RST at exit: no TIME_WAIT pile-up across many runs */
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    if (!c->is_pub)
        b->n.connected++;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (c->is_http) {
        c->state = CS_READY;
        return;
    }
    const struct url *u = c->is_pub ? &b->o.pub_url : &b->o.urls[c->url_i];
    char path[512];
    /* expand {room} */
    const char *ph = strstr(u->path, "{room}");
    if (ph)
        snprintf(path, sizeof(path), "%.*s%s%u%s", (int)(ph - u->path), u->path, b->o.room_prefix,
                 c->room, ph + 6);
    else
        snprintf(path, sizeof(path), "%s", u->path);
    char req_s[1024];
    int n = snprintf(req_s, sizeof(req_s),
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                     path, u->host, u->port,
                     b->o.dialect == D_MSGPACK && !c->is_pub ? "Sec-WebSocket-Protocol: hearth-msgpack\r\n" : "");
    c->state = CS_HANDSHAKE;
    conn_send_raw(c, req_s, (size_t)n);
}

void conn_start(struct bench *b, struct conn *c)
{
    c->b = b;
    c->state = CS_CONNECTING;
    c->t_start_us = now_us();
    uv_tcp_init(b->loop, &c->tcp);
    c->tcp.data = c;
    c->creq.data = c;
    const struct url *u = c->is_pub ? &b->o.pub_url : &b->o.urls[c->url_i];
    if (b->o.src_addrs > 1 || b->o.src_base) {
        struct sockaddr_in src;
        char ip[32];
        snprintf(ip, sizeof(ip), "127.0.0.%u", 1 + b->o.src_base + c->idx % (b->o.src_addrs ? b->o.src_addrs : 1));
        uv_ip4_addr(ip, 0, &src);
        uv_tcp_bind(&c->tcp, (const struct sockaddr *)&src, 0);
    }
    struct sockaddr_in dst;
    uv_ip4_addr(u->host, u->port, &dst);
    int r = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&dst, on_connect);
    if (r != 0)
        conn_fail(c, uv_strerror(r));
}
