/* bench/gen/hist.h — an HDR-style latency histogram: log2 buckets, each split
 * into 64 linear sub-buckets (relative error <= 1/64 ~ 1.6 %), values in
 * microseconds up to ~2^40. Fixed size, no allocation on record. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_EXP 40
#define HIST_BUCKETS ((HIST_MAX_EXP + 1) * HIST_SUB)

struct hist {
    uint64_t count;
    uint64_t max;
    uint64_t min;
    double sum;
    uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
/* Value at quantile q (0..1): the upper edge of the bucket that holds it,
 * capped at the recorded maximum. 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
void hist_merge(struct hist *into, const struct hist *from);

#endif
