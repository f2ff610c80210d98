/* tests/unit/records_cases.c — the records contract cases (see
 * records_cases.h): running an op and awaiting its callback, the shared
 * checks, and the cases put/get/del, NX, overwrite, expiry and the sweep,
 * counters, bad sizes, the largest value, kinds kept apart (the scan cases
 * are in records_scan_cases.c), and the table of them all. Each case uses
 * the store only through its ops table and moves only the settable clock,
 * so any store must pass all. Owns the copies in struct got. */
#include "tests/unit/records_cases.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>


/* ---- running an op ---- */

void got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free((void *)g->recs[i].key.p);
        free((void *)g->recs[i].value.p);
    }
    free(g->recs);
    memset(g, 0, sizeof(*g));
}

static uint8_t *dup_bytes(struct span s)
{
    uint8_t *p = malloc(s.n + 1);
    assert_non_null(p);
    if (s.n)
        memcpy(p, s.p, s.n);
    return p;
}

void rt_on_got(void *arg, int err, const struct record *recs, size_t n)
{
    struct got *g = arg;
    if (g->calls++) /* a second call: keep the first answer, the count fails the case */
        return;
    g->err = err;
    g->n = n;
    g->recs = calloc(n ? n : 1, sizeof(*g->recs));
    assert_non_null(g->recs);
    for (size_t i = 0; i < n; i++) {
        g->recs[i].key = (struct span){dup_bytes(recs[i].key), recs[i].key.n};
        g->recs[i].value = (struct span){dup_bytes(recs[i].value), recs[i].value.n};
        g->recs[i].expire_ms = recs[i].expire_ms;
    }
}

static int settle(struct rt *t, struct got *g, int rc)
{
    if (rc != 0) {
        t->wait(t, &g->calls, 0);
        assert_int_equal(g->calls, 0); /* a nonzero return: the callback never runs */
        return rc;
    }
    t->wait(t, &g->calls, 1);
    assert_int_equal(g->calls, 1);
    return g->err;
}

int rt_put(struct rt *t, struct got *g, struct span kind, struct span key, struct span value,
           int64_t expire_ms, unsigned flags)
{
    got_free(g);
    struct record r = {key, value, expire_ms};
    return settle(t, g, t->st->ops->record_put(t->st, kind, &r, flags, rt_on_got, g));
}

int rt_get(struct rt *t, struct got *g, struct span kind, struct span key)
{
    got_free(g);
    return settle(t, g, t->st->ops->record_get(t->st, kind, key, rt_on_got, g));
}

int rt_del(struct rt *t, struct got *g, struct span kind, struct span key)
{
    got_free(g);
    return settle(t, g, t->st->ops->record_del(t->st, kind, key, rt_on_got, g));
}

int rt_scan(struct rt *t, struct got *g, struct span kind, const struct record_scan *q)
{
    got_free(g);
    return settle(t, g, t->st->ops->record_scan(t->st, kind, q, rt_on_got, g));
}

int rt_incr(struct rt *t, struct got *g, struct span kind, struct span key, int64_t delta,
            int64_t expire_ms)
{
    got_free(g);
    return settle(t, g, t->st->ops->record_incr(t->st, kind, key, delta, expire_ms, rt_on_got, g));
}

void rt_sweep(struct rt *t) { t->st->ops->sweep(t->st, clock_now_ms(t->clk)); }

/* ---- checks ---- */

void expect_span(struct span got, struct span want)
{
    assert_int_equal(got.n, want.n);
    if (want.n)
        assert_memory_equal(got.p, want.p, want.n);
}

void expect_rec(const struct got *g, size_t i, struct span key, struct span value,
                       int64_t expire_ms)
{
    assert_true(i < g->n);
    expect_span(g->recs[i].key, key);
    expect_span(g->recs[i].value, value);
    assert_int_equal(g->recs[i].expire_ms, expire_ms);
}

/* The scan answer has exactly these keys, in this order. */
void expect_keys(const struct got *g, const struct span *keys, size_t n)
{
    assert_int_equal(g->err, 0);
    assert_int_equal(g->n, n);
    for (size_t i = 0; i < n; i++)
        expect_span(g->recs[i].key, keys[i]);
}

void put_ok(struct rt *t, struct span kind, struct span key, struct span value,
                   int64_t expire_ms)
{
    struct got g = {0};
    assert_int_equal(rt_put(t, &g, kind, key, value, expire_ms, 0), 0);
    assert_int_equal(g.n, 0);
    got_free(&g);
}

/* Puts n keys fmt % i (values the same) without waiting but for the last:
 * a store answers one kind's ops in order. */
