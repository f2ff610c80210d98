/* bench/gen/ritual.c — the live-ritual scenario (--ritual, bench/README.md
 * "ritual"): every subscriber is a member of one chat room; the first
 * --chatters members also publish chat messages ({"text":"~H..."} at --rate
 * in all, round-robin), the next --tappers members send live.react rpcs
 * (--taps per second in all, round-robin, so each tapper taps evenly spaced).
 * This file owns the per-member bookkeeping of those commands (ids in flight
 * and their send times), the schedule, reading the reaction_totals
 * publications (their counts, per-window arrival, tap -> totals latency) and
 * the scenario's lines of the report. Chat deliveries go through the common
 * marker path (dialect.c bench_on_delivery); this file never sees them.
 *
 * Tap -> totals latency: a tapper is a member, so its rpc reply and the
 * totals publication that carries its tap travel on the same connection, in
 * the server's order: the first reaction_totals that arrives after an
 * {"accepted":true} reply is the one that counts that tap (memory engine:
 * the window's publication is fanned out synchronously in the timer). Per
 * tapper and window, the sample is from the send time of the earliest
 * accepted tap not yet covered to the arrival of the next totals. It
 * includes the wait for the 250 ms window to close, which is by design.
 * The k-th totals every member receives is the same publication (checked by
 * its counts' sum), so per window the earliest tap it carries (as its
 * tappers saw it) is set against the last member's copy: the room-wide
 * worst case, one sample per window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define RING 16u /* commands in flight per member */

struct rconn {
    int64_t sent_us[RING];
    uint32_t sent_id[RING];    /* 0 = free slot */
    uint32_t next_id;          /* ids 1 and 2 are connect and subscribe */
    uint32_t in_flight;
    int64_t tap_pending_us;    /* earliest accepted tap not yet seen in totals; 0 = none */
    uint64_t counts_rx;        /* sum of the counts of the totals this member received */
    uint32_t totals_seen;      /* totals publications this member received */
};

struct ritual {
    struct rconn *rc;          /* owned: one per subscriber */
    uint32_t chatters, tappers;
    uint64_t chat_due, chat_pending, tap_due, tap_pending;
    uint32_t chat_rr, tap_rr, emoji_rr;
    uint64_t taps_sent, taps_accepted, taps_refused, tap_errors, stray_replies;
    uint64_t totals_rx, counts_rx, totals_bad, totals_mismatch;
    int64_t t_first_totals_us, t_last_totals_us;
    int64_t *win_first_us;     /* owned: first arrival of the k-th totals publication */
    int64_t *win_sum;          /* owned: its counts' sum, as first seen */
    int64_t *win_last_us;      /* owned: last member's arrival of the k-th totals */
    int64_t *win_tap_us;       /* owned: earliest accepted tap it carries (seen by tappers); 0 = none */
    uint32_t nwin, windows;
    struct hist tap_lat;       /* tap sent -> totals carrying it, at the tapper */
    struct hist fanout;        /* first member's arrival -> each member's, same window */
    struct hist tap_ack;       /* tap sent -> rpc reply */
    struct hist win_lat;       /* per window: earliest tap it carries -> last member's copy */
    bool win_lat_done;
};

static const char *const emoji[] = {"\xf0\x9f\x94\xa5", "\xf0\x9f\x91\x8f", "\xe2\x9d\xa4",
                                    "\xf0\x9f\x98\x82"};

int ritual_init(struct bench *b)
{
    struct opts *o = &b->o;
    struct ritual *r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    r->chatters = o->chatters < o->subs ? o->chatters : o->subs;
    uint32_t tappers = o->tappers;
    /* 2.5 taps/s each: half the 5 per second the server counts, so neither
     * jitter nor a server whose window timer runs late (its "second" is four
     * windows) caps the load; the report says how many were over the limit */
    if (!tappers)
        tappers = (uint32_t)(o->taps / 2.5 + 0.999);
    if (o->taps > 0 && !tappers)
        tappers = 1;
    r->tappers = tappers <= o->subs - r->chatters ? tappers : o->subs - r->chatters;
    r->nwin = (uint32_t)((o->seconds + o->drain + o->timeout) * 1000 / 250) + 64;
    r->rc = calloc(o->subs ? o->subs : 1, sizeof(*r->rc));
    r->win_first_us = calloc(r->nwin, sizeof(int64_t));
    r->win_sum = calloc(r->nwin, sizeof(int64_t));
    r->win_last_us = calloc(r->nwin, sizeof(int64_t));
    r->win_tap_us = calloc(r->nwin, sizeof(int64_t));
    if (!r->rc || !r->win_first_us || !r->win_sum || !r->win_last_us || !r->win_tap_us) {
        free(r->rc);
        free(r->win_first_us);
        free(r->win_sum);
        free(r->win_last_us);
        free(r->win_tap_us);
        free(r);
        return -1;
    }
    for (uint32_t i = 0; i < o->subs; i++)
        r->rc[i].next_id = 3;
    hist_init(&r->tap_lat);
    hist_init(&r->fanout);
    hist_init(&r->tap_ack);
    hist_init(&r->win_lat);
    b->rit = r;
    return 0;
}

