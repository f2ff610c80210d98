/* rooms/redis_uv.c — hiredis async events on a uv_poll_t (see redis_uv.h).
 * Owns struct ruv (one per attached context); hiredis owns the context. */
#include "rooms/redis_uv.h"

#include <stdlib.h>

struct ruv {
    redisAsyncContext *ac;   /* borrowed; NULL once hiredis cleaned up */
    uv_poll_t poll;
    int events;              /* UV_READABLE | UV_WRITABLE we asked for */
};

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct ruv *p = h->data;
    if (status < 0)
        events = p->events; /* let hiredis find the error itself */
    if (p->ac && (events & UV_READABLE))
        redisAsyncHandleRead(p->ac);
    if (p->ac && (events & UV_WRITABLE))
        redisAsyncHandleWrite(p->ac); /* p->ac is NULL if the read freed it */
}

static void update(struct ruv *p)
{
    if (uv_is_closing((uv_handle_t *)&p->poll))
        return;
    if (p->events)
        uv_poll_start(&p->poll, p->events, on_poll);
    else
        uv_poll_stop(&p->poll);
}

static void add_read(void *d) { struct ruv *p = d; p->events |= UV_READABLE; update(p); }
static void del_read(void *d) { struct ruv *p = d; p->events &= ~UV_READABLE; update(p); }
static void add_write(void *d) { struct ruv *p = d; p->events |= UV_WRITABLE; update(p); }
static void del_write(void *d) { struct ruv *p = d; p->events &= ~UV_WRITABLE; update(p); }

static void on_closed(uv_handle_t *h) { free(h->data); }

static void cleanup(void *d)
{
    struct ruv *p = d;
    p->ac = NULL; /* hiredis frees the context right after this */
    uv_close((uv_handle_t *)&p->poll, on_closed);
}

int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    if (ac->ev.data)
        return -1;
    struct ruv *p = calloc(1, sizeof(*p));
    if (!p)
        return -1;
    if (uv_poll_init(loop, &p->poll, ac->c.fd) != 0) {
        free(p);
        return -1;
    }
    p->ac = ac;
    p->poll.data = p;
    ac->ev.data = p;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return 0;
}
