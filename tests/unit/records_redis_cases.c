/* tests/unit/records_redis_cases.c — the records cases only the Redis
 * store has (see test_records.c): an unreachable or frozen server, SCRIPT
 * FLUSH, shutdown with ops in flight, the sweep's bound, two shards, and
 * two nodes sharing one Redis (each op atomic across nodes). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rooms/redis_scripts.h"
#include "rooms/shard.h"
#include "tests/unit/records_harness.h"

/* Nothing listens: every op answers ENGINE_ETEMP at once, no callback. */
static void redis_unreachable(void **state)
{
    struct slot *s = *state;
    struct harness *h = s->h;
    struct redis_server none = {.port = redis_free_port()};
    struct fx f;
    char json[256];
    assert_int_equal(fx_open(&f, redis_json(&none, json, sizeof(json)), &h->clk), 0);
    uv_run(&f.loop, UV_RUN_ONCE); /* the first connect fails */
    struct got g = {0};
    struct record_scan q = {{NULL, 0}, {NULL, 0}, 0, false};
    assert_int_equal(rt_put(&f.rt, &g, S("ban"), S("a"), S("v"), 0, 0), ENGINE_ETEMP);
    assert_int_equal(rt_get(&f.rt, &g, S("ban"), S("a")), ENGINE_ETEMP);
    assert_int_equal(rt_del(&f.rt, &g, S("ban"), S("a")), ENGINE_ETEMP);
    assert_int_equal(rt_scan(&f.rt, &g, S("ban"), &q), ENGINE_ETEMP);
    assert_int_equal(rt_incr(&f.rt, &g, S("ban"), S("a"), 1, 0), ENGINE_ETEMP);
    rt_sweep(&f.rt); /* nothing to do, nothing breaks */
    fx_close(&f);
}

/* A frozen server: an op in flight gets ENGINE_ETEMP once (the command
 * timeout); after SIGCONT the engine reconnects and ops work again. */
static void redis_frozen(void **state)
{
    struct slot *s = *state;
    struct harness *h = s->h;
    struct rt *t = &h->redis.rt;
    struct got g = {0};
    assert_int_equal(rt_put(t, &g, S("ban"), S("a"), S("v"), 0, 0), 0);
    assert_int_equal(kill(h->srv.pid, SIGSTOP), 0);
    int rc = rt_get(t, &g, S("ban"), S("a")); /* waits for its callback */
    assert_int_equal(kill(h->srv.pid, SIGCONT), 0);
    assert_int_equal(rc, ENGINE_ETEMP);
    assert_int_equal(g.calls, 1);
    assert_true(run_until(&h->redis, all_shards_up, &h->redis));
    assert_int_equal(rt_get(t, &g, S("ban"), S("a")), 0);
    assert_int_equal(g.n, 1);
    got_free(&g);
}

/* SCRIPT LOAD commands Redis ran since its stats were reset. */
static long script_loads(const struct harness *h)
{
    redisReply *r = admin(h, 0, "INFO", "commandstats");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    const char *p = strstr(r->str, "cmdstat_script|load:calls=");
    long n = p ? strtol(p + strlen("cmdstat_script|load:calls="), NULL, 10) : 0;
    freeReplyObject(r);
    return n;
}

/* SCRIPT FLUSH: the op's NOSCRIPT reply loads the scripts and resends;
 * with many ops in flight the scripts are loaded once, not once each. */
static void redis_script_flush(void **state)
{
    struct slot *s = *state;
    struct rt *t = &s->h->redis.rt;
    struct got g = {0};
    freeReplyObject(admin(s->h, 0, "SCRIPT", "FLUSH"));
    assert_int_equal(rt_put(t, &g, S("ban"), S("a"), S("v"), 0, 0), 0);
    freeReplyObject(admin(s->h, 0, "SCRIPT", "FLUSH"));
    assert_int_equal(rt_get(t, &g, S("ban"), S("a")), 0);
    assert_int_equal(g.n, 1);
    freeReplyObject(admin(s->h, 0, "SCRIPT", "FLUSH"));
    freeReplyObject(admin(s->h, 0, "CONFIG", "RESETSTAT"));
    put_many(t, S("ban"), "m%02d", 0, 50, 0); /* 50 in flight meet NOSCRIPT */
    struct record_scan q = {S("m"), {NULL, 0}, 0, false};
    assert_int_equal(rt_scan(t, &g, S("ban"), &q), 0);
    assert_int_equal(g.n, 50);
    assert_int_equal(script_loads(s->h), RSCRIPT_COUNT);
    got_free(&g);
}