static bool is_chatter(const struct ritual *r, const struct conn *c) { return c->idx < r->chatters; }

static bool is_tapper(const struct ritual *r, const struct conn *c)
{
    return c->idx >= r->chatters && c->idx < r->chatters + r->tappers;
}

/* a slot for the next command id, or -1 when RING commands are in flight */
static int take_slot(struct rconn *rc, int64_t now, uint32_t *id)
{
    uint32_t slot = rc->next_id % RING;
    if (rc->sent_id[slot])
        return -1;
    *id = rc->next_id++;
    rc->sent_id[slot] = *id;
    rc->sent_us[slot] = now;
    rc->in_flight++;
    return 0;
}

static bool can_send(const struct conn *c, const struct rconn *rc)
{
    return c->state == CS_READY && !c->closed && !rc->sent_id[rc->next_id % RING];
}

static bool send_chat(struct bench *b, struct conn *c, int64_t now)
{
    struct rconn *rc = &b->rit->rc[c->idx];
    uint32_t id;
    if (take_slot(rc, now, &id))
        return false;
    char payload[4096], frame[4400];
    marker_format(payload, 0, c->idx, b->room_seq[c->idx]++, (uint64_t)now, b->o.payload);
    int n = snprintf(frame, sizeof(frame), "{\"id\":%u,\"publish\":{\"channel\":\"%s0\",\"data\":{\"text\":\"%s\"}}}",
                     id, b->o.room_prefix, payload);
    b->n.publish_attempts++;
    conn_send_ws(c, 0x1, frame, (size_t)n);
    return true;
}

static bool send_tap(struct bench *b, struct conn *c, int64_t now)
{
    struct ritual *r = b->rit;
    uint32_t id;
    if (take_slot(&r->rc[c->idx], now, &id))
        return false;
    char frame[512];
    int n = snprintf(frame, sizeof(frame),
                     "{\"id\":%u,\"rpc\":{\"method\":\"live.react\",\"data\":{\"channel\":\"%s0\",\"emoji\":\"%s\"}}}",
                     id, b->o.room_prefix, emoji[r->emoji_rr++ % (sizeof(emoji) / sizeof(emoji[0]))]);
    r->taps_sent++;
    conn_send_ws(c, 0x1, frame, (size_t)n);
    return true;
}

/* Sends what is due, round-robin over the members of one role; what no member
 * can take (all closed or RING in flight) stays pending: the report shows it
 * as sent below target. */
static void dispatch(struct bench *b, uint64_t *pending, uint32_t *rr, uint32_t first, uint32_t count,
                     bool (*send)(struct bench *, struct conn *, int64_t), int64_t now)
{
    uint32_t misses = 0;
    while (*pending && count && misses < count) {
        struct conn *c = &b->subs[first + *rr];
        *rr = (*rr + 1) % count;
        if (!can_send(c, &b->rit->rc[c->idx]) || !send(b, c, now)) {
            misses++;
            continue;
        }
        misses = 0;
        (*pending)--;
    }
}

void ritual_tick(struct bench *b)
{
    struct ritual *r = b->rit;
    int64_t now = now_us();
    double el = (double)(now - b->t_pub_start_us) / 1e6;
    if (el > b->o.seconds)
        el = b->o.seconds;
    uint64_t due = (uint64_t)(b->o.rate * el);
    if (due > r->chat_due) {
        r->chat_pending += due - r->chat_due;
        r->chat_due = due;
    }
    due = (uint64_t)(b->o.taps * el);
    if (due > r->tap_due) {
        r->tap_pending += due - r->tap_due;
        r->tap_due = due;
    }
    dispatch(b, &r->chat_pending, &r->chat_rr, 0, r->chatters, send_chat, now);
    dispatch(b, &r->tap_pending, &r->tap_rr, r->chatters, r->tappers, send_tap, now);
}

