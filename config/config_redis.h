/* config/config_redis.h — the config keys of the multi-node setup (engine
 * "redis"): node_name, redis_url (a string or an array: shards), redis_prefix,
 * redis_connect_timeout_ms, redis_command_timeout_ms, redis_presence_ttl.
 * Private to config.c and reload.c. */
#ifndef HEARTH_CONFIG_REDIS_H
#define HEARTH_CONFIG_REDIS_H

#include <jansson.h>
#include <stddef.h>

#include "config/config.h"

void config_redis_defaults(struct config *c);
/* Parses key k. 0 = done, -1 = bad value (message in err), 1 = not one of
 * these keys. */
int config_redis_key(struct config *c, const char *k, json_t *v, char *err, size_t errlen);
/* Checks the whole set once the file is read (engine "redis"). 0 or -1. */
int config_redis_check(const struct config *c, char *err, size_t errlen);
/* SIGHUP reload: these are bound at startup, so the running values move
 * into the new config nc (a change is logged as needing a restart). */
void config_redis_carry(struct config *nc, struct config *old);
void config_redis_free(struct config *c);

#endif
