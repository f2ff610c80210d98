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

/* ---- records (store.h "Records"; rooms/redis_records.c) ----
 * Per kind, on the shard chosen by the kind's name:
 *   P.rec.<kind>.keys  zset, every key at score 0 (ZRANGEBYLEX = byte order)
 *   P.rec.<kind>.vals  hash key -> value
 *   P.rec.<kind>.exp   zset key -> expire_ms, only records with an expiry
 * and per shard P.rec.due, a zset kind -> a time at or before the kind's
 * earliest expiry (the sweep's work list). A record is live while it has
 * no expiry or expire_ms > now; now is the node's clock (ARGV), never
 * Redis TIME. Reads write nothing; the sweep deletes expired records.
 * Expiries come back as the score's text ('0' = none). Keys and values
 * are binary-safe ARGV; Lua compares them only for equality (Redis sets
 * LC_COLLATE, so Lua's < would not be bytewise): byte order is Redis's. */
#define REC_PRELUDE                                                                   \
    "local K, V, X = KEYS[1], KEYS[2], KEYS[3]\n"                                     \
    "local function live_exp(key, now)\n"                                             \
    "  local e = redis.call('zscore', X, key)\n"                                      \
    "  if not e then return '0' end\n"                                                \
    "  if tonumber(e) <= now then return nil end\n"                                   \
    "  return e\n"                                                                    \
    "end\n"                                                                           \
    "local function drop(key)\n"                                                      \
    "  redis.call('zrem', K, key)\n"                                                  \
    "  redis.call('hdel', V, key)\n"                                                  \
    "  redis.call('zrem', X, key)\n"                                                  \
    "end\n"                                                                           \
    "local function set_exp(key, e, kind)\n"                                          \
    "  if e == '0' then redis.call('zrem', X, key) return end\n"                      \
    "  redis.call('zadd', X, e, key)\n"                                               \
    "  local d = redis.call('zscore', KEYS[4], kind)\n"                               \
    "  if not d or tonumber(d) > tonumber(e) then redis.call('zadd', KEYS[4], e, kind) end\n" \
    "end\n"

/* KEYS K V X R(P.rec.due)  ARGV[1] key  [2] value  [3] expire_ms ('0')
 * [4] '1' = NX  [5] now  [6] kind. Returns {} or, NX refused, {value, exp}. */
static const char rec_put_lua[] = REC_PRELUDE
    "local key, now = ARGV[1], tonumber(ARGV[5])\n"
    "if ARGV[4] == '1' then\n"
    "  local v = redis.call('hget', V, key)\n"
    "  local e = v and live_exp(key, now)\n"
    "  if e then return {v, e} end\n"
    "end\n"
    "redis.call('zadd', K, 0, key)\n"
    "redis.call('hset', V, key, ARGV[2])\n"
    "set_exp(key, ARGV[3], ARGV[6])\n"
    "return {}\n";

/* KEYS K V X  ARGV[1] key  [2] now. Returns {} or {value, exp}. */
static const char rec_get_lua[] = REC_PRELUDE
    "local v = redis.call('hget', V, ARGV[1])\n"
    "local e = v and live_exp(ARGV[1], tonumber(ARGV[2]))\n"
    "if not e then return {} end\n"
    "return {v, e}\n";

/* KEYS K V X  ARGV[1] key  [2] now. Removes the key (live or expired);
 * returns {} or the live record it removed {value, exp}. */
static const char rec_del_lua[] = REC_PRELUDE
    "local v = redis.call('hget', V, ARGV[1])\n"
    "if not v then return {} end\n"
    "local e = live_exp(ARGV[1], tonumber(ARGV[2]))\n"
    "drop(ARGV[1])\n"
    "if not e then return {} end\n"
    "return {v, e}\n";

/* KEYS K V X  ARGV[1] first bound  [2] last bound (ZRANGEBYLEX min max, or
 * ZREVRANGEBYLEX max min when [4] = '1')  [3] limit  [5] now  [6] keys to
 * examine at most. Returns {key, value, exp, ...}: up to limit live records
 * in order, skipping expired ones page by page until the range ends or the
 * examine budget is spent. */
static const char rec_scan_lua[] = REC_PRELUDE
    "local first, last, limit, now = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[5])\n"
    "local cmd = ARGV[4] == '1' and 'zrevrangebylex' or 'zrangebylex'\n"
    "local budget = tonumber(ARGV[6])\n"
    "local expiring = redis.call('zcard', X) > 0\n"
    "local out, n = {}, 0\n"
    "while budget > 0 and n < limit do\n"
    "  local want = limit - n\n"
    "  if want < 100 then want = 100 end\n"
    "  if want > budget then want = budget end\n"
    "  local ks = redis.call(cmd, K, first, last, 'LIMIT', 0, want)\n"
    "  if #ks == 0 then break end\n"
    "  budget = budget - #ks\n"
    "  local vs = redis.call('hmget', V, unpack(ks))\n"
    "  for i = 1, #ks do\n"
    "    local e = '0'\n"
    "    if expiring then e = live_exp(ks[i], now) end\n"
    "    if e and vs[i] then\n"
    "      out[#out + 1] = ks[i]\n"
    "      out[#out + 1] = vs[i]\n"
    "      out[#out + 1] = e\n"
    "      n = n + 1\n"
    "      if n == limit then break end\n"
    "    end\n"
    "  end\n"
    "  if #ks < want then break end\n"
    "  first = '(' .. ks[#ks]\n"
    "end\n"
    "return out\n";

