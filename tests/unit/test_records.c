/* tests/unit/test_records.c — the records contract (records_cases.c) run
 * against the memory store and against the Redis store, the latter on a
 * real redis-server this test starts (redis_fixture.c) and driven through a
 * real uv loop, as hearthd drives it. Then what only Redis has: a server
 * that is unreachable or frozen (ENGINE_ETEMP at once, or the callback once
 * with it), SCRIPT FLUSH (the scripts are loaded again and the op resent),
 * shutdown with ops in flight (each callback once), the sweep's bound, and
 * two shards (a kind's records all on the shard its name picks; each shard
 * swept).
 * A redis-server that cannot be started fails the test; nothing is skipped.
 *
 * Each engine lives on its own loop (struct fx), so closing one can run its
 * loop until everything of it is closed and assert uv_loop_close() == 0. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#include <cmocka.h>

#include "config/config.h"
#include "rooms/engine.h"
#include "rooms/shard.h"
#include "tests/unit/records_cases.h"
#include "tests/unit/redis_fixture.h"

#define S(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})
#define WAIT_MS 10000   /* longest wait for a callback or a connection */

/* One engine (memory or Redis) on its own loop; owns all of it. */
struct fx {
    uv_loop_t loop;
    uv_timer_t tick;            /* the engine's periodic sweep, as the server's tick */
    struct config cfg;
    struct engine *eng;
    struct store *st;
    struct rt rt;
    struct clock *clk;          /* borrowed */
};

struct harness {
    struct redis_server srv;
    struct clock clk;
    struct fx mem;              /* per case */
    struct fx redis;            /* the whole group */
};

/* ---- the loop ---- */

static void on_tick(uv_timer_t *t)
{
    struct fx *f = t->data;
    if (f->eng && f->eng->ops->sweep)
        f->eng->ops->sweep(f->eng, clock_now_ms(f->clk));
}

static void on_late(uv_timer_t *t) { *(bool *)t->data = true; }
static void on_closed(uv_handle_t *h) { free(h); }

/* Runs f's loop until done(arg) or WAIT_MS; false on the deadline. */
static bool run_until(struct fx *f, bool (*done)(void *arg), void *arg)
{
    if (done(arg))
        return true;
    bool late = false;
    uv_timer_t *dl = malloc(sizeof(*dl));
    assert_non_null(dl);
    uv_timer_init(&f->loop, dl);
    dl->data = &late;
    uv_timer_start(dl, on_late, WAIT_MS, 0);
    while (!done(arg) && !late)
        uv_run(&f->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)dl, on_closed);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    return done(arg);
}

struct calls_at_least {
    const int *calls;
    int want;
};

static bool calls_done(void *arg)
{
    const struct calls_at_least *c = arg;
    return *c->calls >= c->want;
}

static void fx_wait(struct rt *t, const int *calls, int want)
{
    struct fx *f = t->ctx;
    struct calls_at_least c = {calls, want};
    assert_true(run_until(f, calls_done, &c));
    uv_run(&f->loop, UV_RUN_NOWAIT); /* a second callback would show now */
}

static bool all_shards_up(void *arg)
{
    struct fx *f = arg;
    char name[8];
    for (int i = 0; i < 32; i++) { /* 32 names: every shard of a few */
        snprintf(name, sizeof(name), "k%d", i);
        if (f->eng->ops->available(f->eng, (struct span){(const uint8_t *)name, strlen(name)}))
            return false;
    }
    return true;
}

/* ---- an engine on its own loop ---- */

static void no_pub(void *arg, struct publication *pub) {}
static void no_join(void *arg, struct span ch, const struct clientinfo *ci, bool leave) {}

/* json: a config file's text (NULL = the demo defaults, engine memory). */
static int fx_open(struct fx *f, const char *json, struct clock *clk)
{
    memset(f, 0, sizeof(*f));
    f->clk = clk;
    char err[256] = "", path[] = "/tmp/hearth-test-records-XXXXXX";
    int rc = -1;
    if (json) {
        int fd = mkstemp(path);
        if (fd < 0 || write(fd, json, strlen(json)) != (ssize_t)strlen(json)) {
            fprintf(stderr, "cannot write a config file\n");
            return -1;
        }
        close(fd);
    }
    rc = config_load(&f->cfg, json ? path : NULL, err, sizeof(err));
    if (json)
        unlink(path);
    if (rc != 0) {
        fprintf(stderr, "config: %s\n", err);
        config_free(&f->cfg);
        return -1;
    }
    uv_loop_init(&f->loop);
    uv_timer_init(&f->loop, &f->tick);
    f->tick.data = f;
    uv_timer_start(&f->tick, on_tick, 100, 100);
    struct engine_events ev = {.on_publication = no_pub, .on_join = no_join};
    f->eng = json ? engine_redis_new(&f->cfg, &ev, &f->loop, "test-node-uid", clk, &f->st)
                  : engine_memory_new(&f->cfg, &ev, clk, &f->st);
    f->rt = (struct rt){json ? "redis" : "memory", f->st, clk, fx_wait, f};
    return f->eng ? 0 : -1;
}

/* Shuts the engine down, runs its loop until everything is closed, frees
 * it. Pending callbacks run before this returns. */
