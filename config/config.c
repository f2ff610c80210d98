/* config/config.c — config file parsing with jansson (see config.h). Scalar
 * options are described once in a table (name, type, field); the few
 * structured ones (listen, namespaces, allowed_origins) have their own
 * parsers. After parsing, cross-option rules are checked and the token
 * verifier is built, so a bad key file fails the load, not a connect. */
#include "config/config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_redis.h"
#include "config/engines.h"
#include "util/jwt.h"

#ifndef HEARTH_WEB_ROOT
#define HEARTH_WEB_ROOT "web"
#endif

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

enum opt_type { OPT_U32, OPT_BOOL, OPT_STR };

struct opt {
    const char *name;
    enum opt_type type;
    size_t off;
};

#define U32(f) {#f, OPT_U32, offsetof(struct config, f)}
#define BOOL(f) {#f, OPT_BOOL, offsetof(struct config, f)}
#define STR(f) {#f, OPT_STR, offsetof(struct config, f)}
static const struct opt root_opts[] = {
    STR(engine), BOOL(allow_anonymous), BOOL(test_clock), STR(token_hmac_secret), STR(token_rsa_public_key),
    STR(token_ecdsa_public_key), STR(token_algorithm), STR(token_audience), STR(token_issuer),
    STR(api_key), STR(tls_cert), STR(tls_key), STR(web_root), STR(log_level),
    U32(ping_interval), U32(pong_timeout), U32(stale_close_delay), U32(expired_close_delay),
    U32(expired_sub_close_delay), U32(handshake_timeout), U32(max_message_size),
    U32(max_publication_size), U32(channel_max_length), U32(client_queue_max_size),
    U32(max_channels_per_client), U32(max_connections), U32(max_connections_per_ip),
    U32(client_command_rate), U32(client_command_burst), U32(client_rate_limit_strikes),
    U32(history_max_limit), U32(recovery_max_limit), U32(history_meta_ttl),
    U32(api_max_body_size), U32(api_max_broadcast_channels), U32(api_max_batch_commands),
    U32(max_http_connections_per_ip), U32(http_body_timeout), U32(write_delay_max_ms),
    STR(metrics_key), STR(announcements_channel), STR(data_dir), STR(durable_sync),
};
#undef U32
#undef BOOL
#undef STR
#define U32(f) {#f, OPT_U32, offsetof(struct ns_config, f)}
#define BOOL(f) {#f, OPT_BOOL, offsetof(struct ns_config, f)}
static const struct opt ns_opts[] = {
    U32(history_size), U32(history_ttl), BOOL(presence), BOOL(join_leave),
    BOOL(allow_publish), BOOL(force_recovery), BOOL(force_positioning),
    {"private", OPT_BOOL, offsetof(struct ns_config, private_channels)}, BOOL(binary),
    BOOL(chat), U32(chat_max_text), U32(chat_edit_window), U32(chat_max_mentions),
    U32(chat_max_reactions), U32(slow_mode),
};
#undef U32
#undef BOOL

static void defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    c->listen_host = strdup("127.0.0.1");
    c->listen_port = 8000;
    c->engine = strdup(engine_name_of(ENGINE_KIND_MEMORY)->name);
    c->engine_kind = ENGINE_KIND_MEMORY;
    c->allow_anonymous = true;
    c->web_root = strdup(HEARTH_WEB_ROOT);
    c->log_level = strdup("info");
    c->announcements_channel = strdup("announcements:community");
    c->ping_interval = 25;
    c->pong_timeout = 8;
    c->stale_close_delay = 10;
    c->expired_close_delay = 25;
    c->expired_sub_close_delay = 25;
    c->handshake_timeout = 10;
    c->max_message_size = 65536;
    c->max_publication_size = 65536;
    c->channel_max_length = 255;
    c->client_queue_max_size = 1048576;
    c->write_delay_max_ms = 5;
    c->max_channels_per_client = 128;
    c->max_connections = 100000;
    c->max_connections_per_ip = 1000;
    c->client_command_rate = 100;
    c->client_command_burst = 200;
    c->client_rate_limit_strikes = 20;
    c->history_max_limit = 300;
    c->history_meta_ttl = 30 * 24 * 3600;
    c->recovery_max_limit = 300;
    c->api_max_body_size = 1048576;
    c->max_http_connections_per_ip = 256;
    c->http_body_timeout = 10;
    c->api_max_broadcast_channels = 10000;
    c->api_max_batch_commands = 10000;
    c->data_dir = strdup("./hearth-data");
    c->durable_sync = strdup("normal");
    config_redis_defaults(c);
}

