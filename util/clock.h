/* util/clock.h — the one wall clock (unix milliseconds) everything reads the
 * time through, settable by tests.
 *
 * A clock runs on CLOCK_REALTIME unless frozen: clock_set() freezes it at a
 * value, clock_advance() moves a frozen clock by hand, clock_run() lets it run
 * again. struct node owns the process's clock (node/node.h); the engines and
 * stores borrow it (const) from their constructors.
 *
 * Not covered: timeouts measured against libuv's loop time (uv_now: the Redis
 * command timeout, subscribe progress, reconnect pacing). Those must agree with
 * libuv's timers, which a settable clock cannot move, so they keep uv_now. */
#ifndef HEARTH_CLOCK_H
#define HEARTH_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct clock {
    bool frozen;
    int64_t at_ms;   /* the reading while frozen */
};

void clock_init(struct clock *c);                 /* running on real time (as is a zeroed clock) */
int64_t clock_now_ms(const struct clock *c);      /* wall-clock unix ms */
static inline int64_t clock_now_s(const struct clock *c) { return clock_now_ms(c) / 1000; }
void clock_set(struct clock *c, int64_t unix_ms); /* freeze at unix_ms */
void clock_advance(struct clock *c, int64_t ms);  /* freezes at now + ms */
void clock_run(struct clock *c);                  /* back to real time */

#endif