bool ritual_on_reply(struct conn *c, uint32_t id, bool err, const uint8_t *p, size_t n)
{
    struct bench *b = c->b;
    struct ritual *r = b->rit;
    if (c->is_pub || c->idx >= b->o.subs)
        return false;
    struct rconn *rc = &r->rc[c->idx];
    uint32_t slot = id % RING;
    if (rc->sent_id[slot] != id) {
        r->stray_replies++;
        return true;
    }
    int64_t now = now_us(), sent = rc->sent_us[slot];
    rc->sent_id[slot] = 0;
    rc->in_flight--;
    if (is_chatter(r, c)) {
        hist_add(&b->pub_lat, (uint64_t)(now - sent));
        bench_on_pub_ack(b, 0, !err);
        if (err && !b->o.quiet && b->n.publish_errors <= 3)
            fprintf(stderr, "hearth-bench: chat publish refused: %.*s\n", (int)(n > 160 ? 160 : n), p);
        return true;
    }
    if (!is_tapper(r, c))
        return false;
    hist_add(&r->tap_ack, (uint64_t)(now - sent));
    if (!err && memmem(p, n, "\"accepted\":true", 15)) {
        r->taps_accepted++;
        if (!rc->tap_pending_us || sent < rc->tap_pending_us)
            rc->tap_pending_us = sent;
    } else if (!err && memmem(p, n, "\"accepted\":false", 16)) {
        r->taps_refused++;
    } else {
        r->tap_errors++;
        if (!b->o.quiet && r->tap_errors <= 3)
            fprintf(stderr, "hearth-bench: live.react failed: %.*s\n", (int)(n > 160 ? 160 : n), p);
    }
    return true;
}

/* The sum of "counts":{"<emoji>":N,...} in a totals publication, or -1. */
static int64_t counts_sum(const uint8_t *p, size_t n)
{
    const uint8_t *e = p + n, *q = memmem(p, n, "\"counts\":{", 10);
    if (!q)
        return -1;
    q += 10;
    int64_t sum = 0;
    while (q < e && *q != '}') {
        if (*q++ != '"')
            return -1;
        while (q < e && *q != '"')
            q += *q == '\\' ? 2 : 1;
        if (q + 1 >= e || q[1] != ':')
            return -1;
        q += 2;
        int64_t v = 0;
        const uint8_t *d = q;
        while (q < e && *q >= '0' && *q <= '9')
            v = v * 10 + (*q++ - '0');
        if (q == d)
            return -1;
        sum += v;
        if (q < e && *q == ',')
            q++;
    }
    return q < e ? sum : -1;
}

void ritual_on_totals(struct conn *c, const uint8_t *p, size_t n)
{
    struct bench *b = c->b;
    struct ritual *r = b->rit;
    int64_t sum = counts_sum(p, n);
    if (sum < 0 || c->is_pub || c->idx >= b->o.subs) {
        r->totals_bad++;
        return;
    }
    int64_t now = now_us();
    struct rconn *rc = &r->rc[c->idx];
    r->totals_rx++;
    r->counts_rx += (uint64_t)sum;
    rc->counts_rx += (uint64_t)sum;
    if (!r->t_first_totals_us)
        r->t_first_totals_us = now;
    r->t_last_totals_us = now;
    uint32_t k = rc->totals_seen++;
    if (k < r->nwin) {
        if (!r->win_first_us[k]) {
            r->win_first_us[k] = now;
            r->win_sum[k] = sum;
            r->windows++;
            hist_add(&r->fanout, 0);
        } else if (r->win_sum[k] != sum) {
            r->totals_mismatch++; /* this member missed or reordered a window */
        } else {
            hist_add(&r->fanout, (uint64_t)(now - r->win_first_us[k]));
        }
        r->win_last_us[k] = now;
        if (rc->tap_pending_us && (!r->win_tap_us[k] || rc->tap_pending_us < r->win_tap_us[k]))
            r->win_tap_us[k] = rc->tap_pending_us;
    }
    if (rc->tap_pending_us) {
        hist_add(&r->tap_lat, (uint64_t)(now - rc->tap_pending_us));
        rc->tap_pending_us = 0;
    }
}

