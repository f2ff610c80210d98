/* config/engines.h — the one table of engine names: what the config's
 * "engine" key may say, the kind each name selects, and whether that kind
 * needs the redis_* keys. rooms/backend.c holds the constructors, indexed by
 * the same kind; no other place spells an engine name. */
#ifndef HEARTH_CONFIG_ENGINES_H
#define HEARTH_CONFIG_ENGINES_H

#include <stdbool.h>
#include <stddef.h>

enum engine_kind {
    ENGINE_KIND_MEMORY = 0,
    ENGINE_KIND_REDIS = 1,
    ENGINE_KINDS
};

struct engine_name {
    const char *name;          /* as the config file spells it */
    enum engine_kind kind;
    bool needs_redis;          /* the redis_* keys are checked (config_redis.c) */
};

/* The entry for name, or NULL when this build has no such engine. */
const struct engine_name *engine_name_find(const char *name);
/* The entry for kind (always one: every kind has a name). */
const struct engine_name *engine_name_of(enum engine_kind kind);
/* "memory, redis" (every name, in table order) into buf; returns buf. */
char *engine_names_list(char *buf, size_t n);

#endif