static void ns_defaults(struct ns_config *ns)
{
    for (int op = 0; op < ACCESS_OP_COUNT; op++)
        ns->rules[op] = ROLE_EVERYONE;
    ns->rules[ACCESS_PUBLISH] = 0; /* set from allow_publish unless given */
    ns->chat_max_text = 2000;
    ns->chat_edit_window = 900;
    ns->chat_max_mentions = 10;
    ns->chat_max_reactions = 20;
}

static void filter_free(struct chat_filter *f)
{
    for (size_t i = 0; i < f->nwords; i++)
        free(f->words[i]);
    free(f->words);
    memset(f, 0, sizeof(*f));
}

/* One filters list: an array of non-empty strings; "links" sets f->links. */
static int parse_filter(json_t *v, const char *which, struct chat_filter *f, char *err,
                        size_t errlen)
{
    if (!json_is_array(v))
        FAIL("\"filters.%s\" must be an array of strings", which);
    filter_free(f);
    size_t n = json_array_size(v);
    if (n > 1000)
        FAIL("\"filters.%s\" may hold at most 1000 entries", which);
    f->words = calloc(n ? n : 1, sizeof(char *));
    if (!f->words)
        FAIL("out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *w = json_array_get(v, i);
        if (!json_is_string(w) || json_string_length(w) == 0 || json_string_length(w) > 256)
            FAIL("\"filters.%s\" entries must be strings of 1..256 bytes", which);
        const char *t = json_string_value(w);
        if (!strcmp(t, "links")) {
            f->links = true;
            continue;
        }
        char *low = strdup(t);
        if (!low)
            FAIL("out of memory");
        for (char *c = low; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        f->words[f->nwords++] = low;
    }
    return 0;
}

/* "filters": {"block": [...], "hold": [...]} */
static int parse_filters(json_t *o, struct ns_config *ns, char *err, size_t errlen)
{
    if (!json_is_object(o))
        FAIL("\"filters\" must be an object {\"block\": [...], \"hold\": [...]}");
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        if (!strcmp(k, "block")) {
            if (parse_filter(v, k, &ns->filter_block, err, errlen))
                return -1;
        } else if (!strcmp(k, "hold")) {
            if (parse_filter(v, k, &ns->filter_hold, err, errlen))
                return -1;
        } else {
            FAIL("unknown filters list \"%s\" (block, hold)", k);
        }
    }
    return 0;
}

static int demo_namespaces(struct config *c)
{
    c->nnamespaces = 2;
    c->namespaces = calloc(2, sizeof(struct ns_config));
    if (!c->namespaces)
        return -1;
    for (int i = 0; i < 2; i++) {
        struct ns_config *ns = &c->namespaces[i];
        ns_defaults(ns);
        ns->name = strdup(i == 0 ? "" : "chat");
        ns->history_size = 100;
        ns->history_ttl = 600;
        ns->presence = true;
        ns->join_leave = true;
        ns->allow_publish = true;
        ns->rules[ACCESS_PUBLISH] = ROLE_EVERYONE;
        ns->force_recovery = i == 1;
    }
    return 0;
}

