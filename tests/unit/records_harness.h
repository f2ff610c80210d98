/* tests/unit/records_harness.h — what test_records.c's harness shares with
 * the Redis-only cases (records_redis_cases.c): an engine on its own uv
 * loop (struct fx), the throwaway redis-server, synchronous admin commands
 * to it, and the per-case slot cmocka hands a case. */
#ifndef HEARTH_TEST_RECORDS_HARNESS_H
#define HEARTH_TEST_RECORDS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "config/config.h"
#include "rooms/engine.h"
#include "tests/unit/records_cases.h"
#include "tests/unit/redis_fixture.h"

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

/* The test's one harness: the server, the clock every engine reads, the
 * memory engine (made per case) and the Redis engine (per group). */
struct harness {
    struct redis_server srv;
    struct clock clk;
    struct fx mem;              /* per case */
    struct fx redis;            /* the whole group */
};

/* What cmocka hands a case: the harness and which case on which store. */
struct slot {
    struct harness *h;
    const struct records_case *c;
    bool redis;
};

/* Runs f's loop until done(arg) or WAIT_MS; false on the deadline. */
bool run_until(struct fx *f, bool (*done)(void *arg), void *arg);
/* done() for run_until: every shard's connections are up (arg: the fx). */
bool all_shards_up(void *arg);
/* An engine on a new loop from a config file's text (NULL = the demo
 * defaults, engine memory). 0, or -1 (nothing left open). */
int fx_open(struct fx *f, const char *json, struct clock *clk);
/* Shuts the engine down, runs its loop until everything is closed (pending
 * callbacks run), frees it; asserts uv_loop_close() == 0. */
void fx_close(struct fx *f);
/* A Redis engine's config text for srv into buf (prefix "t"). Returns buf. */
const char *redis_json(const struct redis_server *srv, char *buf, size_t n);
/* A command (one or two words) to the test's redis-server, database db. */
redisReply *admin(const struct harness *h, int db, const char *a0, const char *a1);
long long admin_int(const struct harness *h, int db, const char *a0, const char *a1);

/* records_redis_cases.c: the cases only the Redis store has */
struct redis_case {
    const char *name;
    void (*fn)(void **state);  /* state: a struct slot */
};
extern const struct redis_case records_redis_cases[];
extern const size_t records_nredis_cases;

#endif
