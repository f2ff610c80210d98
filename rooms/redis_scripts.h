/* rooms/redis_scripts.h — the Lua scripts the Redis engine runs (EVALSHA;
 * loaded with SCRIPT LOAD whenever a command connection becomes ready), each
 * one atomic on the Redis side. Their keys and arguments are documented next
 * to each script in redis_scripts.c and in docs/redis.md. Read-only data. */
#ifndef HEARTH_REDIS_SCRIPTS_H
#define HEARTH_REDIS_SCRIPTS_H

enum rscript {
    RSCRIPT_PUBLISH,       /* offset + XADD MAXLEN + EXPIRE + PUBLISH, one step */
    RSCRIPT_HISTORY,       /* epoch/top (created on first read) + XRANGE/XREVRANGE */
    RSCRIPT_PRESENCE_ADD,  /* HSET + ZADD expire-at + EXPIRE */
    RSCRIPT_PRESENCE_REM,  /* HDEL + ZREM */
    RSCRIPT_PRESENCE_GET,  /* prune expired, then HGETALL */
    RSCRIPT_REC_PUT,       /* records (store.h): put, NX refusal returns the live record */
    RSCRIPT_REC_GET,       /* the live record or nothing */
    RSCRIPT_REC_DEL,       /* remove, return the removed live record */
    RSCRIPT_REC_SCAN,      /* ZRANGEBYLEX pages, expired records skipped (bounded) */
    RSCRIPT_REC_INCR,      /* HINCRBY counter, deleted at 0 */
    RSCRIPT_REC_SWEEP,     /* remove expired records of the kinds due (bounded) */
    RSCRIPT_COUNT
};

struct rscript_def {
    const char *name;
    const char *src;
};

extern const struct rscript_def redis_scripts[RSCRIPT_COUNT];

/* SHA1 of src as 40 lowercase hex digits (what EVALSHA takes). */
void redis_script_sha1(const char *src, char out[41]);

#endif
