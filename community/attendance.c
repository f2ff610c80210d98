/* community/attendance.c — attendance.h. Each join/leave owns one struct
 * change through its chain of store callbacks; each query one struct query. */
#include "community/attendance.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/members.h"
#include "node/node.h"
#include "rooms/store.h"

#define SPAN_OF(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})
#define KEY_MAX (RECORD_KEY_MAX)

struct change {
    struct node *node;
    char key[KEY_MAX];        /* channel \x1f user */
    size_t klen, chlen;       /* the channel is key[0..chlen) */
    int64_t now;
    bool joined;
};

static struct span key_of(const struct change *x) { return (struct span){(const uint8_t *)x->key, x->klen}; }

static int64_t num(const struct record *r)
{
    char b[24];
    size_t n = r->value.n < sizeof(b) - 1 ? r->value.n : sizeof(b) - 1;
    memcpy(b, r->value.p, n);
    b[n] = 0;
    return strtoll(b, NULL, 10);
}

/* channel \x1f tag */
static struct span stat_key(const struct change *x, char tag, char *buf)
{
    memcpy(buf, x->key, x->chlen);
    buf[x->chlen] = 0x1f;
    buf[x->chlen + 1] = tag;
    return (struct span){(const uint8_t *)buf, x->chlen + 2};
}

static void on_peak(void *arg, int err, const struct record *recs, size_t n)
{
    struct change *x = arg;
    /* x->now holds the new concurrent figure here */
    if (!err && (n == 0 || num(&recs[0]) < x->now)) {
        char kb[KEY_MAX + 2], vb[24];
        int vl = snprintf(vb, sizeof(vb), "%lld", (long long)x->now);
        struct record r = {.key = stat_key(x, 'p', kb), .value = {(const uint8_t *)vb, (size_t)vl}};
        x->node->store->ops->record_put(x->node->store, SPAN_OF(ATTEND_STAT_KIND), &r, 0, NULL, NULL);
    }
    free(x);
}

static void on_concurrent(void *arg, int err, const struct record *recs, size_t n)
{
    struct change *x = arg;
    if (err || n == 0) {
        free(x);
        return;
    }
    x->now = num(&recs[0]);
    char kb[KEY_MAX + 2];
    if (x->node->store->ops->record_get(x->node->store, SPAN_OF(ATTEND_STAT_KIND),
                                        stat_key(x, 'p', kb), on_peak, x))
        free(x);
}

static void on_seen(void *arg, int err, const struct record *recs, size_t n)
{
    struct change *x = arg;
    (void)recs;
    if (!err && n == 0) { /* first time this user attends this channel */
        char kb[KEY_MAX + 2];
        x->node->store->ops->record_incr(x->node->store, SPAN_OF(ATTEND_STAT_KIND),
                                         stat_key(x, 'u', kb), 1, 0, NULL, NULL);
    }
    free(x);
}

static struct change *dup_change(const struct change *x)
{
    struct change *y = malloc(sizeof(*y));
    if (y)
        *y = *x;
    return y;
}

static void on_count(void *arg, int err, const struct record *recs, size_t n)
{
    struct change *x = arg;
    struct store *st = x->node->store;
    char kb[KEY_MAX + 2];
    if (err) {
        free(x);
        return;
    }
    if (!x->joined && n == 1 && num(&recs[0]) < 0) {
        /* a leave whose join was never counted (its count had expired) */
        st->ops->record_del(st, SPAN_OF(ATTEND_N_KIND), key_of(x), NULL, NULL);
        free(x);
        return;
    }
    if (x->joined && n == 1 && num(&recs[0]) == 1) { /* arrived: 0 -> 1 subscriptions */
        char vb[24];
        int vl = snprintf(vb, sizeof(vb), "%lld", (long long)x->now);
        struct record since = {.key = key_of(x), .value = {(const uint8_t *)vb, (size_t)vl},
                               .expire_ms = x->now + ATTEND_TTL_MS};
        st->ops->record_put(st, SPAN_OF(ATTEND_SINCE_KIND), &since, 0, NULL, NULL);
        struct record seen = {.key = key_of(x), .value = {(const uint8_t *)"1", 1},
                              .expire_ms = x->now + ATTEND_SEEN_TTL_MS};
        struct change *y = dup_change(x);
        if (y && st->ops->record_put(st, SPAN_OF(ATTEND_SEEN_KIND), &seen, RECORD_NX, on_seen, y))
            free(y);
        if (st->ops->record_incr(st, SPAN_OF(ATTEND_STAT_KIND), stat_key(x, 'c', kb), 1,
                                 x->now + ATTEND_TTL_MS, on_concurrent, x))
            free(x);
        return;
    }
    if (!x->joined && n == 0) { /* left: 1 -> 0 */
        st->ops->record_del(st, SPAN_OF(ATTEND_SINCE_KIND), key_of(x), NULL, NULL);
        st->ops->record_incr(st, SPAN_OF(ATTEND_STAT_KIND), stat_key(x, 'c', kb), -1,
                             x->now + ATTEND_TTL_MS, NULL, NULL);
    }
    free(x);
}

