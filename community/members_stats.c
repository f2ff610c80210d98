/* community/members_stats.c — members_stats.h: the activity observer (with
 * its per-node memo of who was already counted today) and the two methods.
 * stats.community is one struct cgather counting the reads still out;
 * stats.series one struct ccall (community/call.h) over one counters scan
 * or a paged scan of the day records. */
#include "community/members_stats.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/call.h"
#include "community/schedule.h"
#include "config/access.h"
#include "node/members.h"
#include "node/node.h"
#include "protocol/errors.h"
#include "rooms/store.h"
#include "util/dict.h"

#define SPAN_OF(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})
#define DAY_MS 86400000LL

struct memo_entry {
    struct dict_entry de;
    size_t len;
    char key[];
};

struct members_stats {
    struct node *node;           /* borrowed */
    struct dict memo;            /* of struct memo_entry (owned): users counted today */
    int64_t memo_day;
};

static struct span sp(const char *s, size_t n) { return (struct span){(const uint8_t *)s, n}; }

static int64_t num(struct span v)
{
    char b[24];
    size_t n = v.n < sizeof(b) - 1 ? v.n : sizeof(b) - 1;
    memcpy(b, v.p, n);
    b[n] = 0;
    return strtoll(b, NULL, 10);
}

static int64_t today(struct node *node) { return node_now_ms(node) / DAY_MS; }

static void counter_by(struct node *node, char tag, int64_t day, int64_t by)
{
    char k[16];
    int kl = snprintf(k, sizeof(k), "%c%07" PRId64, tag, day);
    node->store->ops->record_incr(node->store, SPAN_OF(MSTAT_COUNT_KIND), sp(k, (size_t)kl), by,
                                  node_now_ms(node) + MSTAT_COUNT_TTL_MS, NULL, NULL);
}

static void counter(struct node *node, char tag, int64_t day) { counter_by(node, tag, day, 1); }

void members_stats_messages(struct node *node, int64_t day, int64_t n)
{
    counter_by(node, 'm', day, n);
}

void members_stats_nps(struct node *node, int64_t nps)
{
    char v[24];
    int vl = snprintf(v, sizeof(v), "%" PRId64, nps);
    struct record r = {.key = SPAN_OF("nps_last"), .value = sp(v, (size_t)vl)};
    node->store->ops->record_put(node->store, SPAN_OF(MSTAT_KIND), &r, 0, NULL, NULL);
}

/* ---- counting ---- */

struct seen {
    struct node *node;
    int64_t day;
};

static void on_day(void *arg, int err, const struct record *recs, size_t n)
{
    struct seen *s = arg;
    (void)recs;
    if (!err && n == 0) /* first join of this user today */
        counter(s->node, 'a', s->day);
    free(s);
}

static void on_member_new(void *arg, int err, const struct record *recs, size_t n)
{
    struct seen *s = arg;
    (void)recs;
    if (!err && n == 0) { /* a new member */
        s->node->store->ops->record_incr(s->node->store, SPAN_OF(MSTAT_KIND), SPAN_OF("members"),
                                         1, 0, NULL, NULL);
        counter(s->node, 'n', s->day);
    }
    free(s);
}

static void memo_clear(struct members_stats *ms)
{
    struct dict_iter it;
    dict_iter_init(&it, &ms->memo);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        dict_remove(&ms->memo, e);
        free(DICT_CONTAINER(e, struct memo_entry, de));
    }
}

