/* bench/gen/hist.c — log-bucket latency histogram (see hist.h). */
#include "hist.h"

#include <string.h>

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

/* bucket index: values below HIST_SUB map 1:1; above, the top HIST_SUB_BITS
 * bits after the leading one select the sub-bucket of that power of two */
static uint32_t index_of(uint64_t v)
{
    if (v < HIST_SUB)
        return (uint32_t)v;
    uint32_t msb = 63u - (uint32_t)__builtin_clzll(v);
    if (msb > HIST_MAX_EXP + HIST_SUB_BITS - 1)
        return HIST_BUCKETS - 1;
    uint32_t shift = msb - HIST_SUB_BITS;
    uint32_t sub = (uint32_t)(v >> shift) & (HIST_SUB - 1);
    return (shift + 1) * HIST_SUB + sub;
}

static uint64_t upper_of(uint32_t i)
{
    if (i < HIST_SUB)
        return i;
    uint32_t shift = i / HIST_SUB - 1;
    uint64_t sub = i % HIST_SUB;
    return (((uint64_t)HIST_SUB + sub + 1) << shift) - 1;
}

void hist_add(struct hist *h, uint64_t v)
{
    h->b[index_of(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v > h->max)
        h->max = v;
    if (v < h->min)
        h->min = v;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    if (!h->count)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)(h->count - 1)) + 1;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t u = upper_of(i);
            return u > h->max ? h->max : u;
        }
    }
    return h->max;
}

void hist_merge(struct hist *into, const struct hist *from)
{
    for (uint32_t i = 0; i < HIST_BUCKETS; i++)
        into->b[i] += from->b[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->max > into->max)
        into->max = from->max;
    if (from->min < into->min)
        into->min = from->min;
}
