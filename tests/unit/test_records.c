/* tests/unit/test_records.c — the records contract (records_cases.c,
 * records_scan_cases.c) run against the memory store and against the Redis
 * store, the latter on a real redis-server this test starts
 * (redis_fixture.c) and driven through a real uv loop, as hearthd drives
 * it; then the cases only Redis has (records_redis_cases.c). Here: the
 * harness (an engine on its own loop, struct fx), the cmocka groups and
 * main. A redis-server that cannot be started fails the test; nothing is
 * skipped.
 *
 * Each engine lives on its own loop, so closing one can run its loop until
 * everything of it is closed and assert uv_loop_close() == 0. */
#include <errno.h>
#include <setjmp.h>
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
#include "tests/unit/records_harness.h"

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
bool run_until(struct fx *f, bool (*done)(void *arg), void *arg)
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

bool all_shards_up(void *arg)
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
int fx_open(struct fx *f, const char *json, struct clock *clk)
{
    memset(f, 0, sizeof(*f));
    f->clk = clk;
    char err[256] = "", path[] = "/tmp/hearth-test-records-XXXXXX";
    int rc = -1;
    if (json) {
        int fd = mkstemp(path);
        bool ok = fd >= 0 && write(fd, json, strlen(json)) == (ssize_t)strlen(json);
        if (fd >= 0)
            close(fd);
        if (!ok) {
            fprintf(stderr, "cannot write a config file\n");
            unlink(path);
            return -1;
        }
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
    if (f->eng)
        return 0;
    uv_close((uv_handle_t *)&f->tick, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_loop_close(&f->loop);
    config_free(&f->cfg);
    return -1;
}

/* Shuts the engine down, runs its loop until everything is closed, frees
 * it. Pending callbacks run before this returns. */
void fx_close(struct fx *f)
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

/* A Redis engine's config for srv into buf. Returns buf. */
const char *redis_json(const struct redis_server *srv, char *buf, size_t n)
{
    snprintf(buf, n,
             "{\"engine\": \"redis\", \"redis_url\": \"redis://127.0.0.1:%d\", "
             "\"redis_prefix\": \"t\", \"redis_connect_timeout_ms\": 500, "
             "\"redis_command_timeout_ms\": 2000}",
             srv->port);
    return buf;
}

redisReply *admin(const struct harness *h, int db, const char *a0, const char *a1)
{
    const char *argv[2] = {a0, a1};
    size_t lens[2] = {strlen(a0), a1 ? strlen(a1) : 0};
    redisReply *r = redis_server_cmd(&h->srv, db, a1 ? 2 : 1, argv, lens);
    assert_non_null(r);
    return r;
}

long long admin_int(const struct harness *h, int db, const char *a0, const char *a1)
{
    redisReply *r = admin(h, db, a0, a1);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* ---- the contract, per store ---- */


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

/* ---- groups ---- */

static struct harness hx; /* the test's one harness (cmocka's group state cannot carry it) */

static int redis_group_setup(void **state)
{
    struct harness *h = &hx;
    char json[256];
    if (fx_open(&h->redis, redis_json(&h->srv, json, sizeof(json)), &h->clk) != 0)
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
    const size_t NEXTRA = records_nredis_cases;
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
        red[n + i] = (struct CMUnitTest){records_redis_cases[i].name, records_redis_cases[i].fn,
                                         redis_setup, NULL,
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