uint64_t ritual_in_flight(const struct bench *b)
{
    const struct ritual *r = b->rit;
    uint64_t n = 0;
    for (uint32_t i = 0; i < r->chatters + r->tappers; i++)
        if (!b->subs[i].closed)
            n += r->rc[i].in_flight;
    return n;
}

uint64_t ritual_progress(const struct bench *b) { return b->rit->totals_rx; }

/* every live member has received totals summing to every accepted tap */
bool ritual_drained(const struct bench *b)
{
    const struct ritual *r = b->rit;
    return r->counts_rx >= r->taps_accepted * b->room_subs[0];
}

struct rsum {
    uint64_t exact, totals_expected, totals_loss;
    double totals_ps, chat_ps, all_ps;
    double interval_ms;        /* mean time between windows, at the first member to see each */
};

static void summarize(const struct bench *b, struct rsum *s)
{
    struct ritual *r = b->rit;
    memset(s, 0, sizeof(*s));
    for (uint32_t k = 0; k < r->windows && k < r->nwin && !r->win_lat_done; k++)
        if (r->win_tap_us[k] && r->win_last_us[k] > r->win_tap_us[k])
            hist_add(&r->win_lat, (uint64_t)(r->win_last_us[k] - r->win_tap_us[k]));
    r->win_lat_done = true;
    for (uint32_t i = 0; i < b->o.subs; i++)
        s->exact += b->subs[i].state == CS_READY && r->rc[i].counts_rx == r->taps_accepted;
    s->totals_expected = (uint64_t)r->windows * b->room_subs[0];
    s->totals_loss = s->totals_expected > r->totals_rx ? s->totals_expected - r->totals_rx : 0;
    if (r->windows > 1)
        s->interval_ms = (double)(r->win_first_us[r->windows - 1] - r->win_first_us[0]) / 1e3 / (r->windows - 1);
    int64_t t0 = b->t_pub_start_us;
    if (r->t_last_totals_us > t0)
        s->totals_ps = (double)r->totals_rx / ((double)(r->t_last_totals_us - t0) / 1e6);
    if (b->t_last_rx_us > t0)
        s->chat_ps = (double)b->n.unique / ((double)(b->t_last_rx_us - t0) / 1e6);
    int64_t last = r->t_last_totals_us > b->t_last_rx_us ? r->t_last_totals_us : b->t_last_rx_us;
    if (last > t0)
        s->all_ps = (double)(b->n.unique + r->totals_rx) / ((double)(last - t0) / 1e6);
}

static double ms(uint64_t us) { return (double)us / 1000.0; }

void ritual_report(const struct bench *b)
{
    const struct ritual *r = b->rit;
    struct rsum s;
    summarize(b, &s);
    printf("ritual        %llu members in %s0: %u chatters at %.0f msgs/s in all, %u tappers at %.0f taps/s in all "
           "(%.1f/s each)\n", (unsigned long long)b->room_subs[0], b->o.room_prefix, r->chatters, b->o.rate,
           r->tappers, b->o.taps, r->tappers ? b->o.taps / r->tappers : 0);
    printf("taps          sent %llu of %.0f target; accepted %llu, over the per-user limit %llu, errors %llu; "
           "reply p50 %.2f ms p99 %.2f ms\n", (unsigned long long)r->taps_sent, b->o.taps * b->o.seconds,
           (unsigned long long)r->taps_accepted, (unsigned long long)r->taps_refused,
           (unsigned long long)r->tap_errors, ms(hist_quantile(&r->tap_ack, .5)), ms(hist_quantile(&r->tap_ack, .99)));
    printf("totals        %u publications, one per %.0f ms (250 by design); deliveries %llu of %llu expected (loss %llu, mismatched %llu, "
           "unreadable %llu); members whose counts sum to the %llu accepted taps: %llu/%llu\n", r->windows, s.interval_ms,
           (unsigned long long)r->totals_rx, (unsigned long long)s.totals_expected,
           (unsigned long long)s.totals_loss, (unsigned long long)r->totals_mismatch,
           (unsigned long long)r->totals_bad, (unsigned long long)r->taps_accepted,
           (unsigned long long)s.exact, (unsigned long long)b->room_subs[0]);
    printf("tap->totals   p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms (%llu samples; includes the "
           "250 ms window by design)\n", ms(hist_quantile(&r->tap_lat, .5)), ms(hist_quantile(&r->tap_lat, .9)),
           ms(hist_quantile(&r->tap_lat, .99)), ms(r->tap_lat.max), (unsigned long long)r->tap_lat.count);
    printf("window        p50 %.2f ms  p99 %.2f ms  max %.2f ms (%llu windows: earliest tap a window carries -> "
           "the last member's copy)\n", ms(hist_quantile(&r->win_lat, .5)), ms(hist_quantile(&r->win_lat, .99)),
           ms(r->win_lat.max), (unsigned long long)r->win_lat.count);
    printf("totals fanout p50 %.2f ms  p99 %.2f ms  max %.2f ms (first member -> each member, same window)\n",
           ms(hist_quantile(&r->fanout, .5)), ms(hist_quantile(&r->fanout, .99)), ms(r->fanout.max));
    printf("deliveries/s  chat %.0f, totals %.0f, all %.0f\n", s.chat_ps, s.totals_ps, s.all_ps);
    if (r->stray_replies)
        printf("stray replies %llu\n", (unsigned long long)r->stray_replies);
}