/* Shutdown with ops in flight: each callback runs exactly once (answered
 * or ENGINE_ETEMP), before the loop is done; later ops are refused. */
static void redis_shutdown_pending(void **state)
{
    struct slot *s = *state;
    struct harness *h = s->h;
    struct fx f;
    char json[256];
    assert_int_equal(fx_open(&f, redis_json(&h->srv, json, sizeof(json)), &h->clk), 0);
    assert_true(run_until(&f, all_shards_up, &f));
    struct got g[4] = {{0}};
    struct record r = {S("a"), S("v"), 0};
    struct record_scan q = {{NULL, 0}, {NULL, 0}, 0, false};
    assert_int_equal(f.st->ops->record_put(f.st, S("ban"), &r, 0, rt_on_got, &g[0]), 0);
    assert_int_equal(f.st->ops->record_get(f.st, S("ban"), S("a"), rt_on_got, &g[1]), 0);
    assert_int_equal(f.st->ops->record_scan(f.st, S("ban"), &q, rt_on_got, &g[2]), 0);
    assert_int_equal(
        f.st->ops->record_incr(f.st, S("ban"), S("n"), 1, 0, rt_on_got, &g[3]), 0);
    f.eng->ops->shutdown(f.eng);
    assert_int_equal(f.st->ops->record_get(f.st, S("ban"), S("a"), rt_on_got, &g[1]),
                     ENGINE_ETEMP);
    fx_close(&f);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(g[i].calls, 1);
        assert_true(g[i].err == 0 || g[i].err == ENGINE_ETEMP);
        got_free(&g[i]);
    }
}

/* The sweep's work is bounded (1000 records per shard per call) and the
 * next call goes on where the last stopped; a kind with nothing left to
 * expire leaves the due list. */
static void redis_sweep_bounded(void **state)
{
    struct slot *s = *state;
    struct harness *h = s->h;
    struct rt *t = &h->redis.rt;
    struct got g = {0};
    put_many(t, S("bulk"), "x%04d", 0, 1500, RT_T0 + 10);
    put_many(t, S("bulk"), "y%d", 0, 5, 0);
    assert_int_equal(admin_int(h, 0, "HLEN", "t.rec.bulk.vals"), 1505);
    clock_set(&h->clk, RT_T0 + 10);
    rt_sweep(t);
    assert_int_equal(rt_get(t, &g, S("bulk"), S("y0")), 0); /* after the sweep's reply */
    assert_int_equal(g.n, 1);
    assert_int_equal(admin_int(h, 0, "HLEN", "t.rec.bulk.vals"), 505);
    assert_int_equal(admin_int(h, 0, "ZCARD", "t.rec.bulk.keys"), 505);
    assert_int_equal(admin_int(h, 0, "ZCARD", "t.rec.bulk.exp"), 500);
    assert_int_equal(admin_int(h, 0, "ZCARD", "t.rec.due"), 1);
    rt_sweep(t);
    assert_int_equal(rt_get(t, &g, S("bulk"), S("y0")), 0);
    assert_int_equal(admin_int(h, 0, "HLEN", "t.rec.bulk.vals"), 5);
    assert_int_equal(admin_int(h, 0, "EXISTS", "t.rec.bulk.exp"), 0);
    assert_int_equal(admin_int(h, 0, "EXISTS", "t.rec.due"), 0);
    got_free(&g);
}

/* Two shards (two databases of one server): a kind's keys all on the
 * shard its name picks; a scan sees them all; the sweep runs on each. */
