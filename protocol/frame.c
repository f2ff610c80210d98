/* protocol/frame.c — refcounted frames and the wbuf builder (see frame.h). */
#include "protocol/frame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR (sizeof(struct frame) + FRAME_PRE)

struct frame *frame_new_copy(const void *p, size_t len)
{
    if (len > UINT32_MAX)
        return NULL;
    struct frame *f = malloc(HDR + len);
    if (!f)
        return NULL;
    f->refs = 1;
    f->len = (uint32_t)len;
    f->cls = FRAME_NORMAL;
    if (len)
        memcpy(frame_data(f), p, len);
    return f;
}

void frame_unref(struct frame *f)
{
    if (f && --f->refs == 0)
        free(f);
}

void wbuf_init(struct wbuf *b) { memset(b, 0, sizeof(*b)); }

void wbuf_reset(struct wbuf *b)
{
    b->len = 0;
    b->oom = 0;
    b->over = 0;
}

void wbuf_free(struct wbuf *b)
{
    free(b->base);
    wbuf_init(b);
}

int wbuf_reserve(struct wbuf *b, size_t extra)
{
    if (b->oom)
        return -ENOMEM;
    if (b->max && b->len + extra > b->max) {
        b->oom = 1;
        b->over = 1;
        return -E2BIG;
    }
    if (b->len + extra <= b->cap && b->base)
        return 0;
    size_t ncap = b->cap ? b->cap : 128;
    while (ncap < b->len + extra) {
        if (ncap > (SIZE_MAX - HDR) / 2) {
            b->oom = 1;
            return -ENOMEM;
        }
        ncap *= 2;
    }
    if (ncap > UINT32_MAX) {
        b->oom = 1;
        return -ENOMEM;
    }
    uint8_t *nb = realloc(b->base, HDR + ncap);
    if (!nb) {
        b->oom = 1;
        return -ENOMEM;
    }
    b->base = nb;
    b->cap = ncap;
    return 0;
}

void wbuf_put(struct wbuf *b, const void *p, size_t n)
{
    if (n == 0 || wbuf_reserve(b, n) != 0)
        return;
    memcpy(wbuf_data(b) + b->len, p, n);
    b->len += n;
}

void wbuf_putc(struct wbuf *b, uint8_t c)
{
    if (wbuf_reserve(b, 1) != 0)
        return;
    wbuf_data(b)[b->len++] = c;
}

void wbuf_puts(struct wbuf *b, const char *s) { wbuf_put(b, s, strlen(s)); }

void wbuf_put_u64(struct wbuf *b, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
    wbuf_put(b, tmp, (size_t)n);
}

void wbuf_put_i64(struct wbuf *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    wbuf_put(b, tmp, (size_t)n);
}

struct frame *wbuf_finish(struct wbuf *b)
{
    if (b->oom || wbuf_reserve(b, 0) != 0) {
        wbuf_free(b);
        return NULL;
    }
    struct frame *f = (struct frame *)b->base;
    f->refs = 1;
    f->len = (uint32_t)b->len;
    f->cls = FRAME_NORMAL;
    wbuf_init(b);
    return f;
}