/* Sets the table option named key in base from v. 1 = not in the table. */
static int set_opt(const struct opt *opts, size_t n, void *base, const char *key, json_t *v,
                   char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(opts[i].name, key))
            continue;
        void *f = (char *)base + opts[i].off;
        switch (opts[i].type) {
        case OPT_U32:
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > UINT32_MAX)
                FAIL("\"%s\" must be a non-negative integer", key);
            *(uint32_t *)f = (uint32_t)json_integer_value(v);
            return 0;
        case OPT_BOOL:
            if (!json_is_boolean(v))
                FAIL("\"%s\" must be true or false", key);
            *(bool *)f = json_is_true(v);
            return 0;
        case OPT_STR: {
            if (!json_is_string(v))
                FAIL("\"%s\" must be a string", key);
            char **s = f;
            free(*s);
            if (!(*s = strdup(json_string_value(v))))
                FAIL("out of memory");
            return 0;
        }
        }
    }
    return 1;
}

/* "permissions": {"publish": ["host", "bot"], ...} */
static int parse_permissions(json_t *o, struct ns_config *ns, bool *publish_set, char *err,
                             size_t errlen)
{
    if (!json_is_object(o))
        FAIL("\"permissions\" must be an object of role lists");
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        int op = access_op_from_name(k);
        if (op < 0)
            FAIL("unknown permission \"%s\" (subscribe, publish, presence, history)", k);
        if (!json_is_array(v))
            FAIL("permission \"%s\" must be an array of roles", k);
        uint32_t bits = 0;
        size_t i;
        json_t *r;
        json_array_foreach(v, i, r) {
            uint32_t b = json_is_string(r) ? access_role_bit(json_string_value(r)) : 0;
            if (!b)
                FAIL("permission \"%s\": unknown role (member, host, moderator, bot, admin, "
                     "user, anonymous, *)", k);
            bits |= b;
        }
        ns->rules[op] = bits;
        if (op == ACCESS_PUBLISH)
            *publish_set = true;
    }
    return 0;
}

static int parse_ns(json_t *o, struct ns_config *ns, char *err, size_t errlen)
{
    if (!json_is_object(o))
        FAIL("each namespace must be an object");
    ns_defaults(ns);
    bool publish_set = false;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        int r;
        if (!strcmp(k, "name")) {
            if (!json_is_string(v))
                FAIL("namespace \"name\" must be a string");
            free(ns->name);
            r = (ns->name = strdup(json_string_value(v))) ? 0 : -1;
        } else if (!strcmp(k, "permissions")) {
            r = parse_permissions(v, ns, &publish_set, err, errlen);
        } else if (!strcmp(k, "filters")) {
            r = parse_filters(v, ns, err, errlen);
        } else {
            r = set_opt(ns_opts, sizeof(ns_opts) / sizeof(ns_opts[0]), ns, k, v, err, errlen);
            if (r == 1)
                FAIL("unknown namespace option \"%s\"", k);
        }
        if (r)
            return -1;
    }
    if (!ns->name)
        FAIL("a namespace needs a \"name\"");
    for (const char *p = ns->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            FAIL("namespace name \"%s\" may use only [-a-zA-Z0-9_]", ns->name);
    if (publish_set && ns->allow_publish)
        FAIL("namespace \"%s\": use allow_publish or permissions.publish, not both", ns->name);
    if (!publish_set && ns->allow_publish)
        ns->rules[ACCESS_PUBLISH] = ROLE_EVERYONE;
    if (ns->chat && !ns_has_history(ns))
        FAIL("namespace \"%s\": \"chat\" needs history (history_size and history_ttl)",
             ns->name);
    if (ns->chat && (ns->chat_max_text == 0 || ns->chat_max_text > 65536))
        FAIL("namespace \"%s\": chat_max_text must be 1..65536", ns->name);
    if (ns->chat_max_mentions > 1000 || ns->chat_max_reactions > 1000)
        FAIL("namespace \"%s\": chat_max_mentions and chat_max_reactions must be at most 1000",
             ns->name);
    return 0;
}

