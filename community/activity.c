/* community/activity.c — activity.h. Rooms with pending counts and the
 * chatter memo are dict entries owned here; each distinct-chatter check owns
 * one struct chatter until its store callback. */
#include "community/activity.h"

#include <stdlib.h>
#include <string.h>

#include "community/members_stats.h"
#include "node/gate.h"
#include "node/node.h"
#include "rooms/store.h"

#define SPAN_OF(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})

struct act_room {
    struct dict_entry de;     /* key = channel */
    int64_t messages;
    size_t len;
    char name[];
};

struct act_memo {
    struct dict_entry de;     /* key = channel\x1fuser */
    size_t len;
    char key[];
};

struct chatter {
    struct node *node;
    size_t chlen;
};

static void incr(struct node *node, const char *ch, size_t chlen, char tag, int64_t by)
{
    char k[RECORD_KEY_MAX];
    if (chlen + 2 > sizeof(k))
        return;
    memcpy(k, ch, chlen);
    k[chlen] = 0x1f;
    k[chlen + 1] = tag;
    node->store->ops->record_incr(node->store, SPAN_OF(ACT_CHAT_KIND),
                                  (struct span){(const uint8_t *)k, chlen + 2}, by,
                                  node_now_ms(node) + ACT_TTL_MS, NULL, NULL);
}

/* on_chatter's key travels after the struct */
static void on_chatter(void *arg, int err, const struct record *recs, size_t n)
{
    struct chatter *c = arg;
    (void)recs;
    if (!err && n == 0) /* first message of this user in this room */
        incr(c->node, (const char *)(c + 1), c->chlen, 'k', 1);
    free(c);
}

static void clear(struct dict *d)
{
    struct dict_iter it;
    dict_iter_init(&it, d);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        dict_remove(d, e);
        free(e); /* both entry types begin with their dict_entry */
    }
}

/* The first time this node sees user in the room: ask the store (NX). */
static void chatter(struct activity *a, struct span ch, struct span user)
{
    int64_t hour = node_now_ms(a->node) / 3600000;
    if (hour != a->memo_hour) {
        clear(&a->memo);
        a->memo_hour = hour;
    }
    size_t klen = ch.n + 1 + user.n;
    if (klen > RECORD_KEY_MAX)
        return;
    char key[RECORD_KEY_MAX];
    memcpy(key, ch.p, ch.n);
    key[ch.n] = 0x1f;
    memcpy(key + ch.n + 1, user.p, user.n);
    if (dict_find(&a->memo, key, klen))
        return;
    if (a->memo.count < ACT_MEMO_MAX) {
        struct act_memo *m = malloc(sizeof(*m) + klen);
        if (m) {
            memcpy(m->key, key, klen);
            m->len = klen;
            m->de.key = m->key;
            m->de.klen = klen;
            if (dict_insert(&a->memo, &m->de))
                free(m);
        }
    }
    struct chatter *c = malloc(sizeof(*c) + ch.n);
    if (!c)
        return;
    c->node = a->node;
    c->chlen = ch.n;
    memcpy(c + 1, ch.p, ch.n);
    struct record r = {.key = {(const uint8_t *)key, klen}, .value = SPAN_OF("1"),
                       .expire_ms = node_now_ms(a->node) + ACT_TTL_MS};
    if (a->node->store->ops->record_put(a->node->store, SPAN_OF(ACT_CHATTER_KIND), &r, RECORD_NX,
                                        on_chatter, c))
        free(c);
}

static struct gate_verdict on_publish(void *ctx, struct gate_req *req)
{
    struct activity *a = ctx;
    struct publication *p = gate_req_publication(req);
    /* every publication that reaches this hook in a chat namespace is a
     * message (the chat hook made it canonical or refused it; the layer's
     * own events are trusted and skip hooks) */
    struct dict_entry *e = dict_find(&a->pending, p->channel.p, p->channel.n);
    struct act_room *r = e ? DICT_CONTAINER(e, struct act_room, de) : NULL;
    if (!r && a->pending.count < ACT_ROOMS_MAX && (r = malloc(sizeof(*r) + p->channel.n))) {
        memcpy(r->name, p->channel.p, p->channel.n);
        r->len = p->channel.n;
        r->messages = 0;
        r->de.key = r->name;
        r->de.klen = r->len;
        if (dict_insert(&a->pending, &r->de)) {
            free(r);
            r = NULL;
        }
    }
    if (r)
        r->messages++;
    else
        incr(a->node, (const char *)p->channel.p, p->channel.n, 'm', 1);
    int64_t day = node_now_ms(a->node) / 86400000;
    if (day != a->day && a->day_messages) { /* a new day: the old one's count goes now */
        members_stats_messages(a->node, a->day, a->day_messages);
        a->day_messages = 0;
    }
    a->day = day;
    a->day_messages++;
    if (p->has_info && p->info.user.n)
        chatter(a, p->channel, p->info.user);
    return (struct gate_verdict){.kind = GATE_ALLOW};
}

static void flush(struct activity *a)
{
    struct dict_iter it;
    dict_iter_init(&it, &a->pending);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        struct act_room *r = DICT_CONTAINER(e, struct act_room, de);
        if (r->messages)
            incr(a->node, r->name, r->len, 'm', r->messages);
        dict_remove(&a->pending, e);
        free(r);
    }
    if (a->day_messages)
        members_stats_messages(a->node, a->day, a->day_messages);
    a->day_messages = 0;
}

static void on_timer(uv_timer_t *t) { flush(t->data); }

static bool is_chat(const struct ns_config *ns) { return ns->chat; }

struct activity *activity_new(struct node *node)
{
    struct activity *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->node = node;
    dict_init(&a->pending);
    dict_init(&a->memo);
    if (gate_hook_add_where(&node->gate, is_chat, on_publish, a) != 0) {
        free(a);
        return NULL;
    }
    uv_timer_init(node->loop, &a->timer);
    a->timer.data = a;
    uv_timer_start(&a->timer, on_timer, ACT_FLUSH_MS, ACT_FLUSH_MS);
    uv_unref((uv_handle_t *)&a->timer);
    return a;
}

static void on_closed(uv_handle_t *h) { (void)h; }

void activity_stop(struct activity *a)
{
    if (!a || a->stopped)
        return;
    a->stopped = true;
    flush(a); /* the last second's counts, while the store still takes them */
    uv_close((uv_handle_t *)&a->timer, on_closed);
}

void activity_free(struct activity *a)
{
    if (!a)
        return;
    clear(&a->pending);
    clear(&a->memo);
    dict_free(&a->pending);
    dict_free(&a->memo);
    free(a);
}
