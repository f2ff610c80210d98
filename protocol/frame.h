/* protocol/frame.h — refcounted, immutable byte buffers that carry one encoded
 * protocol message each, with LWS_PRE bytes of headroom in front of the payload
 * so libwebsockets can write its frame header in place (no copy).
 *
 * Ownership: frame_new()/wbuf_finish() return a frame with refs == 1, owned by
 * the caller. Every holder (an outbound queue slot, a publication's encode
 * cache) owns one reference and drops it with frame_unref(). Loop thread only:
 * the refcount is not atomic.
 *
 * Every frame carries a class (enum frame_class), set by whoever builds it:
 * FRAME_NORMAL by default; FRAME_DROPPABLE marks a message a slow reader may
 * lose (typing indicators, coalesced counts): its outbound queue drops such
 * frames before it disconnects the reader (clients/outq.h). The class is a
 * property of the message, so every subscriber's queue sees the same one.
 *
 * struct wbuf is the growable builder the encoders write into; it reserves the
 * frame header and headroom up front so that finishing it hands the same
 * allocation over as a frame. */
#ifndef HEARTH_FRAME_H
#define HEARTH_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_PRE 16 /* == LWS_PRE on libwebsockets 4.1 (checked in server/ws_server.c) */

enum frame_class {
    FRAME_NORMAL = 0,     /* must reach the reader, or the reader is cut (3008) */
    FRAME_DROPPABLE = 1,  /* a queue short of room drops it first */
};

struct frame {
    uint32_t refs;
    uint32_t len;         /* payload bytes at frame_data() */
    uint8_t cls;          /* enum frame_class; FRAME_NORMAL from frame_new_copy/wbuf_finish */
    uint8_t pad_[3];      /* keeps mem at sizeof(struct frame) (wbuf_data relies on it) */
    uint8_t mem[];        /* FRAME_PRE headroom, then len payload bytes */
};

_Static_assert(offsetof(struct frame, mem) == sizeof(struct frame), "frame header has no tail padding");

static inline uint8_t *frame_data(struct frame *f) { return f->mem + FRAME_PRE; }

/* New frame holding a copy of len bytes at p. Returns NULL on OOM. */
struct frame *frame_new_copy(const void *p, size_t len);
static inline struct frame *frame_ref(struct frame *f) { f->refs++; return f; }
void frame_unref(struct frame *f); /* NULL-safe; frees at zero */
/* Set by the builder before the frame is shared (queues read it on push). */
static inline void frame_set_class(struct frame *f, enum frame_class c) { f->cls = (uint8_t)c; }
static inline int frame_droppable(const struct frame *f) { return f->cls == FRAME_DROPPABLE; }

/* Growable output buffer. Zero-initialise, or wbuf_init(). All put functions
 * are no-ops once an allocation failed or the payload would pass max;
 * wbuf_finish()/wbuf_ok() report it, and `over` says it was the limit (so a
 * reply too large for its client is never built whole). */
struct wbuf {
    uint8_t *base;   /* owned: sizeof(struct frame) + FRAME_PRE reserved, then data */
    size_t len;      /* payload bytes written */
    size_t cap;      /* payload capacity */
    size_t max;      /* payload limit, 0 = none (set after wbuf_init) */
    int oom;
    int over;        /* oom because the payload would pass max */
};

void wbuf_init(struct wbuf *b);
void wbuf_reset(struct wbuf *b);                 /* keep memory, len = 0 */
void wbuf_free(struct wbuf *b);
int wbuf_reserve(struct wbuf *b, size_t extra);  /* 0 or -ENOMEM */
void wbuf_put(struct wbuf *b, const void *p, size_t n);
void wbuf_putc(struct wbuf *b, uint8_t c);
void wbuf_puts(struct wbuf *b, const char *s);
void wbuf_put_u64(struct wbuf *b, uint64_t v);   /* decimal */
void wbuf_put_i64(struct wbuf *b, int64_t v);    /* decimal */
static inline uint8_t *wbuf_data(struct wbuf *b) {
    return b->base ? b->base + sizeof(struct frame) + FRAME_PRE : NULL;
}
static inline int wbuf_ok(const struct wbuf *b) { return !b->oom; }
/* Turn the buffer into a frame (refs = 1) and reset b to empty. NULL on OOM
 * (b is then freed too). */
struct frame *wbuf_finish(struct wbuf *b);

#endif
