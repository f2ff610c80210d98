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
    int64_t value;            /* a counter's new value, between callbacks */
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
    /* the peak's value is "<users>:<unix ms it was reached>" */
    if (!err && (n == 0 || num(&recs[0]) < x->value)) {
        char kb[KEY_MAX + 2], vb[48];
        int vl = snprintf(vb, sizeof(vb), "%lld:%lld", (long long)x->value, (long long)x->now);
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
    x->value = num(&recs[0]);
    char kb[KEY_MAX + 2];
    if (x->node->store->ops->record_get(x->node->store, SPAN_OF(ATTEND_STAT_KIND),
                                        stat_key(x, 'p', kb), on_peak, x))
        free(x);
}

static struct change *dup_change(const struct change *x);

/* An event occurrence's room is "<ns>:<16 hex id>.<n>" (community/event_doc.h):
 * 0 with the id's offset in the channel and n, else -1. */
static int occurrence_of(const struct change *x, size_t *id_at, long *n)
{
    const char *colon = memchr(x->key, ':', x->chlen);
    if (!colon)
        return -1;
    size_t at = (size_t)(colon + 1 - x->key);
    if (x->chlen < at + 18 || x->key[at + 16] != '.')
        return -1;
    for (size_t i = at; i < at + 16; i++)
        if (!((x->key[i] >= '0' && x->key[i] <= '9') || (x->key[i] >= 'a' && x->key[i] <= 'f')))
            return -1;
    long v = 0;
    for (size_t i = at + 17; i < x->chlen; i++) {
        if (x->key[i] < '0' || x->key[i] > '9' || v > 100000000)
            return -1;
        v = v * 10 + (x->key[i] - '0');
    }
    *id_at = at;
    *n = v;
    return 0;
}

static void incr_stat(struct change *x, char tag)
{
    char kb[KEY_MAX + 2];
    x->node->store->ops->record_incr(x->node->store, SPAN_OF(ATTEND_STAT_KIND),
                                     stat_key(x, tag, kb), 1, 0, NULL, NULL);
}

static void on_event_first(void *arg, int err, const struct record *recs, size_t n)
{
    struct change *x = arg;
    (void)recs;
    if (!err && n == 0) /* first occurrence of this event the user attends */
        incr_stat(x, 'f');
    free(x);
}

static void on_prev_seen(void *arg, int err, const struct record *recs, size_t n)
{
    struct change *x = arg;
    (void)recs;
    if (!err && n == 1) /* attended the previous occurrence too */
        incr_stat(x, 'r');
    free(x);
}

/* First time in an occurrence's room: first-time attendee of the event, or
 * one returning from the previous occurrence? */
static void count_event_attendance(struct change *x)
{
    size_t at;
    long occ;
    if (occurrence_of(x, &at, &occ))
        return;
    struct store *st = x->node->store;
    const char *user = x->key + x->chlen + 1;
    size_t ulen = x->klen - x->chlen - 1;
    char k[KEY_MAX + 32];
    struct change *y = dup_change(x);
    memcpy(k, x->key + at, 16);
    k[16] = 0x1f;
    memcpy(k + 17, user, ulen);
    struct record r = {.key = {(const uint8_t *)k, 17 + ulen}, .value = {(const uint8_t *)"1", 1},
                       .expire_ms = x->now + ATTEND_SEEN_TTL_MS};
    if (y && st->ops->record_put(st, SPAN_OF(ATTEND_EVENT_KIND), &r, RECORD_NX, on_event_first, y))
        free(y);
    if (occ < 2)
        return;
    int kl = snprintf(k, sizeof(k), "%.*s%ld\x1f%.*s", (int)(at + 17), x->key, occ - 1, (int)ulen, user);
    struct change *z = dup_change(x);
    if (z && (kl <= 0 || (size_t)kl > KEY_MAX ||
              st->ops->record_get(st, SPAN_OF(ATTEND_SEEN_KIND),
                                  (struct span){(const uint8_t *)k, (size_t)kl}, on_prev_seen, z)))
        free(z);
}