/* The moderators' live channels mod:<namespace> (docs/chat.md, "Moderation"): when
 * any namespace is a chat namespace and the config names no "mod"
 * namespace, an implicit one is added — history 100 items for a day, staff
 * (host, moderator, bot, admin) may subscribe and read history, nobody
 * publishes from a client. A configured "mod" namespace is used as it is
 * (the community layer refuses members there either way). 0 or -1 (OOM). */
static int add_mod_namespace(struct config *c)
{
    bool chat = false;
    for (size_t i = 0; i < c->nnamespaces; i++) {
        if (!strcmp(c->namespaces[i].name, CONFIG_MOD_NS))
            return 0;
        chat = chat || c->namespaces[i].chat;
    }
    if (!chat)
        return 0;
    struct ns_config *v = realloc(c->namespaces, (c->nnamespaces + 1) * sizeof(*v));
    if (!v)
        return -1;
    c->namespaces = v;
    struct ns_config *ns = &v[c->nnamespaces];
    memset(ns, 0, sizeof(*ns));
    ns_defaults(ns);
    if (!(ns->name = strdup(CONFIG_MOD_NS)))
        return -1;
    c->nnamespaces++;
    ns->history_size = 100;
    ns->history_ttl = 86400;
    uint32_t staff = ROLE_HOST | ROLE_MODERATOR | ROLE_BOT | ROLE_ADMIN;
    ns->rules[ACCESS_SUBSCRIBE] = ns->rules[ACCESS_HISTORY] = ns->rules[ACCESS_PRESENCE] = staff;
    ns->rules[ACCESS_PUBLISH] = 0;
    return 0;
}

static int parse_namespaces(struct config *c, json_t *v, char *err, size_t errlen)
{
    if (!json_is_array(v))
        FAIL("\"namespaces\" must be an array");
    size_t n = json_array_size(v);
    c->namespaces = calloc(n ? n : 1, sizeof(struct ns_config));
    if (!c->namespaces)
        FAIL("out of memory");
    for (size_t i = 0; i < n; i++) {
        c->nnamespaces = i + 1; /* so config_free frees what was parsed */
        if (parse_ns(json_array_get(v, i), &c->namespaces[i], err, errlen))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->namespaces[j].name, c->namespaces[i].name))
                FAIL("namespace \"%s\" is configured twice", c->namespaces[i].name);
    }
    return add_mod_namespace(c) == 0 ? 0 : (snprintf(err, errlen, "out of memory"), -1);
}

static int parse_origins(struct config *c, json_t *v, char *err, size_t errlen)
{
    if (!json_is_array(v))
        FAIL("\"allowed_origins\" must be an array of strings");
    size_t n = json_array_size(v);
    c->allowed_origins = calloc(n ? n : 1, sizeof(char *));
    if (!c->allowed_origins)
        FAIL("out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s))
            FAIL("\"allowed_origins\" must be an array of strings");
        if (!(c->allowed_origins[i] = strdup(json_string_value(s))))
            FAIL("out of memory");
        c->nallowed_origins = i + 1;
    }
    return 0;
}