static void redis_two_shards(void **state)
{
    struct slot *s = *state;
    struct harness *h = s->h;
    char extra[160];
    snprintf(extra, sizeof(extra),
             ", \"redis_url\": [\"redis://127.0.0.1:%d/1\", \"redis://127.0.0.1:%d/2\"]",
             h->srv.port, h->srv.port);
    char json[600];
    snprintf(json, sizeof(json),
             "{\"engine\": \"redis\", \"redis_prefix\": \"t2\"%s}", extra);
    struct fx f;
    assert_int_equal(fx_open(&f, json, &h->clk), 0);
    assert_true(run_until(&f, all_shards_up, &f));
    const char *kinds[2] = {NULL, NULL};
    static char names[16][8];
    for (int i = 0; i < 16 && (!kinds[0] || !kinds[1]); i++) {
        snprintf(names[i], sizeof(names[i]), "kind%d", i);
        uint32_t sh = shard_of(names[i], strlen(names[i]), 2);
        if (!kinds[sh])
            kinds[sh] = names[i];
    }
    assert_non_null(kinds[0]);
    assert_non_null(kinds[1]);
    struct got g = {0};
    for (int k = 0; k < 2; k++) {
        struct span kind = {(const uint8_t *)kinds[k], strlen(kinds[k])};
        for (int i = 0; i < 10; i++) {
            char key[8];
            snprintf(key, sizeof(key), "r%d", i);
            struct span ks = {(const uint8_t *)key, strlen(key)};
            assert_int_equal(rt_put(&f.rt, &g, kind, ks, ks, i < 3 ? RT_T0 + 50 : 0, 0), 0);
        }
        struct record_scan q = {{NULL, 0}, {NULL, 0}, 0, false};
        assert_int_equal(rt_scan(&f.rt, &g, kind, &q), 0);
        assert_int_equal(g.n, 10);
        char name[64];
        snprintf(name, sizeof(name), "t2.rec.%s.keys", kinds[k]);
        assert_int_equal(admin_int(h, 1 + k, "ZCARD", name), 10);
        assert_int_equal(admin_int(h, 2 - k, "EXISTS", name), 0);
    }
    clock_set(&h->clk, RT_T0 + 50);
    rt_sweep(&f.rt);
    for (int k = 0; k < 2; k++) {
        struct span kind = {(const uint8_t *)kinds[k], strlen(kinds[k])};
        assert_int_equal(rt_get(&f.rt, &g, kind, S("r9")), 0); /* after the sweep's reply */
        char name[64];
        snprintf(name, sizeof(name), "t2.rec.%s.vals", kinds[k]);
        assert_int_equal(admin_int(h, 1 + k, "HLEN", name), 7);
        snprintf(name, sizeof(name), "t2.rec.%s.exp", kinds[k]);
        assert_int_equal(admin_int(h, 1 + k, "EXISTS", name), 0);
        assert_int_equal(admin_int(h, 1 + k, "EXISTS", "t2.rec.due"), 0);
    }
    got_free(&g);
    fx_close(&f);
}

/* ---- two nodes on one Redis ---- */

struct tally {
    int calls, errs;
};

static void on_tally(void *arg, int err, const struct record *recs, size_t n)
{
    struct tally *t = arg;
    t->calls++;
    t->errs += err != 0;
}

struct nx_res {
    struct tally *all;
    int calls, err;
    size_t n;
    char seen;          /* the refused put: the first byte of the value it was shown */
};

static void on_nx(void *arg, int err, const struct record *recs, size_t n)
{
    struct nx_res *r = arg;
    r->calls++;
    r->all->calls++;
    r->err = err;
    r->n = n;
    if (n == 1 && recs[0].value.n)
        r->seen = (char)recs[0].value.p[0];
}

/* Runs both nodes' loops until *calls >= want (or WAIT_MS: fails). */
static void pump(struct fx *a, struct fx *b, const int *calls, int want)
{
    uint64_t end = uv_hrtime() + (uint64_t)WAIT_MS * 1000000u;
    struct timespec nap = {0, 200000};
    while (*calls < want && uv_hrtime() < end) {
        uv_run(&a->loop, UV_RUN_NOWAIT);
        uv_run(&b->loop, UV_RUN_NOWAIT);
        nanosleep(&nap, NULL);
    }
    assert_true(*calls >= want);
}