static void on_seen(void *arg, int err, const struct record *recs, size_t n)
{
    struct change *x = arg;
    (void)recs;
    if (!err && n == 0) { /* first time this user attends this channel */
        incr_stat(x, 'u');
        count_event_attendance(x);
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
    struct attendance_stats st = {0};
    for (size_t i = 0; !err && i < n; i++) {
        char tag = recs[i].key.n ? (char)recs[i].key.p[recs[i].key.n - 1] : 0;
        int64_t v = num(&recs[i]);
        if (tag == 'c')
            st.concurrent = v;
        else if (tag == 'p') {
            st.peak = v;
            const uint8_t *colon = memchr(recs[i].value.p, ':', recs[i].value.n);
            char b[24];
            size_t l = colon ? recs[i].value.n - (size_t)(colon + 1 - recs[i].value.p) : 0;
            if (l && l < sizeof(b)) {
                memcpy(b, colon + 1, l);
                b[l] = 0;
                st.peak_at_ms = strtoll(b, NULL, 10);
            }
        } else if (tag == 'f')
            st.first_time = v;
        else if (tag == 'r')
            st.returning = v;
        else if (tag == 'u')
            st.unique = v;
    }
    if (st.peak < st.concurrent) {
        st.peak = st.concurrent;
        st.peak_at_ms = node_now_ms(q->node);
    }
    q->scb(q->arg, err, &st);
    free(q);
}

void attendance_stats(struct node *node, const char *channel, attendance_stats_cb *cb, void *arg)
{
    char prefix[KEY_MAX];
    size_t cl = strlen(channel);
    struct query *q = malloc(sizeof(*q));
    struct attendance_stats zero = {0};
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

/* ---- who is present (the NPS pulse's invitations) ---- */

struct each_walk {
    struct node *node;
    int64_t until_ms;                 /* present since at most this */
    attendance_each_cb *each;
    attendance_done_cb *done;
    void *ctx;
    size_t seen;
    size_t plen;
    char prefix[KEY_MAX];
    char after[KEY_MAX];
    size_t after_len;
};

static void each_page(struct each_walk *w);

static void on_each(void *arg, int err, const struct record *recs, size_t n)
{
    struct each_walk *w = arg;
    for (size_t i = 0; !err && i < n; i++) {
        if (recs[i].key.n <= w->plen || num(&recs[i]) > w->until_ms)
            continue;
        char user[KEY_MAX + 1];
        size_t ul = recs[i].key.n - w->plen;
        memcpy(user, recs[i].key.p + w->plen, ul);
        user[ul] = 0;
        w->each(w->ctx, user);
    }
    w->seen += n;
    if (!err && n == RECORD_SCAN_MAX && w->seen < ATTEND_EACH_MAX) {
        memcpy(w->after, recs[n - 1].key.p, recs[n - 1].key.n);
        w->after_len = recs[n - 1].key.n;
        return each_page(w);
    }
    w->done(w->ctx, err);
    free(w);
}

static void each_page(struct each_walk *w)
{
    struct record_scan q = {.prefix = {(const uint8_t *)w->prefix, w->plen},
                            .after = {(const uint8_t *)w->after, w->after_len}};
    if (w->node->store->ops->record_scan(w->node->store, SPAN_OF(ATTEND_SINCE_KIND), &q, on_each, w)) {
        w->done(w->ctx, -EAGAIN);
        free(w);
    }
}

void attendance_each_present(struct node *node, const char *channel, int64_t min_ms,
                             attendance_each_cb *each, attendance_done_cb *done, void *ctx)
{
    size_t cl = strlen(channel);
    struct each_walk *w = calloc(1, sizeof(*w));
    if (!w || cl + 1 >= KEY_MAX) {
        free(w);
        return done(ctx, -EINVAL);
    }
    *w = (struct each_walk){.node = node, .until_ms = node_now_ms(node) - min_ms, .each = each,
                            .done = done, .ctx = ctx, .plen = cl + 1};
    memcpy(w->prefix, channel, cl);
    w->prefix[cl] = 0x1f;
    each_page(w);
}