static void fx_close(struct fx *f)
{
    if (f->eng && f->eng->ops->shutdown)
        f->eng->ops->shutdown(f->eng);
    uv_close((uv_handle_t *)&f->tick, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    if (f->eng)
        f->eng->ops->destroy(f->eng);
    f->eng = NULL;
    assert_int_equal(uv_loop_close(&f->loop), 0);
    config_free(&f->cfg);
}

static char *redis_json(const struct redis_server *srv, const char *extra)
{
    static char buf[512];
    snprintf(buf, sizeof(buf),
             "{\"engine\": \"redis\", \"redis_url\": \"redis://127.0.0.1:%d\", "
             "\"redis_prefix\": \"t\", \"redis_connect_timeout_ms\": 500, "
             "\"redis_command_timeout_ms\": 1000%s}",
             srv->port, extra ? extra : "");
    return buf;
}

static redisReply *admin(const struct harness *h, int db, const char *a0, const char *a1)
{
    const char *argv[2] = {a0, a1};
    size_t lens[2] = {strlen(a0), a1 ? strlen(a1) : 0};
    redisReply *r = redis_server_cmd(&h->srv, db, a1 ? 2 : 1, argv, lens);
    assert_non_null(r);
    return r;
}

static long long admin_int(const struct harness *h, int db, const char *a0, const char *a1)
{
    redisReply *r = admin(h, db, a0, a1);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* ---- the contract, per store ---- */

struct slot {
    struct harness *h;
    const struct records_case *c;
    bool redis;
};

static int mem_setup(void **state)
{
    struct slot *s = *state;
    clock_set(&s->h->clk, RT_T0);
    return fx_open(&s->h->mem, NULL, &s->h->clk);
}

static int mem_teardown(void **state)
{
    struct slot *s = *state;
    fx_close(&s->h->mem);
    return 0;
}

static int redis_setup(void **state)
{
    struct slot *s = *state;
    clock_set(&s->h->clk, RT_T0);
    redisReply *r = admin(s->h, 0, "FLUSHALL", NULL);
    freeReplyObject(r);
    return run_until(&s->h->redis, all_shards_up, &s->h->redis) ? 0 : -1;
}

static void run_case(void **state)
{
    struct slot *s = *state;
    s->c->fn(s->redis ? &s->h->redis.rt : &s->h->mem.rt);
}

/* ---- Redis only ---- */

/* Nothing listens: every op answers ENGINE_ETEMP at once, no callback. */
static void redis_unreachable(void **state)
{
    struct slot *s = *state;
    struct harness *h = s->h;
    struct redis_server none = {.port = redis_free_port()};
    struct fx f;
    assert_int_equal(fx_open(&f, redis_json(&none, NULL), &h->clk), 0);
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

/* SCRIPT FLUSH: the op's NOSCRIPT reply loads the scripts and resends. */
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
    got_free(&g);
}

/* Shutdown with ops in flight: each callback runs exactly once (answered
 * or ENGINE_ETEMP), before the loop is done; later ops are refused. */
static void redis_shutdown_pending(void **state)
{
    struct slot *s = *state;
    struct harness *h = s->h;
    struct fx f;
    assert_int_equal(fx_open(&f, redis_json(&h->srv, NULL), &h->clk), 0);
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

/* ---- groups ---- */

static struct harness hx; /* the test's one harness (cmocka's group state cannot carry it) */

static int redis_group_setup(void **state)
{
    struct harness *h = &hx;
    if (fx_open(&h->redis, redis_json(&h->srv, NULL), &h->clk) != 0)
        return -1;
    return run_until(&h->redis, all_shards_up, &h->redis) ? 0 : -1;
}

static int redis_group_teardown(void **state)
{
    struct harness *h = &hx;
    fx_close(&h->redis);
    return 0;
}

int main(void)
{
    struct harness *h = &hx;
    clock_set(&h->clk, RT_T0);
    static const struct {
        const char *name;
        void (*fn)(void **);
    } extra[] = {
        {"redis_unreachable", redis_unreachable},
        {"redis_frozen", redis_frozen},
        {"redis_script_flush", redis_script_flush},
        {"redis_shutdown_pending", redis_shutdown_pending},
        {"redis_sweep_bounded", redis_sweep_bounded},
        {"redis_two_shards", redis_two_shards},
    };
    enum { NEXTRA = sizeof(extra) / sizeof(extra[0]) };
    size_t n = records_ncases;
    struct slot *slots = calloc(2 * n + NEXTRA, sizeof(*slots));
    struct CMUnitTest *mem = calloc(n, sizeof(*mem));
    struct CMUnitTest *red = calloc(n + NEXTRA, sizeof(*red));
    if (!slots || !mem || !red)
        return 1;
    for (size_t i = 0; i < n; i++) {
        slots[i] = (struct slot){h, &records_cases[i], false};
        slots[n + i] = (struct slot){h, &records_cases[i], true};
        mem[i] = (struct CMUnitTest){records_cases[i].name, run_case, mem_setup, mem_teardown,
                                     &slots[i]};
        red[i] = (struct CMUnitTest){records_cases[i].name, run_case, redis_setup, NULL,
                                     &slots[n + i]};
    }
    for (size_t i = 0; i < NEXTRA; i++) {
        slots[2 * n + i] = (struct slot){h, NULL, true};
        red[n + i] = (struct CMUnitTest){extra[i].name, extra[i].fn, redis_setup, NULL,
                                         &slots[2 * n + i]};
    }
    int failed = _cmocka_run_group_tests("records_memory", mem, n, NULL, NULL);
    if (redis_server_start(&h->srv) == 0) {
        failed += _cmocka_run_group_tests("records_redis", red, n + NEXTRA, redis_group_setup,
                                          redis_group_teardown);
        redis_server_stop(&h->srv);
    } else {
        fprintf(stderr, "test_records: FAILED: cannot start redis-server, so the %zu Redis "
                        "cases did not run\n", n + NEXTRA);
        failed++;
    }
    free(slots);
    free(mem);
    free(red);
    return failed ? 1 : 0;
}