/* KEYS K V X R  ARGV[1] key  [2] delta (decimal int64)  [3] expire_ms
 * [4] now  [5] kind. The live value read as a signed decimal (as strtoll:
 * leading blanks, a sign, leading zeros; anything else counts as 0) plus
 * delta, by HINCRBY (exact 64-bit; Lua numbers are doubles). A value
 * beyond int64 counts as its limit, as strtoll clamps it. Returns {new
 * value}, {} when it reached 0 (the record is deleted), or an ERANGE error
 * (nothing changed) when the sum overflows. */
static const char rec_incr_lua[] = REC_PRELUDE
    "local function over(a, b)\n" /* the first index where two digit strings differ */
    "  local i = 1\n"
    "  while string.byte(a, i) == string.byte(b, i) do i = i + 1 end\n"
    "  return i\n"
    "end\n"
    "local key = ARGV[1]\n"
    "local old = redis.call('hget', V, key)\n"
    "local cur = '0'\n"
    "if old and live_exp(key, tonumber(ARGV[4])) then\n"
    "  local sign, digits = string.match(old, '^%s*([+-]?)(%d+)$')\n"
    "  if digits then\n"
    "    digits = (string.gsub(digits, '^0+', ''))\n"
    "    local lim = sign == '-' and '9223372036854775808' or '9223372036854775807'\n"
    "    if #digits > 19 or (#digits == 19 and digits ~= lim and\n"
    "        string.byte(digits, over(digits, lim)) > string.byte(lim, over(digits, lim))) then\n"
    "      digits = lim\n"
    "    end\n"
    "    if digits ~= '' then cur = (sign == '-' and '-' or '') .. digits end\n"
    "  end\n"
    "end\n"
    "redis.call('hset', V, key, cur)\n"
    "local r = redis.pcall('hincrby', V, key, ARGV[2])\n"
    "if type(r) == 'table' and r.err then\n"
    "  if old then redis.call('hset', V, key, old) else redis.call('hdel', V, key) end\n"
    "  return redis.error_reply('ERANGE counter out of range')\n"
    "end\n"
    "local nv = redis.call('hget', V, key)\n"
    "if nv == '0' then\n"
    "  drop(key)\n"
    "  return {}\n"
    "end\n"
    "redis.call('zadd', K, 0, key)\n"
    "set_exp(key, ARGV[3], ARGV[5])\n"
    "return {nv}\n";

/* KEYS[1] P.rec.due  ARGV[1] 'P.rec.'  [2] now  [3] records to remove at
 * most  [4] kinds to visit at most. For each kind due (earliest first):
 * removes its records whose expiry has passed, then files the kind under
 * its next expiry (or drops it). Idempotent; any node may run it. Builds
 * the kinds' key names (kinds are [a-z0-9_.], from the due set), so it
 * is for a single Redis, not a Cluster (docs/redis.md). Returns the count
 * removed. */
static const char rec_sweep_lua[] =
    "local R, base, now = KEYS[1], ARGV[1], ARGV[2]\n"
    "local budget = tonumber(ARGV[3])\n"
    "local removed = 0\n"
    "local kinds = redis.call('zrangebyscore', R, '-inf', now, 'LIMIT', 0, ARGV[4])\n"
    "for _, kind in ipairs(kinds) do\n"
    "  if budget <= 0 then break end\n"
    "  local K, V, X = base .. kind .. '.keys', base .. kind .. '.vals', base .. kind .. '.exp'\n"
    "  local gone = redis.call('zrangebyscore', X, '-inf', now, 'LIMIT', 0, budget)\n"
    "  if #gone > 0 then\n"
    "    redis.call('zrem', K, unpack(gone))\n"
    "    redis.call('hdel', V, unpack(gone))\n"
    "    redis.call('zrem', X, unpack(gone))\n"
    "    removed = removed + #gone\n"
    "    budget = budget - #gone\n"
    "  end\n"
    "  local nxt = redis.call('zrange', X, 0, 0, 'WITHSCORES')\n"
    "  if #nxt == 0 then redis.call('zrem', R, kind) else redis.call('zadd', R, nxt[2], kind) end\n"
    "end\n"
    "return removed\n";

const struct rscript_def redis_scripts[RSCRIPT_COUNT] = {
    [RSCRIPT_PUBLISH] = {"publish", publish_lua},
    [RSCRIPT_HISTORY] = {"history", history_lua},
    [RSCRIPT_PRESENCE_ADD] = {"presence_add", presence_add_lua},
    [RSCRIPT_PRESENCE_REM] = {"presence_rem", presence_rem_lua},
    [RSCRIPT_PRESENCE_GET] = {"presence_get", presence_get_lua},
    [RSCRIPT_REC_PUT] = {"rec_put", rec_put_lua},
    [RSCRIPT_REC_GET] = {"rec_get", rec_get_lua},
    [RSCRIPT_REC_DEL] = {"rec_del", rec_del_lua},
    [RSCRIPT_REC_SCAN] = {"rec_scan", rec_scan_lua},
    [RSCRIPT_REC_INCR] = {"rec_incr", rec_incr_lua},
    [RSCRIPT_REC_SWEEP] = {"rec_sweep", rec_sweep_lua},
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
