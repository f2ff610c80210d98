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
#include <string.h>

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

/* Helpers for the cases (they fail the running case on a mismatch). */
#define S(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})
static inline struct span sz(const char *s) { return (struct span){(const uint8_t *)s, strlen(s)}; }
void expect_span(struct span got, struct span want);
void expect_rec(const struct got *g, size_t i, struct span key, struct span value,
                int64_t expire_ms);
/* The scan answer has exactly these keys, in this order. */
void expect_keys(const struct got *g, const struct span *keys, size_t n);
/* A put that must succeed and store (n = 0). */
void put_ok(struct rt *t, struct span kind, struct span key, struct span value, int64_t expire_ms);
/* Puts keys fmt % i for i in [from, from + n), values the same, waiting
 * only for the last (a store answers one kind's ops in order). */
void put_many(struct rt *t, struct span kind, const char *fmt, int from, int n,
              int64_t expire_ms);
void scan_keys(struct rt *t, struct got *g, struct span kind, struct span prefix,
               struct span after, uint32_t limit, bool reverse);

/* records_scan_cases.c */
void case_scan_order(struct rt *t);
void case_scan_prefix(struct rt *t);
void case_scan_paging(struct rt *t);
void case_scan_limit(struct rt *t);
void case_binary_keys(struct rt *t);
void case_scan_bound_chars(struct rt *t);
void case_scan_skips_expired(struct rt *t);

struct records_case {
    const char *name;
    void (*fn)(struct rt *t);
};
extern const struct records_case records_cases[];
extern const size_t records_ncases;

#endif
