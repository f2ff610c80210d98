/* rooms/hub.c — local channel registry and fan-out (see hub.h). */
#include "rooms/hub.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/proto.h"

void hub_init(struct hub *h, const struct hub_ops *ops)
{
    memset(h, 0, sizeof(*h));
    dict_init(&h->rooms);
    h->ops = ops;
}

void hub_free(struct hub *h)
{
    struct dict_iter it;
    dict_iter_init(&it, &h->rooms);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        struct hub_room *r = DICT_CONTAINER(e, struct hub_room, de);
        free(r->subs);
        free(r);
    }
    dict_free(&h->rooms);
}

struct hub_room *hub_find(struct hub *h, struct span channel)
{
    struct dict_entry *e = dict_find(&h->rooms, channel.p, channel.n);
    return e ? DICT_CONTAINER(e, struct hub_room, de) : NULL;
}

uint32_t hub_room_count(const struct hub *h) { return (uint32_t)h->rooms.count; }

static void room_free(struct hub *h, struct hub_room *r)
{
    struct span ch = {(const uint8_t *)r->name, r->name_len};
    if (h->engine)
        h->engine->ops->unsubscribe(h->engine, ch);
    dict_remove(&h->rooms, &r->de);
    free(r->subs);
    free(r);
}

int hub_link(struct hub *h, struct sub *s)
{
    struct span ch = {(const uint8_t *)s->channel, s->channel_len};
    struct hub_room *r = hub_find(h, ch);
    bool created = false;
    if (!r) {
        r = calloc(1, sizeof(*r) + ch.n + 1);
        if (!r)
            return -ENOMEM;
        memcpy(r->name, ch.p, ch.n);
        r->name_len = ch.n;
        r->de.key = r->name;
        r->de.klen = ch.n;
        if (dict_insert(&h->rooms, &r->de) != 0) {
            free(r);
            return -ENOMEM;
        }
        created = true;
    }
    if (r->nsubs == r->cap) {
        uint32_t ncap = r->cap ? r->cap * 2 : 2; /* 2 pointers: glibc's smallest chunk */
        struct sub **ns = realloc(r->subs, sizeof(*ns) * ncap);
        if (!ns) {
            if (created) {
                dict_remove(&h->rooms, &r->de);
                free(r);
            }
            return -ENOMEM;
        }
        r->subs = ns;
        r->cap = ncap;
    }
    s->room = r;
    s->index = r->nsubs;
    r->subs[r->nsubs++] = s;
    h->nsubs++;
    if (created && h->engine)
        h->engine->ops->subscribe(h->engine, ch);
    return 0;
}

void hub_unlink(struct hub *h, struct sub *s)
{
    struct hub_room *r = s->room;
    if (!r)
        return;
    struct sub *last = r->subs[--r->nsubs];
    r->subs[s->index] = last;
    last->index = s->index;
    s->room = NULL;
    h->nsubs--;
    for (uint32_t i = 0; i < s->nbuf; i++)
        publication_unref(s->buf[i]);
    free(s->buf);
    s->buf = NULL;
    s->nbuf = s->capbuf = 0;
    if (r->nsubs == 0) {
        if (!r->busy)
            room_free(h, r);
    } else if (r->cap > 16 && r->nsubs < r->cap / 4) {
        struct sub **ns = realloc(r->subs, sizeof(*ns) * (r->cap / 2));
        if (ns) {
            r->subs = ns;
            r->cap /= 2;
        }
    }
}

static void buffer_pub(struct sub *s, struct publication *pub)
{
    if (s->nbuf == s->capbuf) {
        if (s->capbuf >= HUB_PENDING_MAX)
            return; /* the merge sees the gap and answers insufficient state */
        uint32_t ncap = s->capbuf ? s->capbuf * 2 : 8;
        struct publication **nb = realloc(s->buf, sizeof(*nb) * ncap);
        if (!nb)
            return;
        s->buf = nb;
        s->capbuf = (uint16_t)ncap; /* <= HUB_PENDING_MAX */
    }
    s->buf[s->nbuf++] = publication_ref(pub);
}

void hub_on_publication(void *arg, struct publication *pub)
{
    struct hub *h = arg;
    struct hub_room *r = hub_find(h, pub->channel);
    if (!r)
        return;
    /* walking backwards keeps the walk valid when the visited sub unlinks
     * itself (the swapped-in last sub was visited already); busy keeps the
     * room alive until the walk ends */
    r->busy++;
    for (uint32_t i = r->nsubs; i > 0; i--) {
        if (i > r->nsubs)
            continue;
        struct sub *s = r->subs[i - 1];
        if (s->pending)
            buffer_pub(s, pub);
        else
            h->ops->deliver_pub(s, pub);
    }
    if (--r->busy == 0 && r->nsubs == 0)
        room_free(h, r);
}

void hub_on_join(void *arg, struct span channel, const struct clientinfo *info, bool leave)
{
    struct hub *h = arg;
    struct hub_room *r = hub_find(h, channel);
    if (!r)
        return;
    struct frame *enc[WIRE_COUNT] = {0};
    r->busy++;
    for (uint32_t i = r->nsubs; i > 0; i--) {
        if (i > r->nsubs)
            continue;
        struct sub *s = r->subs[i - 1];
        if (!s->push_join_leave || s->pending)
            continue;
        if (!enc[s->wire]) {
            struct wbuf b;
            wbuf_init(&b);
            if (proto_encode_push_join(s->wire, &b, channel, info, leave) != 0) {
                wbuf_free(&b);
                continue;
            }
            enc[s->wire] = wbuf_finish(&b);
            if (!enc[s->wire])
                continue;
        }
        h->ops->deliver_frame(s, enc[s->wire]);
    }
    if (--r->busy == 0 && r->nsubs == 0)
        room_free(h, r);
    for (int w = 0; w < WIRE_COUNT; w++)
        frame_unref(enc[w]);
}

void hub_on_gap(void *arg, struct span channel)
{
    struct hub *h = arg;
    struct hub_room *r = hub_find(h, channel);
    if (!r || !h->ops->deliver_gap)
        return;
    r->busy++;
    for (uint32_t i = r->nsubs; i > 0; i--) {
        if (i > r->nsubs)
            continue;
        struct sub *s = r->subs[i - 1];
        if (s->positioned && !s->pending)
            h->ops->deliver_gap(s);
    }
    if (--r->busy == 0 && r->nsubs == 0)
        room_free(h, r);
}

struct publication **sub_take_buffer(struct sub *s, uint32_t *n)
{
    struct publication **b = s->buf;
    *n = s->nbuf;
    s->buf = NULL;
    s->nbuf = s->capbuf = 0;
    s->pending = false;
    return b;
}
