/* tests/unit/records_cases.h — the records contract (rooms/store.h,
 * "Records") as one table of cases that run against any store: a case
 * sees a struct rt (the store, its settable clock, and how to wait for a
 * callback) and drives the five record ops and the sweep through the
 * store's ops table only. test_records.c runs the table against the memory
 * store and the Redis store. */
#ifndef HEARTH_TEST_RECORDS_CASES_H
#define HEARTH_TEST_RECORDS_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/clock.h"
#include "rooms/store.h"

#define RT_T0 1800000000000LL   /* the clock's start in every case (unix ms, 2027) */

/* A store under test. */
struct rt {
    const char *name;
    struct store *st;                 /* borrowed */
    struct clock *clk;                /* borrowed; frozen at RT_T0 before each case */
    /* Runs until *calls >= want or a deadline (then the case fails); after
     * that, one more turn so a second callback would be seen. */
    void (*wait)(struct rt *t, const int *calls, int want);
    void *ctx;                        /* the harness's */
};

/* What one op's callback delivered (copies, owned; freed by the next op
 * on it or got_free). */
struct got {
    int calls;
    int err;
    size_t n;
    struct record *recs;              /* owned, keys and values owned too */
};

void got_free(struct got *g);
/* A store_records_cb filling the struct got at arg. */
void rt_on_got(void *arg, int err, const struct record *recs, size_t n);
/* The op, then its callback awaited. Returns the op's nonzero return (then
 * asserts no callback ran) or the callback's err (asserts it ran once). */
int rt_put(struct rt *t, struct got *g, struct span kind, struct span key, struct span value,
           int64_t expire_ms, unsigned flags);
int rt_get(struct rt *t, struct got *g, struct span kind, struct span key);
int rt_del(struct rt *t, struct got *g, struct span kind, struct span key);
int rt_scan(struct rt *t, struct got *g, struct span kind, const struct record_scan *q);
int rt_incr(struct rt *t, struct got *g, struct span kind, struct span key, int64_t delta,
            int64_t expire_ms);
/* The store's sweep at the clock's now (its effect is in place once the
 * next op on the same kind answers). */
void rt_sweep(struct rt *t);

struct records_case {
    const char *name;
    void (*fn)(struct rt *t);
};
extern const struct records_case records_cases[];
extern const size_t records_ncases;

#endif