#define RACE_OPS 100
#define RACE_KEYS 20

/* Two engines (two nodes, each on its own loop) on one Redis: what one
 * writes the other reads; counters bumped from both and NX puts racing
 * from both stay exact, because each op is one script. */
static void redis_two_nodes(void **state)
{
    struct slot *s = *state;
    struct harness *h = s->h;
    struct fx *a = &h->redis, b;
    char json[256];
    assert_int_equal(fx_open(&b, redis_json(&h->srv, json, sizeof(json)), &h->clk), 0);
    assert_true(run_until(&b, all_shards_up, &b));
    struct got g = {0};
    assert_int_equal(rt_put(&a->rt, &g, S("node"), S("k"), S("from-a"), RT_T0 + 100, 0), 0);
    assert_int_equal(rt_get(&b.rt, &g, S("node"), S("k")), 0);
    expect_rec(&g, 0, S("k"), S("from-a"), RT_T0 + 100);
    assert_int_equal(rt_del(&b.rt, &g, S("node"), S("k")), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(rt_get(&a->rt, &g, S("node"), S("k")), 0);
    assert_int_equal(g.n, 0);
    /* a counter bumped from both nodes at once */
    struct tally t = {0};
    for (int i = 0; i < RACE_OPS; i++)
        for (int k = 0; k < 2; k++) {
            struct store *st = k ? b.st : a->st;
            assert_int_equal(st->ops->record_incr(st, S("node"), S("ctr"), 1, 0, on_tally, &t), 0);
        }
    pump(a, &b, &t.calls, 2 * RACE_OPS);
    assert_int_equal(t.calls, 2 * RACE_OPS);
    assert_int_equal(t.errs, 0);
    assert_int_equal(rt_get(&b.rt, &g, S("node"), S("ctr")), 0);
    expect_rec(&g, 0, S("ctr"), S("200"), 0);
    /* NX puts racing: one winner per key, the loser shown the winner */
    struct tally all = {0};
    static struct nx_res res[RACE_KEYS][2];
    memset(res, 0, sizeof(res));
    for (int i = 0; i < RACE_KEYS; i++) {
        char key[8];
        snprintf(key, sizeof(key), "nx%02d", i);
        for (int j = 0; j < 2; j++) {
            int k = (i + j) % 2; /* who asks first alternates */
            struct store *st = k ? b.st : a->st;
            struct record r = {sz(key), k ? S("B") : S("A"), 0};
            res[i][k].all = &all;
            assert_int_equal(st->ops->record_put(st, S("node"), &r, RECORD_NX, on_nx, &res[i][k]),
                             0);
        }
    }
    pump(a, &b, &all.calls, 2 * RACE_KEYS);
    for (int i = 0; i < RACE_KEYS; i++) {
        char key[8];
        snprintf(key, sizeof(key), "nx%02d", i);
        struct nx_res *ra = &res[i][0], *rb = &res[i][1];
        assert_int_equal(ra->calls, 1);
        assert_int_equal(rb->calls, 1);
        assert_int_equal(ra->err, 0);
        assert_int_equal(rb->err, 0);
        assert_int_equal(ra->n + rb->n, 1); /* exactly one stored */
        char winner = ra->n == 0 ? 'A' : 'B';
        assert_int_equal(ra->n ? ra->seen : rb->seen, winner);
        assert_int_equal(rt_get(&a->rt, &g, S("node"), sz(key)), 0);
        expect_rec(&g, 0, sz(key), winner == 'A' ? S("A") : S("B"), 0);
    }
    got_free(&g);
    fx_close(&b);
}

const struct redis_case records_redis_cases[] = {
    {"redis_unreachable", redis_unreachable},
    {"redis_frozen", redis_frozen},
    {"redis_script_flush", redis_script_flush},
    {"redis_shutdown_pending", redis_shutdown_pending},
    {"redis_sweep_bounded", redis_sweep_bounded},
    {"redis_two_shards", redis_two_shards},
    {"redis_two_nodes", redis_two_nodes},
};
const size_t records_nredis_cases = sizeof(records_redis_cases) / sizeof(records_redis_cases[0]);