static void on_member(void *ctx, const struct ns_config *ns, struct span channel,
                      const struct clientinfo *info, bool joined)
{
    struct node *node = ctx;
    if (!ns->chat || info->user.n == 0 || channel.n + 1 + info->user.n > KEY_MAX ||
        !node->store->ops->record_incr)
        return;
    struct change *x = malloc(sizeof(*x));
    if (!x)
        return;
    x->node = node;
    memcpy(x->key, channel.p, channel.n);
    x->key[channel.n] = 0x1f;
    memcpy(x->key + channel.n + 1, info->user.p, info->user.n);
    x->chlen = channel.n;
    x->klen = channel.n + 1 + info->user.n;
    x->now = node_now_ms(node);
    x->joined = joined;
    if (node->store->ops->record_incr(node->store, SPAN_OF(ATTEND_N_KIND), key_of(x),
                                      joined ? 1 : -1, x->now + ATTEND_TTL_MS, on_count, x))
        free(x);
}

int attendance_init(struct node *node)
{
    return members_observe(&node->members, NULL, on_member, node);
}

/* ---- queries ---- */

struct query {
    struct node *node;
    attendance_cb *cb;
    attendance_stats_cb *scb;
    void *arg;
};

static void on_since(void *arg, int err, const struct record *recs, size_t n)
{
    struct query *q = arg;
    int64_t ms = 0;
    if (!err && n == 1) {
        ms = node_now_ms(q->node) - num(&recs[0]);
        if (ms < 0)
            ms = 0;
    }
    q->cb(q->arg, err, ms);
    free(q);
}

void attendance_of(struct node *node, const char *channel, const char *user, attendance_cb *cb,
                   void *arg)
{
    char key[KEY_MAX];
    size_t cl = strlen(channel), ul = strlen(user);
    struct query *q = malloc(sizeof(*q));
    if (!q || cl + 1 + ul > KEY_MAX || !ul) {
        free(q);
        return cb(arg, q ? 0 : -ENOMEM, 0);
    }
    *q = (struct query){node, cb, NULL, arg};
    memcpy(key, channel, cl);
    key[cl] = 0x1f;
    memcpy(key + cl + 1, user, ul);
    if (node->store->ops->record_get(node->store, SPAN_OF(ATTEND_SINCE_KIND),
                                     (struct span){(const uint8_t *)key, cl + 1 + ul}, on_since, q)) {
        free(q);
        cb(arg, -EAGAIN, 0);
    }
}

static void on_stats(void *arg, int err, const struct record *recs, size_t n)
{
    struct query *q = arg;
    struct attendance_stats st = {0, 0, 0};
    for (size_t i = 0; !err && i < n; i++) {
        char tag = recs[i].key.n ? (char)recs[i].key.p[recs[i].key.n - 1] : 0;
        int64_t v = num(&recs[i]);
        if (tag == 'c')
            st.concurrent = v;
        else if (tag == 'p')
            st.peak = v;
        else if (tag == 'u')
            st.unique = v;
    }
    if (st.peak < st.concurrent)
        st.peak = st.concurrent;
    q->scb(q->arg, err, &st);
    free(q);
}

void attendance_stats(struct node *node, const char *channel, attendance_stats_cb *cb, void *arg)
{
    char prefix[KEY_MAX];
    size_t cl = strlen(channel);
    struct query *q = malloc(sizeof(*q));
    struct attendance_stats zero = {0, 0, 0};
    if (!q || cl + 1 >= KEY_MAX) {
        free(q);
        return cb(arg, q ? 0 : -ENOMEM, &zero);
    }
    *q = (struct query){node, NULL, cb, arg};
    memcpy(prefix, channel, cl);
    prefix[cl] = 0x1f;
    struct record_scan sc = {.prefix = {(const uint8_t *)prefix, cl + 1}, .limit = 8};
    if (node->store->ops->record_scan(node->store, SPAN_OF(ATTEND_STAT_KIND), &sc, on_stats, q)) {
        free(q);
        cb(arg, -EAGAIN, &zero);
    }
}
