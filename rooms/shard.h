/* rooms/shard.h — which Redis instance a channel lives on when redis_url
 * lists several: jump consistent hash (Lamping & Veach) over the channel's
 * FNV-1a 64 hash, the same choice Centrifugo makes, so adding an instance
 * moves only about 1/N of the channels. Pure functions, no state. */
#ifndef HEARTH_SHARD_H
#define HEARTH_SHARD_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64 of n bytes at p. */
uint64_t shard_fnv1a64(const void *p, size_t n);
/* Jump consistent hash: a bucket in [0, nbuckets) for key; nbuckets >= 1. */
uint32_t shard_jump(uint64_t key, uint32_t nbuckets);
/* The shard index in [0, nshards) for a channel name. */
uint32_t shard_of(const void *channel, size_t n, uint32_t nshards);

#endif