static int check(struct config *c, char *err, size_t errlen)
{
    const struct engine_name *en = engine_name_find(c->engine);
    char names[128];
    if (!en)
        FAIL("engine \"%s\" is not available (this build has: %s)", c->engine,
             engine_names_list(names, sizeof(names)));
    c->engine_kind = en->kind;
    if (en->needs_redis && config_redis_check(c, err, errlen) != 0)
        return -1;
    if (c->ping_interval == 0 || c->pong_timeout >= c->ping_interval)
        FAIL("need ping_interval > pong_timeout >= 0 (seconds)");
    if (c->max_message_size < 128)
        FAIL("max_message_size must be at least 128");
    if (c->client_queue_max_size < 4096 || c->client_queue_max_size > (1u << 30))
        FAIL("client_queue_max_size must be between 4096 and 1073741824");
    if (c->max_channels_per_client > 32768)
        FAIL("max_channels_per_client must be at most 32768");
    if (c->client_rate_limit_strikes > 65535)
        FAIL("client_rate_limit_strikes must be at most 65535");
    if (c->write_delay_max_ms > 100)
        FAIL("write_delay_max_ms must be at most 100");
    if (c->channel_max_length == 0 || c->channel_max_length > 1024)
        FAIL("channel_max_length must be 1..1024");
    if (c->handshake_timeout == 0)
        FAIL("handshake_timeout must be at least 1 second");
    if (c->http_body_timeout == 0 || c->http_body_timeout > 3600)
        FAIL("http_body_timeout must be 1..3600 seconds");
    if (c->client_command_rate && c->client_command_burst == 0)
        FAIL("client_command_burst must be at least 1 when client_command_rate is set");
    if (c->client_command_burst > 1000000 || c->client_command_rate > 1000000)
        FAIL("client_command_rate and client_command_burst must be at most 1000000");
    if (!c->tls_cert != !c->tls_key)
        FAIL("TLS needs both tls_cert and tls_key");
    if (!c->data_dir || !c->durable_sync)
        FAIL("out of memory");
    if (strcmp(c->durable_sync, "normal") && strcmp(c->durable_sync, "full"))
        FAIL("durable_sync must be \"normal\" or \"full\"");
    c->durable_sync_full = !strcmp(c->durable_sync, "full");
    struct jwt_settings js = {
        .hmac_secret = c->token_hmac_secret, .rsa_public_key = c->token_rsa_public_key,
        .ecdsa_public_key = c->token_ecdsa_public_key, .algorithm = c->token_algorithm,
        .audience = c->token_audience, .issuer = c->token_issuer,
    };
    if (!(c->verifier = jwt_verifier_new(&js, err, errlen)))
        return -1;
    return 0;
}

static int parse_root(struct config *c, json_t *root, char *err, size_t errlen)
{
    if (!json_is_object(root))
        FAIL("the config must be a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        int r;
        if (!strcmp(k, "listen")) {
            if (!json_is_string(v))
                FAIL("\"listen\" must be \"HOST:PORT\"");
            r = config_set_listen(c, json_string_value(v), err, errlen);
        } else if (!strcmp(k, "namespaces")) {
            r = parse_namespaces(c, v, err, errlen);
        } else if (!strcmp(k, "allowed_origins")) {
            r = parse_origins(c, v, err, errlen);
        } else {
            r = set_opt(root_opts, sizeof(root_opts) / sizeof(root_opts[0]), c, k, v, err, errlen);
            if (r == 1) /* not in the table: maybe a multi-node key */
                r = config_redis_key(c, k, v, err, errlen);
            if (r == 1)
                FAIL("unknown config option \"%s\"", k);
        }
        if (r)
            return -1;
    }
    return check(c, err, errlen);
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    defaults(c);
    if (!path) {
        c->demo_defaults = true;
        if (demo_namespaces(c) != 0)
            FAIL("out of memory");
        return check(c, err, errlen);
    }
    if (!(c->path = strdup(path)))
        FAIL("out of memory");
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
    for (size_t i = 0; i < sizeof(root_opts) / sizeof(root_opts[0]); i++)
        if (root_opts[i].type == OPT_STR)
            free(*(char **)((char *)c + root_opts[i].off));
    free(c->path);
    free(c->listen_host);
    jwt_verifier_free(c->verifier);
    for (size_t i = 0; i < c->nallowed_origins; i++)
        free(c->allowed_origins[i]);
    free(c->allowed_origins);
    for (size_t i = 0; i < c->nnamespaces; i++) {
        free(c->namespaces[i].name);
        filter_free(&c->namespaces[i].filter_block);
        filter_free(&c->namespaces[i].filter_hold);
    }
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

bool config_channel_private(const struct ns_config *ns, const char *ch, size_t n)
{
    return ns->private_channels || (n && ch[0] == '$');
}

bool config_channel_name_ok(const struct config *c, const char *ch, size_t n)
{
    if (n == 0 || n > c->channel_max_length)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)ch[i] < 0x21 || (unsigned char)ch[i] > 0x7e)
            return false;
    return true;
}