void put_many(struct rt *t, struct span kind, const char *fmt, int from, int n,
                     int64_t expire_ms)
{
    char key[64];
    for (int i = from; i < from + n - 1; i++) {
        snprintf(key, sizeof(key), fmt, i);
        struct record r = {sz(key), sz(key), expire_ms};
        assert_int_equal(t->st->ops->record_put(t->st, kind, &r, 0, NULL, NULL), 0);
    }
    snprintf(key, sizeof(key), fmt, from + n - 1);
    put_ok(t, kind, sz(key), sz(key), expire_ms);
}

void scan_keys(struct rt *t, struct got *g, struct span kind, struct span prefix,
                      struct span after, uint32_t limit, bool reverse)
{
    struct record_scan q = {prefix, after, limit, reverse};
    assert_int_equal(rt_scan(t, g, kind, &q), 0);
}

/* ---- cases ---- */

static void case_put_get_del(struct rt *t)
{
    struct got g = {0};
    put_ok(t, S("ban"), S("u1"), S("{\"by\":\"mod\"}"), 0);
    assert_int_equal(rt_get(t, &g, S("ban"), S("u1")), 0);
    assert_int_equal(g.n, 1);
    expect_rec(&g, 0, S("u1"), S("{\"by\":\"mod\"}"), 0);
    assert_int_equal(rt_get(t, &g, S("ban"), S("u2")), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(rt_get(t, &g, S("mute"), S("u1")), 0); /* kinds are separate */
    assert_int_equal(g.n, 0);
    assert_int_equal(rt_del(t, &g, S("ban"), S("u1")), 0);
    assert_int_equal(g.n, 1);
    expect_rec(&g, 0, S("u1"), S("{\"by\":\"mod\"}"), 0);
    assert_int_equal(rt_get(t, &g, S("ban"), S("u1")), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(rt_del(t, &g, S("ban"), S("u1")), 0);
    assert_int_equal(g.n, 0);
    /* put and del without a callback */
    struct record r = {S("u3"), S("x"), 0};
    assert_int_equal(t->st->ops->record_put(t->st, S("ban"), &r, 0, NULL, NULL), 0);
    assert_int_equal(rt_get(t, &g, S("ban"), S("u3")), 0);
    expect_rec(&g, 0, S("u3"), S("x"), 0);
    assert_int_equal(t->st->ops->record_del(t->st, S("ban"), S("u3"), NULL, NULL), 0);
    assert_int_equal(rt_get(t, &g, S("ban"), S("u3")), 0);
    assert_int_equal(g.n, 0);
    /* an empty value is a value */
    put_ok(t, S("ban"), S("u4"), S(""), 0);
    assert_int_equal(rt_get(t, &g, S("ban"), S("u4")), 0);
    assert_int_equal(g.n, 1);
    expect_rec(&g, 0, S("u4"), S(""), 0);
    got_free(&g);
}

static void case_nx_and_overwrite(struct rt *t)
{
    struct got g = {0};
    put_ok(t, S("pin"), S("a"), S("1"), 0);
    assert_int_equal(rt_put(t, &g, S("pin"), S("a"), S("2"), 0, RECORD_NX), 0);
    assert_int_equal(g.n, 1); /* refused: the existing record */
    expect_rec(&g, 0, S("a"), S("1"), 0);
    assert_int_equal(rt_get(t, &g, S("pin"), S("a")), 0);
    expect_rec(&g, 0, S("a"), S("1"), 0);
    assert_int_equal(rt_put(t, &g, S("pin"), S("b"), S("3"), RT_T0 + 500, RECORD_NX), 0);
    assert_int_equal(g.n, 0); /* absent: stored */
    assert_int_equal(rt_put(t, &g, S("pin"), S("b"), S("4"), 0, RECORD_NX), 0);
    expect_rec(&g, 0, S("b"), S("3"), RT_T0 + 500);
    /* overwrite: value and expiry are replaced (expiry 0 removes it) */
    put_ok(t, S("pin"), S("b"), S("5"), 0);
    clock_set(t->clk, RT_T0 + 600);
    assert_int_equal(rt_get(t, &g, S("pin"), S("b")), 0);
    assert_int_equal(g.n, 1);
    expect_rec(&g, 0, S("b"), S("5"), 0);
    put_ok(t, S("pin"), S("b"), S("6"), RT_T0 + 5000);
    assert_int_equal(rt_get(t, &g, S("pin"), S("b")), 0);
    expect_rec(&g, 0, S("b"), S("6"), RT_T0 + 5000);
    got_free(&g);
}

static void case_expiry(struct rt *t)
{
    struct got g = {0};
    put_ok(t, S("mute"), S("a"), S("A"), RT_T0 + 1000);
    put_ok(t, S("mute"), S("b"), S("B"), 0);
    put_ok(t, S("mute"), S("c"), S("C"), RT_T0 + 5000);
    put_ok(t, S("mute"), S("d"), S("D"), RT_T0 + 1000);
    put_ok(t, S("mute"), S("e"), S("E"), RT_T0 + 1000);
    put_ok(t, S("mute"), S("old"), S("O"), RT_T0 - 1); /* already past */
    put_ok(t, S("mute"), S("far"), S("F"), INT64_MAX);
    assert_int_equal(rt_get(t, &g, S("mute"), S("far")), 0);
    expect_rec(&g, 0, S("far"), S("F"), INT64_MAX);
    assert_int_equal(rt_del(t, &g, S("mute"), S("far")), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(rt_get(t, &g, S("mute"), S("old")), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(rt_get(t, &g, S("mute"), S("a")), 0);
    expect_rec(&g, 0, S("a"), S("A"), RT_T0 + 1000);
    clock_set(t->clk, RT_T0 + 999);
    assert_int_equal(rt_get(t, &g, S("mute"), S("a")), 0);
    assert_int_equal(g.n, 1);
    clock_set(t->clk, RT_T0 + 1000); /* expire_ms reached: gone */
    assert_int_equal(rt_get(t, &g, S("mute"), S("a")), 0);
    assert_int_equal(g.n, 0);
    scan_keys(t, &g, S("mute"), S(""), S(""), 0, false);
    expect_keys(&g, (struct span[]){S("b"), S("c")}, 2);
    expect_rec(&g, 1, S("c"), S("C"), RT_T0 + 5000);
    scan_keys(t, &g, S("mute"), S(""), S(""), 1, true);
    expect_keys(&g, (struct span[]){S("c")}, 1);
    /* NX over an expired record stores */
    assert_int_equal(rt_put(t, &g, S("mute"), S("a"), S("A2"), 0, RECORD_NX), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(rt_get(t, &g, S("mute"), S("a")), 0);
    expect_rec(&g, 0, S("a"), S("A2"), 0);
    /* del of an expired record finds nothing */
    assert_int_equal(rt_del(t, &g, S("mute"), S("d")), 0);
    assert_int_equal(g.n, 0);
    /* the sweep deletes e: with the clock back, it would be live again */
    rt_sweep(t);
    clock_set(t->clk, RT_T0);
    assert_int_equal(rt_get(t, &g, S("mute"), S("e")), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(rt_get(t, &g, S("mute"), S("c")), 0); /* not due: kept */
    expect_rec(&g, 0, S("c"), S("C"), RT_T0 + 5000);
    scan_keys(t, &g, S("mute"), S(""), S(""), 0, false);
    expect_keys(&g, (struct span[]){S("a"), S("b"), S("c")}, 3);
    rt_sweep(t); /* again, nothing due: idempotent */
    clock_set(t->clk, RT_T0 + 6000);
    rt_sweep(t);
    clock_set(t->clk, RT_T0);
    scan_keys(t, &g, S("mute"), S(""), S(""), 0, false);
    expect_keys(&g, (struct span[]){S("a"), S("b")}, 2);
    got_free(&g);
}

static void case_incr(struct rt *t)
{
    struct got g = {0};
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("c"), 5, 0), 0);
    expect_rec(&g, 0, S("c"), S("5"), 0);
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("c"), 3, 0), 0);
    expect_rec(&g, 0, S("c"), S("8"), 0);
    assert_int_equal(rt_get(t, &g, S("kpi"), S("c")), 0);
    expect_rec(&g, 0, S("c"), S("8"), 0);
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("c"), -8, 0), 0);
    assert_int_equal(g.n, 0); /* reached 0: deleted */
    assert_int_equal(rt_get(t, &g, S("kpi"), S("c")), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("d"), -3, 0), 0);
    expect_rec(&g, 0, S("d"), S("-3"), 0);
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("d"), 3, 0), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("z"), 0, 0), 0); /* 0 + 0: nothing stored */
    assert_int_equal(g.n, 0);
    assert_int_equal(rt_get(t, &g, S("kpi"), S("z")), 0);
    assert_int_equal(g.n, 0);
    /* values read as signed decimals; anything else counts as 0 */
    const struct { struct span in, out; } reads[] = {
        {S("abc"), S("2")}, {S(" 007"), S("9")}, {S("+5"), S("7")}, {S("12abc"), S("2")},
        {S(""), S("2")},    {S("-0"), S("2")},   {S("-10"), S("-8")},
        {S("0000000000000000000009"), S("11")},
    };
    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        put_ok(t, S("kpi"), S("v"), reads[i].in, 0);
        assert_int_equal(rt_incr(t, &g, S("kpi"), S("v"), 2, 0), 0);
        expect_rec(&g, 0, S("v"), reads[i].out, 0);
    }
    /* a decimal beyond int64 reads as the limit (as strtoll clamps) */
    const struct { struct span in; int64_t delta; struct span out; } edges[] = {
        {S("99999999999999999999"), -1, S("9223372036854775806")},
        {S("9223372036854775808"), -1, S("9223372036854775806")},
        {S("-99999999999999999999"), 1, S("-9223372036854775807")},
        {S("-9223372036854775809"), 1, S("-9223372036854775807")},
        {S("9223372036854775806"), 1, S("9223372036854775807")},
        {S("-9223372036854775807"), -1, S("-9223372036854775808")},
        {S("9223372036854775799"), 8, S("9223372036854775807")},
    };
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        put_ok(t, S("kpi"), S("e"), edges[i].in, 0);
        assert_int_equal(rt_incr(t, &g, S("kpi"), S("e"), edges[i].delta, 0), 0);
        expect_rec(&g, 0, S("e"), edges[i].out, 0);
    }
    /* the expiry is set on every call; an expired counter counts from 0 */
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("x"), 1, RT_T0 + 100), 0);
    expect_rec(&g, 0, S("x"), S("1"), RT_T0 + 100);
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("x"), 1, RT_T0 + 200), 0);
    expect_rec(&g, 0, S("x"), S("2"), RT_T0 + 200);
    clock_set(t->clk, RT_T0 + 200);
    assert_int_equal(rt_get(t, &g, S("kpi"), S("x")), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("x"), 1, 0), 0);
    expect_rec(&g, 0, S("x"), S("1"), 0);
    clock_set(t->clk, RT_T0 + 1000000);
    assert_int_equal(rt_get(t, &g, S("kpi"), S("x")), 0);
    expect_rec(&g, 0, S("x"), S("1"), 0);
    got_free(&g);
}

