/* config/config.h — hearthd configuration: the JSON config file, command-line
 * overrides and the built-in demo defaults. A struct config is filled before
 * the loop starts and read-only afterwards; SIGHUP builds a whole new one and
 * the server swaps it in (server_reload). It owns all of its strings and its
 * token verifier. */
#ifndef HEARTH_CONFIG_H
#define HEARTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/access.h"
#include "config/engines.h"

struct jwt_verifier;

#define REDIS_PREFIX_MAX 100

/* The namespace of the moderators' live channels (mod:<namespace>); added
 * implicitly when a config has chat namespaces and does not name it. */
#define CONFIG_MOD_NS "mod"

/* One filters list: case-insensitive words or phrases (stored lower-cased),
 * and whether the list holds the string "links" (any URL matches). */
struct chat_filter {
    char **words;             /* owned array of owned, lower-cased strings */
    size_t nwords;
    bool links;
};

struct ns_config {
    char *name;               /* owned; "" = channels without a namespace */
    uint32_t history_size;    /* publications kept; 0 = no history */
    uint32_t history_ttl;     /* seconds; 0 = no history */
    bool presence;
    bool join_leave;
    bool allow_publish;       /* shorthand for permissions.publish = ["*"] */
    bool force_recovery;      /* every subscription is recoverable */
    bool force_positioning;
    bool private_channels;    /* "private": subscribing needs a subscription token */
    bool binary;              /* payloads are raw bytes, not JSON: msgpack-wire
                               * clients only may subscribe or read history */
    uint32_t rules[ACCESS_OP_COUNT]; /* role bits allowed per op (access.h) */
    /* Chat (docs/chat.md): "chat": true makes the community layer enforce
     * the chat message shape here; needs history. */
    bool chat;
    uint32_t chat_max_text;       /* Unicode code points, default 2000 */
    uint32_t chat_edit_window;    /* seconds, default 900 */
    uint32_t chat_max_mentions;   /* distinct mentions, default 10 */
    uint32_t chat_max_reactions;  /* distinct emoji per message, default 20 */
    uint32_t slow_mode;           /* seconds between a member's messages; 0 = off */
    struct chat_filter filter_block;  /* "filters": {"block": [...]} -> 103 */
    struct chat_filter filter_hold;   /* "filters": {"hold": [...]} -> 1001, queued */
};

static inline bool ns_has_history(const struct ns_config *ns)
{
    return ns->history_size > 0 && ns->history_ttl > 0;
}