static void on_member(void *ctx, const struct ns_config *ns, struct span channel,
                      const struct clientinfo *info, bool joined)
{
    struct members_stats *ms = ctx;
    struct node *node = ms->node;
    (void)ns;
    (void)channel;
    if (!joined || info->user.n == 0 || info->user.n > 256 || !node->store->ops->record_put)
        return;
    int64_t day = today(node);
    if (day != ms->memo_day) {
        memo_clear(ms);
        ms->memo_day = day;
    }
    if (dict_find(&ms->memo, info->user.p, info->user.n))
        return; /* counted today by this node */
    if (ms->memo.count < MSTAT_MEMO_MAX) {
        struct memo_entry *m = malloc(sizeof(*m) + info->user.n);
        if (m) {
            memcpy(m->key, info->user.p, info->user.n);
            m->len = info->user.n;
            m->de.key = m->key;
            m->de.klen = m->len;
            if (dict_insert(&ms->memo, &m->de))
                free(m);
        }
    }
    char k[300];
    int kl = snprintf(k, sizeof(k), "%07" PRId64 "\x1f%.*s", day, (int)info->user.n,
                      (const char *)info->user.p);
    int64_t now = node_now_ms(node);
    struct record day_rec = {.key = sp(k, (size_t)kl), .value = SPAN_OF("1"),
                             .expire_ms = now + MSTAT_DAY_TTL_MS};
    struct seen *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    char first[24];
    int fl = snprintf(first, sizeof(first), "%" PRId64, now);
    struct record mem = {.key = info->user, .value = sp(first, (size_t)fl)};
    struct store *st = node->store;
    if (a) {
        *a = (struct seen){node, day};
        if (st->ops->record_put(st, SPAN_OF(MSTAT_DAY_KIND), &day_rec, RECORD_NX, on_day, a))
            free(a);
    }
    if (b) {
        *b = (struct seen){node, day};
        if (st->ops->record_put(st, SPAN_OF(MSTAT_MEMBER_KIND), &mem, RECORD_NX, on_member_new, b))
            free(b);
    }
}

/* ---- distinct actives over a range of days (paged scan of act.day) ---- */

typedef void actives_cb(void *arg, int err, json_t *by_user_day, bool approximate);

struct actives {
    struct node *node;
    int64_t from_day, to_day;
    json_t *users;          /* owned: user -> [days..] (the last day seen is enough here) */
    size_t read;
    actives_cb *cb;
    void *arg;
    char after[300];
    size_t after_len;
};

static void actives_page(struct actives *a);

static void on_actives(void *arg, int err, const struct record *recs, size_t n)
{
    struct actives *a = arg;
    bool done = err != 0 || n < RECORD_SCAN_MAX;
    for (size_t i = 0; !err && i < n; i++) {
        const struct record *r = &recs[i];
        if (r->key.n < 9 || r->key.p[7] != 0x1f)
            continue;
        int64_t day = num(sp((const char *)r->key.p, 7));
        if (day > a->to_day) {
            done = true;
            break;
        }
        char user[257];
        size_t ul = r->key.n - 8 < 256 ? r->key.n - 8 : 256;
        memcpy(user, r->key.p + 8, ul);
        user[ul] = 0;
        json_t *days = json_object_get(a->users, user);
        if (!days) {
            days = json_array();
            json_object_set_new(a->users, user, days);
        }
        json_array_append_new(days, json_integer(day));
    }
    a->read += n;
    if (!done && a->read < MSTAT_SCAN_MAX) {
        memcpy(a->after, recs[n - 1].key.p, recs[n - 1].key.n);
        a->after_len = recs[n - 1].key.n;
        return actives_page(a);
    }
    a->cb(a->arg, err, err ? NULL : a->users, !done);
    json_decref(a->users);
    free(a);
}

static void actives_page(struct actives *a)
{
    struct record_scan q = {.after = sp(a->after, a->after_len)};
    if (a->node->store->ops->record_scan(a->node->store, SPAN_OF(MSTAT_DAY_KIND), &q, on_actives, a)) {
        a->cb(a->arg, -EAGAIN, NULL, false);
        json_decref(a->users);
        free(a);
    }
}

static void actives(struct node *node, int64_t from_day, int64_t to_day, actives_cb *cb, void *arg)
{
    struct actives *a = calloc(1, sizeof(*a));
    if (!a || !(a->users = json_object())) {
        free(a);
        return cb(arg, -ENOMEM, NULL, false);
    }
    *a = (struct actives){node, from_day, to_day, a->users, 0, cb, arg, {0}, 0};
    /* keys of from_day sort right after its 7 digits alone */
    a->after_len = (size_t)snprintf(a->after, sizeof(a->after), "%07" PRId64, from_day);
    actives_page(a);
}

/* ---- stats.community ---- */

struct cgather {
    struct ccall *c;
    int pending;
    bool failed;
    int64_t members, dau, new7, nps_last;
    bool has_nps;
    int64_t wau, mau;
    bool approximate;
};

