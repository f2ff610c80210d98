/* config/config_redis.c — the multi-node config keys (see config_redis.h).
 * Owns nothing itself: it fills fields of struct config, which owns them. */
#include "config/config_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "config/redis_addr.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static void free_urls(struct config *c)
{
    for (size_t i = 0; i < c->nredis_urls; i++)
        free(c->redis_urls[i]);
    free(c->redis_urls);
    c->redis_urls = NULL;
    c->nredis_urls = 0;
}

void config_redis_defaults(struct config *c)
{
    c->redis_urls = calloc(1, sizeof(char *));
    if (c->redis_urls && (c->redis_urls[0] = strdup("redis://127.0.0.1:6379")))
        c->nredis_urls = 1;
    c->redis_prefix = strdup("hearth");
    c->redis_connect_timeout_ms = 1000;
    c->redis_command_timeout_ms = 5000;
    c->redis_presence_ttl = 60;
}

static int get_ms(json_t *v, const char *k, uint32_t lo, uint32_t *out, char *err, size_t errlen)
{
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > 3600000)
        FAIL("\"%s\" must be an integer from %u to 3600000", k, lo);
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

int config_redis_key(struct config *c, const char *k, json_t *v, char *err, size_t errlen)
{
    if (!strcmp(k, "redis_url")) {
        size_t n = json_is_array(v) ? json_array_size(v) : 1;
        if ((!json_is_string(v) && !json_is_array(v)) || n == 0 || n > 64)
            FAIL("\"redis_url\" must be a string or an array of 1 to 64 strings");
        free_urls(c);
        c->redis_urls = calloc(n, sizeof(char *));
        if (!c->redis_urls)
            FAIL("out of memory");
        for (size_t i = 0; i < n; i++) {
            json_t *u = json_is_array(v) ? json_array_get(v, i) : v;
            if (!json_is_string(u))
                FAIL("\"redis_url\" entries must be strings");
            struct redis_addr a;
            if (redis_addr_parse(json_string_value(u), &a, err, errlen) != 0)
                return -1;
            redis_addr_free(&a);
            c->redis_urls[i] = strdup(json_string_value(u));
            c->nredis_urls = i + 1;
            if (!c->redis_urls[i])
                FAIL("out of memory");
        }
        return 0;
    }
    if (!strcmp(k, "redis_prefix")) {
        if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > REDIS_PREFIX_MAX)
            FAIL("\"redis_prefix\" must be a string of 1 to %d characters", REDIS_PREFIX_MAX);
        for (const char *p = json_string_value(v); *p; p++)
            if (*p < 0x21 || *p > 0x7e)
                FAIL("\"redis_prefix\" may use only printable ASCII without spaces");
        free(c->redis_prefix);
        c->redis_prefix = strdup(json_string_value(v));
        return c->redis_prefix ? 0 : -1;
    }
    if (!strcmp(k, "node_name")) {
        if (!json_is_string(v) || json_string_length(v) > 63)
            FAIL("\"node_name\" must be a string of at most 63 characters");
        free(c->node_name);
        c->node_name = strdup(json_string_value(v));
        return c->node_name ? 0 : -1;
    }
    if (!strcmp(k, "redis_connect_timeout_ms"))
        return get_ms(v, k, 50, &c->redis_connect_timeout_ms, err, errlen);
    if (!strcmp(k, "redis_command_timeout_ms"))
        return get_ms(v, k, 100, &c->redis_command_timeout_ms, err, errlen);
    if (!strcmp(k, "redis_presence_ttl")) {
        if (!json_is_integer(v) || json_integer_value(v) < 3 || json_integer_value(v) > 86400)
            FAIL("\"redis_presence_ttl\" must be an integer from 3 to 86400 (seconds)");
        c->redis_presence_ttl = (uint32_t)json_integer_value(v);
        return 0;
    }
    return 1;
}

int config_redis_check(const struct config *c, char *err, size_t errlen)
{
    if (!c->nredis_urls || !c->redis_prefix)
        FAIL("engine \"redis\" needs \"redis_url\"");
    return 0;
}

static void keep(char **nv, char **ov, bool changed, const char *name)
{
    if (changed)
        log_warn("config", "%s changed: takes effect after a restart", name);
    char *t = *nv;
    *nv = *ov;
    *ov = t;
}

static bool str_differ(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

void config_redis_carry(struct config *nc, struct config *old)
{
    bool urls = nc->nredis_urls != old->nredis_urls;
    for (size_t i = 0; !urls && i < nc->nredis_urls; i++)
        urls = strcmp(nc->redis_urls[i], old->redis_urls[i]) != 0;
    if (urls)
        log_warn("config", "redis_url changed: takes effect after a restart");
    char **tu = nc->redis_urls;
    size_t tn = nc->nredis_urls;
    nc->redis_urls = old->redis_urls;
    nc->nredis_urls = old->nredis_urls;
    old->redis_urls = tu;
    old->nredis_urls = tn;
    keep(&nc->redis_prefix, &old->redis_prefix, str_differ(nc->redis_prefix, old->redis_prefix),
         "redis_prefix");
    keep(&nc->node_name, &old->node_name, str_differ(nc->node_name, old->node_name), "node_name");
    nc->redis_connect_timeout_ms = old->redis_connect_timeout_ms;
    nc->redis_command_timeout_ms = old->redis_command_timeout_ms;
    nc->redis_presence_ttl = old->redis_presence_ttl;
}

void config_redis_free(struct config *c)
{
    free_urls(c);
    free(c->redis_prefix);
    free(c->node_name);
}