struct config {
    char *path;               /* owned; the file loaded, NULL = demo defaults */
    char *listen_host;        /* owned */
    int listen_port;
    char *engine;             /* owned: a name of config/engines.h */
    enum engine_kind engine_kind; /* what engine names (set by the load) */
    bool allow_anonymous;
    bool test_clock;                /* API debug.clock may set the node clock (tests only) */
    /* tokens */
    char *token_hmac_secret;  /* owned; NULL = no HS* tokens */
    char *token_rsa_public_key;   /* owned PEM text or path; NULL = no RS* */
    char *token_ecdsa_public_key; /* owned PEM text or path; NULL = no ES* */
    char *token_algorithm;    /* owned; NULL = any alg a configured key allows */
    char *token_audience;     /* owned; NULL = aud not checked */
    char *token_issuer;       /* owned; NULL = iss not checked */
    struct jwt_verifier *verifier; /* owned, built from the token_* keys */
    char *api_key;            /* owned; NULL = HTTP API disabled */
    char **allowed_origins;   /* owned array of owned patterns */
    size_t nallowed_origins;
    char *tls_cert;           /* owned PEM file path; with tls_key: wss/https */
    char *tls_key;            /* owned */
    char *web_root;           /* owned: directory served at / */
    char *log_level;          /* owned */
    uint32_t ping_interval;   /* seconds */
    uint32_t pong_timeout;    /* seconds */
    uint32_t stale_close_delay;     /* seconds a socket may stay unauthenticated */
    uint32_t expired_close_delay;   /* seconds of grace after a token expires */
    uint32_t expired_sub_close_delay; /* same for subscription tokens (then 2501) */
    uint32_t handshake_timeout;     /* seconds for an HTTP request / WS handshake */
    uint32_t max_message_size;      /* bytes per inbound WebSocket message */
    uint32_t max_publication_size;  /* bytes of a publication's data */
    uint32_t channel_max_length;    /* bytes of a channel name */
    uint32_t client_queue_max_size; /* bytes queued per client before 3008 */
    uint32_t write_delay_max_ms;    /* longest deferral of a fan-out flush after a heavy one
                                       (server.c, self-batching); 0 = never defer */
    uint32_t max_channels_per_client;
    uint32_t max_connections;       /* WebSockets on this node; 0 = unlimited */
    uint32_t max_connections_per_ip;/* WebSockets from one address; 0 = unlimited */
    uint32_t client_command_rate;   /* commands per second per client; 0 = unlimited */
    uint32_t client_command_burst;  /* token bucket size */
    uint32_t client_rate_limit_strikes; /* refused commands (111) before 3013 */
    uint32_t history_max_limit;     /* cap for a client's history limit */
    uint32_t recovery_max_limit;    /* publications a recovery may return */
    uint32_t history_meta_ttl;      /* seconds a stream's epoch/offset outlive its last publish */
    uint32_t api_max_body_size;     /* bytes of an HTTP API request body */
    uint32_t max_http_connections_per_ip; /* sockets from one address that are not
                                             WebSockets (yet); 0 = unlimited */
    uint32_t http_body_timeout;     /* seconds a request body may take to arrive */
    char *metrics_key;              /* owned; NULL = /metrics open to all */
    char *announcements_channel;    /* owned: where rituals announce (community/events.c) */
    uint32_t api_max_broadcast_channels; /* channels one API broadcast may name */
    uint32_t api_max_batch_commands;     /* commands one API batch may hold */
    size_t nnamespaces;
    struct ns_config *namespaces;   /* owned array */
    bool demo_defaults;             /* no config file was given */
    /* multi-node: engine "redis" (parsed in config_redis.c) */
    char *node_name;                /* owned; NULL = the host name */
    char **redis_urls;              /* owned array of owned "redis://host:port[/db]" */
    size_t nredis_urls;             /* > 1: channels are sharded over the instances */
    char *redis_prefix;             /* owned: prefix of every key and channel (<= REDIS_PREFIX_MAX) */
    uint32_t redis_connect_timeout_ms;
    uint32_t redis_command_timeout_ms;
    uint32_t redis_presence_ttl;    /* seconds a presence entry lives unless refreshed */
    /* engine "memory": the durable store (rooms/durable.h) */
    char *data_dir;                 /* owned; "" = nothing kept on disk (pure memory) */
    char *durable_sync;             /* owned: "normal" or "full" */
    bool durable_sync_full;         /* durable_sync == "full": ack after fsync */
};

/* Fills *cfg from the JSON file at path (NULL = built-in demo defaults).
 * Returns 0, or -1 with a message in err (cfg must still be config_free'd).
 * Unknown keys are errors (typos in a config file should not pass
 * silently). */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Applies --listen HOST:PORT. 0 or -1. */
int config_set_listen(struct config *cfg, const char *hostport, char *err, size_t errlen);
void config_free(struct config *cfg);
/* The namespace that governs channel ch (len n), or NULL (error 102). */
const struct ns_config *config_find_ns(const struct config *cfg, const char *ch, size_t n);
/* Is ch (len n) a private channel: "$" prefix or a private namespace. */
bool config_channel_private(const struct ns_config *ns, const char *ch, size_t n);
/* Checks a channel name's length and charset (printable ASCII, no space). */
bool config_channel_name_ok(const struct config *cfg, const char *ch, size_t n);

#endif