static void case_incr_overflow(struct rt *t)
{
    struct got g = {0};
    put_ok(t, S("kpi"), S("max"), S("9223372036854775807"), 0);
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("max"), 1, 0), -EINVAL);
    assert_int_equal(rt_get(t, &g, S("kpi"), S("max")), 0); /* unchanged */
    expect_rec(&g, 0, S("max"), S("9223372036854775807"), 0);
    put_ok(t, S("kpi"), S("min"), S("-9223372036854775808"), 0);
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("min"), -1, 0), -EINVAL);
    assert_int_equal(rt_get(t, &g, S("kpi"), S("min")), 0);
    expect_rec(&g, 0, S("min"), S("-9223372036854775808"), 0);
    assert_int_equal(rt_incr(t, &g, S("kpi"), S("new"), INT64_MIN, 0), 0); /* 0 + min: fits */
    expect_rec(&g, 0, S("new"), S("-9223372036854775808"), 0);
    got_free(&g);
}

static void case_bad_sizes(struct rt *t)
{
    static uint8_t big[RECORD_VALUE_MAX + 1];
    static uint8_t longkey[RECORD_KEY_MAX + 1];
    memset(longkey, 'k', sizeof(longkey));
    struct span key_over = {longkey, RECORD_KEY_MAX + 1};
    struct got g = {0};
    const struct span bad_kinds[] = {S(""), S("Ban"), S("a b"), S("a-b"), S("a/b"), S("\xc3\xa4"),
                                     S("a\0"), S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")};
    for (size_t i = 0; i < sizeof(bad_kinds) / sizeof(bad_kinds[0]); i++) {
        struct span k = bad_kinds[i];
        struct record_scan q = {{NULL, 0}, {NULL, 0}, 0, false};
        assert_int_equal(rt_put(t, &g, k, S("a"), S("v"), 0, 0), -EINVAL);
        assert_int_equal(rt_get(t, &g, k, S("a")), -EINVAL);
        assert_int_equal(rt_del(t, &g, k, S("a")), -EINVAL);
        assert_int_equal(rt_incr(t, &g, k, S("a"), 1, 0), -EINVAL);
        assert_int_equal(rt_scan(t, &g, k, &q), -EINVAL);
    }
    put_ok(t, S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), S("a"), S("v"), 0); /* 32: fine */
    put_ok(t, S("a_b.c9"), S("a"), S("v"), 0);
    assert_int_equal(rt_put(t, &g, S("ban"), S(""), S("v"), 0, 0), -EINVAL);
    assert_int_equal(rt_get(t, &g, S("ban"), S("")), -EINVAL);
    assert_int_equal(rt_del(t, &g, S("ban"), S("")), -EINVAL);
    assert_int_equal(rt_incr(t, &g, S("ban"), S(""), 1, 0), -EINVAL);
    assert_int_equal(rt_put(t, &g, S("ban"), key_over, S("v"), 0, 0), -EINVAL);
    assert_int_equal(rt_get(t, &g, S("ban"), key_over), -EINVAL);
    assert_int_equal(rt_del(t, &g, S("ban"), key_over), -EINVAL);
    assert_int_equal(rt_incr(t, &g, S("ban"), key_over, 1, 0), -EINVAL);
    struct span val_over = {big, RECORD_VALUE_MAX + 1};
    assert_int_equal(rt_put(t, &g, S("ban"), S("a"), val_over, 0, 0), -EINVAL);
    struct record_scan q = {key_over, {NULL, 0}, 0, false};
    assert_int_equal(rt_scan(t, &g, S("ban"), &q), -EINVAL);
    q = (struct record_scan){{NULL, 0}, key_over, 0, false};
    assert_int_equal(rt_scan(t, &g, S("ban"), &q), -EINVAL);
    /* nothing was stored by the refused calls */
    scan_keys(t, &g, S("ban"), S(""), S(""), 0, false);
    expect_keys(&g, NULL, 0);
    got_free(&g);
}