void ritual_json(const struct bench *b)
{
    const struct ritual *r = b->rit;
    struct rsum s;
    summarize(b, &s);
    printf(",\"ritual\":true,\"members\":%llu,\"chatters\":%u,\"tappers\":%u,\"taps_rate\":%.0f,"
           "\"taps_target\":%.0f,\"taps_sent\":%llu,\"taps_accepted\":%llu,\"taps_refused\":%llu,"
           "\"tap_errors\":%llu,\"stray_replies\":%llu,\"totals_windows\":%u,\"totals_interval_ms\":%.1f,\"totals_received\":%llu,"
           "\"totals_expected\":%llu,\"totals_loss\":%llu,\"totals_mismatch\":%llu,\"totals_bad\":%llu,"
           "\"counts_received\":%llu,\"members_counts_exact\":%llu,\"chat_deliveries_per_s\":%.0f,"
           "\"totals_deliveries_per_s\":%.0f,\"all_deliveries_per_s\":%.0f,\"tap_totals_p50_ms\":%.3f,"
           "\"tap_totals_p90_ms\":%.3f,\"tap_totals_p99_ms\":%.3f,\"tap_totals_max_ms\":%.3f,"
           "\"totals_fanout_p50_ms\":%.3f,\"totals_fanout_p99_ms\":%.3f,\"totals_fanout_max_ms\":%.3f,"
           "\"tap_ack_p50_ms\":%.3f,\"tap_ack_p99_ms\":%.3f,\"window_p50_ms\":%.3f,\"window_p99_ms\":%.3f,"
           "\"window_max_ms\":%.3f",
           (unsigned long long)b->room_subs[0], r->chatters, r->tappers, b->o.taps, b->o.taps * b->o.seconds,
           (unsigned long long)r->taps_sent, (unsigned long long)r->taps_accepted,
           (unsigned long long)r->taps_refused, (unsigned long long)r->tap_errors,
           (unsigned long long)r->stray_replies, r->windows, s.interval_ms, (unsigned long long)r->totals_rx,
           (unsigned long long)s.totals_expected, (unsigned long long)s.totals_loss,
           (unsigned long long)r->totals_mismatch, (unsigned long long)r->totals_bad,
           (unsigned long long)r->counts_rx, (unsigned long long)s.exact, s.chat_ps, s.totals_ps, s.all_ps,
           ms(hist_quantile(&r->tap_lat, .5)), ms(hist_quantile(&r->tap_lat, .9)),
           ms(hist_quantile(&r->tap_lat, .99)), ms(r->tap_lat.max), ms(hist_quantile(&r->fanout, .5)),
           ms(hist_quantile(&r->fanout, .99)), ms(r->fanout.max), ms(hist_quantile(&r->tap_ack, .5)),
           ms(hist_quantile(&r->tap_ack, .99)), ms(hist_quantile(&r->win_lat, .5)),
           ms(hist_quantile(&r->win_lat, .99)), ms(r->win_lat.max));
}
