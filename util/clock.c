/* util/clock.c — the settable wall clock (see clock.h). Owns nothing. */
#include "util/clock.h"

#include <time.h>

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_init(struct clock *c)
{
    c->frozen = false;
    c->at_ms = 0;
}

int64_t clock_now_ms(const struct clock *c) { return c->frozen ? c->at_ms : real_ms(); }

void clock_set(struct clock *c, int64_t unix_ms)
{
    c->frozen = true;
    c->at_ms = unix_ms;
}

void clock_advance(struct clock *c, int64_t ms) { clock_set(c, clock_now_ms(c) + ms); }

void clock_run(struct clock *c) { clock_init(c); }