static void case_largest(struct rt *t)
{
    uint8_t *val = malloc(RECORD_VALUE_MAX);
    uint8_t key[RECORD_KEY_MAX];
    assert_non_null(val);
    for (size_t i = 0; i < RECORD_VALUE_MAX; i++)
        val[i] = (uint8_t)(i * 7 + (i >> 8));
    for (size_t i = 0; i < RECORD_KEY_MAX; i++)
        key[i] = (uint8_t)(255 - i);
    struct span k = {key, RECORD_KEY_MAX}, v = {val, RECORD_VALUE_MAX};
    struct got g = {0};
    put_ok(t, S("big"), k, v, RT_T0 + 1);
    assert_int_equal(rt_get(t, &g, S("big"), k), 0);
    assert_int_equal(g.n, 1);
    expect_rec(&g, 0, k, v, RT_T0 + 1);
    scan_keys(t, &g, S("big"), k, S(""), 0, true);
    assert_int_equal(g.n, 1);
    expect_rec(&g, 0, k, v, RT_T0 + 1);
    assert_int_equal(rt_del(t, &g, S("big"), k), 0);
    expect_rec(&g, 0, k, v, RT_T0 + 1);
    got_free(&g);
    free(val);
}

static void case_kinds_apart(struct rt *t)
{
    const struct span kinds[] = {S("ban"), S("mute"), S("a"), S("a.keys"), S("a.vals"), S("due")};
    for (size_t i = 0; i < 6; i++)
        put_ok(t, kinds[i], S("same"), kinds[i], i % 2 ? RT_T0 + 100 : 0);
    struct got g = {0};
    for (size_t i = 0; i < 6; i++) {
        scan_keys(t, &g, kinds[i], S(""), S(""), 0, false);
        assert_int_equal(g.n, 1);
        expect_rec(&g, 0, S("same"), kinds[i], i % 2 ? RT_T0 + 100 : 0);
    }
    clock_set(t->clk, RT_T0 + 100);
    rt_sweep(t);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(rt_get(t, &g, kinds[i], S("same")), 0);
        assert_int_equal(g.n, i % 2 ? 0 : 1);
    }
    got_free(&g);
}

const struct records_case records_cases[] = {
    {"put_get_del", case_put_get_del},
    {"nx_and_overwrite", case_nx_and_overwrite},
    {"scan_order", case_scan_order},
    {"scan_prefix", case_scan_prefix},
    {"scan_paging", case_scan_paging},
    {"scan_limit", case_scan_limit},
    {"binary_keys", case_binary_keys},
    {"scan_bound_chars", case_scan_bound_chars},
    {"expiry", case_expiry},
    {"scan_skips_expired", case_scan_skips_expired},
    {"incr", case_incr},
    {"incr_overflow", case_incr_overflow},
    {"bad_sizes", case_bad_sizes},
    {"largest", case_largest},
    {"kinds_apart", case_kinds_apart},
};
const size_t records_ncases = sizeof(records_cases) / sizeof(records_cases[0]);
