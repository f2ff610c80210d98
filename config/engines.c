/* config/engines.c — the engine name table (see engines.h). Owns nothing:
 * a constant table. */
#include "config/engines.h"

#include <stdio.h>
#include <string.h>

static const struct engine_name names[ENGINE_KINDS] = {
    [ENGINE_KIND_MEMORY] = {"memory", ENGINE_KIND_MEMORY, false},
    [ENGINE_KIND_REDIS] = {"redis", ENGINE_KIND_REDIS, true},
};

const struct engine_name *engine_name_find(const char *name)
{
    for (size_t i = 0; i < ENGINE_KINDS; i++)
        if (strcmp(names[i].name, name) == 0)
            return &names[i];
    return NULL;
}

const struct engine_name *engine_name_of(enum engine_kind kind)
{
    return &names[(size_t)kind < ENGINE_KINDS ? kind : ENGINE_KIND_MEMORY];
}

char *engine_names_list(char *buf, size_t n)
{
    size_t w = 0;
    if (n)
        buf[0] = 0;
    for (size_t i = 0; i < ENGINE_KINDS && w < n; i++) {
        int r = snprintf(buf + w, n - w, "%s%s", i ? ", " : "", names[i].name);
        if (r < 0)
            break;
        w += (size_t)r;
    }
    return buf;
}
