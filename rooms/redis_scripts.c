/* rooms/redis_scripts.c — the Redis engine's Lua scripts (see
 * redis_scripts.h). Key names: P = redis_prefix, ch = channel name.
 *
 * Lua 5.1 in Redis: numbers are doubles, so offsets stay exact below 2^53
 * (JavaScript clients need that anyway). struct.pack writes the offset as a
 * fixed 8-byte msgpack uint64 (0xcf) into the envelope. */
#include "rooms/redis_scripts.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* KEYS[1] P.stream.ch  KEYS[2] P.meta.ch
 * ARGV[1] envelope tail (flags, data, info)   ARGV[2] history size
 * ARGV[3] history ttl (s)   ARGV[4] meta ttl (s, 0 = none)
 * ARGV[5] epoch to use if the stream has none   ARGV[6] pub/sub channel P.client.ch
 * Returns {offset, epoch}. The envelope [1, offset, epoch, tail...] is both
 * the stream entry (id "<offset>-0", field "d") and the PUBLISH payload, so
 * every node sees offsets in the order Redis assigned them. */
static const char publish_lua[] =
    "local epoch = redis.call('hget', KEYS[2], 'e')\n"
    "if not epoch then\n"
    "  epoch = ARGV[5]\n"
    "  redis.call('hset', KEYS[2], 'e', epoch)\n"
    "end\n"
    "local offset = redis.call('hincrby', KEYS[2], 's', 1)\n"
    "if tonumber(ARGV[4]) > 0 then redis.call('expire', KEYS[2], ARGV[4]) end\n"
    "if offset == 1 then redis.call('del', KEYS[1]) end\n"
    "local env = '\\150\\001\\207' .. struct.pack('>I8', offset) .. '\\217' ..\n"
    "  string.char(#epoch) .. epoch .. ARGV[1]\n"
    "redis.call('xadd', KEYS[1], 'MAXLEN', ARGV[2], string.format('%d-0', offset), 'd', env)\n"
    "redis.call('expire', KEYS[1], ARGV[3])\n"
    "redis.call('publish', ARGV[6], env)\n"
    "return {offset, epoch}\n";

/* KEYS[1] P.stream.ch  KEYS[2] P.meta.ch
 * ARGV[1] (unused)   ARGV[2] meta ttl (s, 0 = none), refreshed on an existing stream
 * ARGV[3] '0' top only, 'f' forward, 'r' reverse   ARGV[4] start id
 * ARGV[5] count, '0' = no limit
 * Returns {top, epoch, entries} (entries as XRANGE returns them). A read
 * writes nothing: a channel never published to answers {0, '', {}}, the
 * position before the first publication (recovering from epoch '' matches
 * the epoch that publication creates), so reads cannot grow Redis. */
static const char history_lua[] =
    "local m = redis.call('hmget', KEYS[2], 'e', 's')\n"
    "local epoch = m[1]\n"
    "local top = tonumber(m[2]) or 0\n"
    "if not epoch then return {0, '', {}} end\n"
    "if tonumber(ARGV[2]) > 0 then redis.call('expire', KEYS[2], ARGV[2]) end\n"
    "local entries = {}\n"
    "if ARGV[3] == 'f' then\n"
    "  if ARGV[5] == '0' then entries = redis.call('xrange', KEYS[1], ARGV[4], '+')\n"
    "  else entries = redis.call('xrange', KEYS[1], ARGV[4], '+', 'COUNT', ARGV[5]) end\n"
    "elseif ARGV[3] == 'r' then\n"
    "  if ARGV[5] == '0' then entries = redis.call('xrevrange', KEYS[1], ARGV[4], '-')\n"
    "  else entries = redis.call('xrevrange', KEYS[1], ARGV[4], '-', 'COUNT', ARGV[5]) end\n"
    "end\n"
    "return {top, epoch, entries}\n";

/* KEYS[1] P.presence.data.ch (hash client -> info)
 * KEYS[2] P.presence.expire.ch (zset client -> expire-at, unix s)
 * ARGV[1] ttl (s)  ARGV[2] expire-at  ARGV[3] client id  ARGV[4] info */
static const char presence_add_lua[] =
    "redis.call('zadd', KEYS[2], ARGV[2], ARGV[3])\n"
    "redis.call('hset', KEYS[1], ARGV[3], ARGV[4])\n"
    "redis.call('expire', KEYS[1], ARGV[1])\n"
    "redis.call('expire', KEYS[2], ARGV[1])\n"
    "return 1\n";

/* KEYS as presence_add; ARGV[1] client id */
static const char presence_rem_lua[] =
    "redis.call('hdel', KEYS[1], ARGV[1])\n"
    "redis.call('zrem', KEYS[2], ARGV[1])\n"
    "return 1\n";

/* KEYS as presence_add; ARGV[1] now (unix s). Drops entries whose node
 * stopped refreshing them, then returns HGETALL of what is left. */
static const char presence_get_lua[] =
    "local gone = redis.call('zrangebyscore', KEYS[2], '0', ARGV[1])\n"
    "for i = 1, #gone do redis.call('hdel', KEYS[1], gone[i]) end\n"
    "if #gone > 0 then redis.call('zremrangebyscore', KEYS[2], '0', ARGV[1]) end\n"
    "return redis.call('hgetall', KEYS[1])\n";

const struct rscript_def redis_scripts[RSCRIPT_COUNT] = {
    [RSCRIPT_PUBLISH] = {"publish", publish_lua},
    [RSCRIPT_HISTORY] = {"history", history_lua},
    [RSCRIPT_PRESENCE_ADD] = {"presence_add", presence_add_lua},
    [RSCRIPT_PRESENCE_REM] = {"presence_rem", presence_rem_lua},
    [RSCRIPT_PRESENCE_GET] = {"presence_get", presence_get_lua},
};

void redis_script_sha1(const char *src, char out[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(src, strlen(src), md, &n, EVP_sha1(), NULL);
    for (unsigned i = 0; i < n && i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[40] = 0;
}
