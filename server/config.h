/* server/config.h — hearthd configuration: the JSON config file, command-line
 * overrides and the built-in demo defaults. A struct config is filled once
 * before the loop starts and read-only afterwards (SIGHUP reload, when it
 * arrives, swaps in a whole new struct). It owns all of its strings. */
#ifndef HEARTH_CONFIG_H
#define HEARTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ns_config {
    char *name;               /* owned; "" = channels without a namespace */
    uint32_t history_size;    /* publications kept; 0 = no history */
    uint32_t history_ttl;     /* seconds; 0 = no history */
    bool presence;
    bool join_leave;
    bool allow_publish;       /* connected clients may publish (anonymous too) */
    bool force_recovery;      /* every subscription is recoverable */
    bool force_positioning;
};

static inline bool ns_has_history(const struct ns_config *ns)
{
    return ns->history_size > 0 && ns->history_ttl > 0;
}

struct config {
    char *listen_host;        /* owned */
    int listen_port;
    char *engine;             /* owned: "memory" */
    bool allow_anonymous;
    char *token_hmac_secret;  /* owned; NULL = no JWT verification possible */
    char *api_key;            /* owned; NULL = HTTP API disabled */
    char *web_root;           /* owned: directory served at / */
    char *log_level;          /* owned */
    uint32_t ping_interval;   /* seconds */
    uint32_t pong_timeout;    /* seconds */
    uint32_t stale_close_delay;     /* seconds a socket may stay unauthenticated */
    uint32_t expired_close_delay;   /* seconds of grace after a token expires */
    uint32_t max_message_size;      /* bytes per inbound WebSocket message */
    uint32_t client_queue_max_size; /* bytes queued per client before 3008 */
    uint32_t max_channels_per_client;
    uint32_t history_max_limit;     /* cap for a client's history limit */
    uint32_t recovery_max_limit;    /* publications a recovery may return */
    uint32_t history_meta_ttl;      /* seconds a stream's epoch/offset outlive its last publish */
    uint32_t api_max_body_size;     /* bytes of an HTTP API request body */
    size_t nnamespaces;
    struct ns_config *namespaces;   /* owned array */
    bool demo_defaults;             /* no config file was given */
    /* multi-node: engine "redis" (parsed in config_redis.c) */
    char *node_name;                /* owned; NULL = the host name */
    char **redis_urls;              /* owned array of owned "redis://host:port[/db]" */
    size_t nredis_urls;             /* > 1: channels are sharded over the instances */
    char *redis_prefix;             /* owned: prefix of every key and channel */
    uint32_t redis_connect_timeout_ms;
    uint32_t redis_command_timeout_ms;
    uint32_t redis_presence_ttl;    /* seconds a presence entry lives unless refreshed */
};

/* Fills *cfg from the JSON file at path (NULL = built-in demo defaults).
 * Returns 0, or -1 with a message in err. Unknown keys are errors (typos in
 * a config file should not pass silently). */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Applies --listen HOST:PORT. 0 or -1. */
int config_set_listen(struct config *cfg, const char *hostport, char *err, size_t errlen);
void config_free(struct config *cfg);
/* The namespace that governs channel ch (len n), or NULL (error 102). */
const struct ns_config *config_find_ns(const struct config *cfg, const char *ch, size_t n);

#endif