static void cfinish(struct cgather *g)
{
    if (--g->pending > 0)
        return;
    if (g->failed) {
        ccall_error(g->c, ERR_INTERNAL, NULL);
    } else {
        int64_t churned = g->members - g->mau;
        json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:o}", "members", (json_int_t)g->members,
                              "new_members_7d", (json_int_t)g->new7, "dau", (json_int_t)g->dau,
                              "wau", (json_int_t)g->wau, "mau", (json_int_t)g->mau, "stickiness",
                              g->mau ? json_real((double)g->dau / (double)g->mau) : json_null(),
                              "churned_30d", (json_int_t)(churned > 0 ? churned : 0), "nps_last",
                              g->has_nps ? json_integer(g->nps_last) : json_null());
        if (o && g->approximate)
            json_object_set_new(o, "approximate", json_true());
        ccall_ok(g->c, o);
    }
    free(g);
}

static void on_cstat(void *arg, int err, const struct record *recs, size_t n)
{
    struct cgather *g = arg;
    for (size_t i = 0; !err && i < n; i++) {
        if (recs[i].key.n == 7 && !memcmp(recs[i].key.p, "members", 7))
            g->members = num(recs[i].value);
        else if (recs[i].key.n == 8 && !memcmp(recs[i].key.p, "nps_last", 8)) {
            g->nps_last = num(recs[i].value);
            g->has_nps = true;
        }
    }
    g->failed |= err != 0;
    cfinish(g);
}

static void on_dau(void *arg, int err, const struct record *recs, size_t n)
{
    struct cgather *g = arg;
    if (!err && n == 1)
        g->dau = num(recs[0].value);
    g->failed |= err != 0;
    cfinish(g);
}

static void on_new7(void *arg, int err, const struct record *recs, size_t n)
{
    struct cgather *g = arg;
    int64_t t = today(g->c->node);
    for (size_t i = 0; !err && i < n; i++) {
        int64_t day = recs[i].key.n == 8 ? num(sp((const char *)recs[i].key.p + 1, 7)) : -1;
        if (day > t - 7 && day <= t)
            g->new7 += num(recs[i].value);
    }
    g->failed |= err != 0;
    cfinish(g);
}

static void on_cactives(void *arg, int err, json_t *users, bool approximate)
{
    struct cgather *g = arg;
    int64_t t = today(g->c->node);
    const char *u;
    json_t *days;
    json_object_foreach(users, u, days) {
        g->mau++;
        size_t i;
        json_t *d;
        json_array_foreach(days, i, d) {
            if (json_integer_value(d) > t - 7) {
                g->wau++;
                break;
            }
        }
    }
    g->approximate = approximate;
    g->failed |= err != 0;
    cfinish(g);
}

static void m_community(const struct method_call *mc, json_t *params, method_done *done, void *arg)
{
    struct ccall *c = ccall_new(mc, params, done, arg);
    struct cgather *g = c ? calloc(1, sizeof(*g)) : NULL;
    if (!g) {
        if (c)
            ccall_error(c, ERR_INTERNAL, NULL);
        else
            method_error(done, arg, ERR_INTERNAL, NULL);
        return;
    }
    g->c = c;
    g->pending = 5;
    struct store *st = c->node->store;
    int64_t t = today(c->node);
    char k[16], after[16];
    struct record_scan all = {0};
    if (st->ops->record_scan(st, SPAN_OF(MSTAT_KIND), &all, on_cstat, g))
        g->failed = true, g->pending--;
    int kl = snprintf(k, sizeof(k), "a%07" PRId64, t);
    if (st->ops->record_get(st, SPAN_OF(MSTAT_COUNT_KIND), sp(k, (size_t)kl), on_dau, g))
        g->failed = true, g->pending--;
    /* new members of the last 7 days: the "n<day>" counters after 7 days back */
    int al = snprintf(after, sizeof(after), "n%07" PRId64, t - 7);
    struct record_scan nq = {.prefix = SPAN_OF("n"), .after = sp(after, (size_t)al)};
    if (st->ops->record_scan(st, SPAN_OF(MSTAT_COUNT_KIND), &nq, on_new7, g))
        g->failed = true, g->pending--;
    actives(c->node, t - 29, t, on_cactives, g);
    cfinish(g);
}

/* ---- stats.series ---- */

static int parse_day(json_t *v, int64_t *day)
{
    const char *s = json_string_value(v);
    char buf[32];
    int64_t ms;
    if (!s)
        return -1;
    if (strlen(s) == 10) {
        snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
        s = buf;
    }
    if (schedule_parse_utc(s, &ms))
        return -1;
    *day = ms / DAY_MS;
    return 0;
}

