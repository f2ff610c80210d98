/* server/config.c — config file parsing with jansson (see config.h). */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_redis.h"

#ifndef HEARTH_WEB_ROOT
#define HEARTH_WEB_ROOT "web"
#endif


static void defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    c->listen_host = strdup("127.0.0.1");
    c->listen_port = 8000;
    c->engine = strdup("memory");
    c->allow_anonymous = true;
    c->web_root = strdup(HEARTH_WEB_ROOT);
    c->log_level = strdup("info");
    c->ping_interval = 25;
    c->pong_timeout = 8;
    c->stale_close_delay = 10;
    c->expired_close_delay = 25;
    c->max_message_size = 65536;
    c->client_queue_max_size = 1048576;
    c->max_channels_per_client = 128;
    c->history_max_limit = 300;
    c->history_meta_ttl = 30 * 24 * 3600;
    c->recovery_max_limit = 300;
    c->api_max_body_size = 1048576;
    config_redis_defaults(c);
}

static int demo_namespaces(struct config *c)
{
    c->nnamespaces = 2;
    c->namespaces = calloc(2, sizeof(struct ns_config));
    if (!c->namespaces)
        return -1;
    for (int i = 0; i < 2; i++) {
        struct ns_config *ns = &c->namespaces[i];
        ns->name = strdup(i == 0 ? "" : "chat");
        ns->history_size = 100;
        ns->history_ttl = 600;
        ns->presence = true;
        ns->join_leave = true;
        ns->allow_publish = true;
        ns->force_recovery = i == 1;
    }
    return 0;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int get_u32(json_t *v, const char *key, uint32_t *out, char *err, size_t errlen)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
        FAIL("\"%s\" must be a non-negative integer", key);
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

static int get_bool(json_t *v, const char *key, bool *out, char *err, size_t errlen)
{
    if (!json_is_boolean(v))
        FAIL("\"%s\" must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

static int get_str(json_t *v, const char *key, char **out, char *err, size_t errlen)
{
    if (!json_is_string(v))
        FAIL("\"%s\" must be a string", key);
    free(*out);
    *out = strdup(json_string_value(v));
    return 0;
}

static int parse_ns(json_t *o, struct ns_config *ns, char *err, size_t errlen)
{
    if (!json_is_object(o))
        FAIL("each namespace must be an object");
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        int r;
        if (!strcmp(k, "name"))
            r = get_str(v, k, &ns->name, err, errlen);
        else if (!strcmp(k, "history_size"))
            r = get_u32(v, k, &ns->history_size, err, errlen);
        else if (!strcmp(k, "history_ttl"))
            r = get_u32(v, k, &ns->history_ttl, err, errlen);
        else if (!strcmp(k, "presence"))
            r = get_bool(v, k, &ns->presence, err, errlen);
        else if (!strcmp(k, "join_leave"))
            r = get_bool(v, k, &ns->join_leave, err, errlen);
        else if (!strcmp(k, "allow_publish"))
            r = get_bool(v, k, &ns->allow_publish, err, errlen);
        else if (!strcmp(k, "force_recovery"))
            r = get_bool(v, k, &ns->force_recovery, err, errlen);
        else if (!strcmp(k, "force_positioning"))
            r = get_bool(v, k, &ns->force_positioning, err, errlen);
        else
            FAIL("unknown namespace option \"%s\"", k);
        if (r)
            return -1;
    }
    if (!ns->name)
        FAIL("a namespace needs a \"name\"");
    for (const char *p = ns->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            FAIL("namespace name \"%s\" may use only [-a-zA-Z0-9_]", ns->name);
    return 0;
}

static int parse_root(struct config *c, json_t *root, char *err, size_t errlen)
{
    if (!json_is_object(root))
        FAIL("the config must be a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        int r = 0;
        if (!strcmp(k, "listen")) {
            if (!json_is_string(v))
                FAIL("\"listen\" must be \"HOST:PORT\"");
            r = config_set_listen(c, json_string_value(v), err, errlen);
        } else if (!strcmp(k, "engine")) {
            r = get_str(v, k, &c->engine, err, errlen);
        } else if (!strcmp(k, "allow_anonymous")) {
            r = get_bool(v, k, &c->allow_anonymous, err, errlen);
        } else if (!strcmp(k, "token_hmac_secret")) {
            r = get_str(v, k, &c->token_hmac_secret, err, errlen);
        } else if (!strcmp(k, "api_key")) {
            r = get_str(v, k, &c->api_key, err, errlen);
        } else if (!strcmp(k, "web_root")) {
            r = get_str(v, k, &c->web_root, err, errlen);
        } else if (!strcmp(k, "log_level")) {
            r = get_str(v, k, &c->log_level, err, errlen);
        } else if (!strcmp(k, "ping_interval")) {
            r = get_u32(v, k, &c->ping_interval, err, errlen);
        } else if (!strcmp(k, "pong_timeout")) {
            r = get_u32(v, k, &c->pong_timeout, err, errlen);
        } else if (!strcmp(k, "stale_close_delay")) {
            r = get_u32(v, k, &c->stale_close_delay, err, errlen);
        } else if (!strcmp(k, "expired_close_delay")) {
            r = get_u32(v, k, &c->expired_close_delay, err, errlen);
        } else if (!strcmp(k, "max_message_size")) {
            r = get_u32(v, k, &c->max_message_size, err, errlen);
        } else if (!strcmp(k, "client_queue_max_size")) {
            r = get_u32(v, k, &c->client_queue_max_size, err, errlen);
        } else if (!strcmp(k, "max_channels_per_client")) {
            r = get_u32(v, k, &c->max_channels_per_client, err, errlen);
        } else if (!strcmp(k, "history_max_limit")) {
            r = get_u32(v, k, &c->history_max_limit, err, errlen);
        } else if (!strcmp(k, "recovery_max_limit")) {
            r = get_u32(v, k, &c->recovery_max_limit, err, errlen);
        } else if (!strcmp(k, "api_max_body_size")) {
            r = get_u32(v, k, &c->api_max_body_size, err, errlen);
        } else if (!strcmp(k, "history_meta_ttl")) {
            r = get_u32(v, k, &c->history_meta_ttl, err, errlen);
        } else if (!strcmp(k, "namespaces")) {
            if (!json_is_array(v))
                FAIL("\"namespaces\" must be an array");
            size_t n = json_array_size(v);
            c->namespaces = calloc(n ? n : 1, sizeof(struct ns_config));
            if (!c->namespaces)
                FAIL("out of memory");
            c->nnamespaces = n;
            for (size_t i = 0; i < n; i++) {
                if (parse_ns(json_array_get(v, i), &c->namespaces[i], err, errlen))
                    return -1;
                for (size_t j = 0; j < i; j++)
                    if (!strcmp(c->namespaces[j].name, c->namespaces[i].name))
                        FAIL("namespace \"%s\" is configured twice", c->namespaces[i].name);
            }
        } else {
            r = config_redis_key(c, k, v, err, errlen); /* 1: not one of its keys */
            if (r == 1)
                FAIL("unknown config option \"%s\"", k);
        }
        if (r)
            return -1;
    }
    if (strcmp(c->engine, "memory") != 0 && strcmp(c->engine, "redis") != 0)
        FAIL("engine \"%s\" is not available (this build has: memory, redis)", c->engine);
    if (strcmp(c->engine, "redis") == 0 && config_redis_check(c, err, errlen) != 0)
        return -1;
    if (c->ping_interval == 0 || c->pong_timeout >= c->ping_interval)
        FAIL("need ping_interval > pong_timeout >= 0 (seconds)");
    if (c->max_message_size < 128)
        FAIL("max_message_size must be at least 128");
    if (c->client_queue_max_size < 4096)
        FAIL("client_queue_max_size must be at least 4096");
    return 0;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    defaults(c);
    if (!path) {
        c->demo_defaults = true;
        return demo_namespaces(c);
    }
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        FAIL("%s:%d:%d: %s", path, je.line, je.column, je.text);
    int r = parse_root(c, root, err, errlen);
    json_decref(root);
    return r;
}

int config_set_listen(struct config *c, const char *hostport, char *err, size_t errlen)
{
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport)
        FAIL("listen address \"%s\" is not HOST:PORT", hostport);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || end == colon + 1)
        FAIL("bad port in \"%s\"", hostport);
    size_t hl = (size_t)(colon - hostport);
    if (hostport[0] == '[' && hl >= 2 && hostport[hl - 1] == ']') { /* [::1]:8000 */
        hostport++;
        hl -= 2;
    }
    char *host = strndup(hostport, hl);
    if (!host)
        FAIL("out of memory");
    free(c->listen_host);
    c->listen_host = host;
    c->listen_port = (int)port;
    return 0;
}

void config_free(struct config *c)
{
    free(c->listen_host);
    free(c->engine);
    free(c->token_hmac_secret);
    free(c->api_key);
    free(c->web_root);
    free(c->log_level);
    for (size_t i = 0; i < c->nnamespaces; i++)
        free(c->namespaces[i].name);
    free(c->namespaces);
    config_redis_free(c);
    memset(c, 0, sizeof(*c));
}

const struct ns_config *config_find_ns(const struct config *c, const char *ch, size_t n)
{
    if (n && ch[0] == '$') { /* private prefix is not part of the namespace */
        ch++;
        n--;
    }
    const char *colon = memchr(ch, ':', n);
    size_t nl = colon ? (size_t)(colon - ch) : 0;
    for (size_t i = 0; i < c->nnamespaces; i++) {
        const struct ns_config *ns = &c->namespaces[i];
        if (strlen(ns->name) == nl && memcmp(ns->name, ch, nl) == 0)
            return ns;
    }
    return NULL;
}
