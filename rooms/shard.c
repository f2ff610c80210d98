/* rooms/shard.c — channel → Redis shard (see shard.h). */
#include "rooms/shard.h"

uint64_t shard_fnv1a64(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint32_t shard_jump(uint64_t key, uint32_t nbuckets)
{
    int64_t b = -1, j = 0;
    while (j < (int64_t)nbuckets) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
    }
    return (uint32_t)b;
}

uint32_t shard_of(const void *channel, size_t n, uint32_t nshards)
{
    if (nshards <= 1)
        return 0;
    return shard_jump(shard_fnv1a64(channel, n), nshards);
}