static json_t *points(struct ccall *c, const int64_t *vals, bool average)
{
    int64_t from = c->n[0], to = c->n[1], step = c->n[2];
    json_t *arr = json_array();
    for (int64_t d = from; d <= to; d += step) {
        double sum = 0;
        int64_t days = 0;
        for (int64_t k = d; k < d + step && k <= to; k++, days++)
            sum += (double)vals[k - from];
        char date[32];
        schedule_format_utc(d * DAY_MS, date, sizeof(date));
        date[10] = 0;
        json_t *v = average ? json_real(days ? round(100 * sum / (double)days) / 100 : 0)
                            : json_integer((json_int_t)sum);
        json_array_append_new(arr, json_pack("{s:s,s:o}", "t", date, "value", v));
    }
    return arr;
}

static void on_series_counts(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    int64_t from = c->n[0], to = c->n[1];
    char tag = (char)c->n[3];
    int64_t *vals = calloc((size_t)(to - from + 1), sizeof(*vals));
    if (!vals)
        return ccall_error(c, ERR_INTERNAL, NULL);
    for (size_t i = 0; i < n; i++) {
        if (recs[i].key.n != 8 || recs[i].key.p[0] != tag)
            continue;
        int64_t day = num(sp((const char *)recs[i].key.p + 1, 7));
        if (day >= from && day <= to)
            vals[day - from] = num(recs[i].value);
    }
    json_t *pts = points(c, vals, tag == 'a' && c->n[2] > 1);
    free(vals);
    ccall_ok(c, json_pack("{s:O,s:s,s:o}", "metric", json_object_get(c->params, "metric"), "step",
                          c->n[2] == 1 ? "day" : "week", "points", pts));
}

static void m_series(const struct method_call *mc, json_t *params, method_done *done, void *arg)
{
    struct ccall *c = ccall_new(mc, params, done, arg);
    if (!c)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    const char *metric = json_string_value(json_object_get(params, "metric"));
    const char *step = json_string_value(json_object_get(params, "step"));
    int64_t from, to;
    char tag = !metric ? 0 : !strcmp(metric, "dau") ? 'a' : !strcmp(metric, "new_members") ? 'n'
                         : !strcmp(metric, "messages") ? 'm' : 0;
    if (!tag || !step || (strcmp(step, "day") && strcmp(step, "week")) ||
        parse_day(json_object_get(params, "from"), &from) ||
        parse_day(json_object_get(params, "to"), &to) || to < from ||
        to - from >= MSTAT_SERIES_MAX_DAYS)
        return ccall_error(c, ERR_BAD_REQUEST,
                           "stats.series takes {metric: dau|new_members|messages, from, to "
                           "(YYYY-MM-DD or UTC instants, at most 400 days apart), step: day|week}");
    c->n[0] = from;
    c->n[1] = to;
    c->n[2] = strcmp(step, "day") ? 7 : 1;
    c->n[3] = tag;
    char after[16];
    struct record_scan q = {.after = sp(after, (size_t)snprintf(after, sizeof(after), "%c%07" PRId64,
                                                                tag, from - 1)),
                            .prefix = sp(&tag, 1)};
    if (c->node->store->ops->record_scan(c->node->store, SPAN_OF(MSTAT_COUNT_KIND), &q,
                                         on_series_counts, c))
        ccall_error(c, ERR_INTERNAL, NULL);
}

/* ---- the module ---- */

struct members_stats *members_stats_new(struct node *node)
{
    struct members_stats *ms = calloc(1, sizeof(*ms));
    if (!ms)
        return NULL;
    ms->node = node;
    dict_init(&ms->memo);
    const struct method_spec specs[] = {
        {"stats.community", m_community, NULL, ROLE_ADMIN, true, 1},
        {"stats.series", m_series, NULL, ROLE_ADMIN, true, 1},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (methods_register(&node->methods, &specs[i]) != 0) {
            free(ms);
            return NULL;
        }
    if (members_observe(&node->members, NULL, on_member, ms) != 0) {
        free(ms);
        return NULL;
    }
    return ms;
}

void members_stats_free(struct members_stats *ms)
{
    if (!ms)
        return;
    memo_clear(ms);
    dict_free(&ms->memo);
    free(ms);
}
