/* server/reload.c — SIGHUP: read the config file again and swap the new
 * config in while clients stay connected. Token keys, the API key,
 * namespaces, permissions, limits and timers take effect at once;
 * settings bound at startup (listen address, engine, TLS files, web root,
 * handshake timeout, data_dir, durable_sync) keep their running values, and
 * a change to them is logged as needing a restart.
 *
 * Ownership: the first config belongs to main(); each reloaded one is heap
 * memory owned by the server (srv->cfg_owned) and freed when the next
 * reload replaces it or at exit. Everything that borrows from the config
 * is re-pointed here: every subscription's namespace (a subscription whose
 * namespace is gone is ended with unsubscribe 2000), and the engine's and
 * the store's cfg. */
#include <stdlib.h>
#include <string.h>

#include "clients/client.h"
#include "config/config_redis.h"
#include "util/log.h"
#include "server/server.h"

static void keep_str(char **new_val, char **old_val, const char *name)
{
    if ((*new_val == NULL) != (*old_val == NULL) ||
        (*new_val && strcmp(*new_val, *old_val) != 0))
        log_warn("config", "%s changed: takes effect after a restart", name);
    char *t = *new_val; /* the running value moves to the new config */
    *new_val = *old_val;
    *old_val = t;
}

/* Settings bound at startup keep their running values. */
static void carry_static(struct config *nc, struct config *old)
{
    keep_str(&nc->listen_host, &old->listen_host, "listen");
    keep_str(&nc->engine, &old->engine, "engine");
    nc->engine_kind = old->engine_kind;
    keep_str(&nc->tls_cert, &old->tls_cert, "tls_cert");
    keep_str(&nc->tls_key, &old->tls_key, "tls_key");
    keep_str(&nc->web_root, &old->web_root, "web_root");
    keep_str(&nc->data_dir, &old->data_dir, "data_dir");
    keep_str(&nc->durable_sync, &old->durable_sync, "durable_sync");
    nc->durable_sync_full = old->durable_sync_full;
    if (nc->listen_port != old->listen_port)
        log_warn("config", "listen changed: takes effect after a restart");
    nc->listen_port = old->listen_port;
    nc->handshake_timeout = old->handshake_timeout;
    config_redis_carry(nc, old); /* redis_url, redis_prefix, node_name, timeouts */
}

static void repoint_subs(struct server *srv)
{
    for (struct client *c = srv->node.clients; c; c = c->next)
        for (uint32_t i = c->nsubs; i-- > 0;) {
            struct sub *s = c->subs[i];
            const struct ns_config *ns = config_find_ns(srv->node.cfg, s->channel, s->channel_len);
            if (ns) {
                s->ns = ns;
                continue;
            }
            /* its namespace is gone: a valid one (a reloaded config has at
             * least one) until the removal below has run */
            s->ns = &srv->node.cfg->namespaces[0];
            client_unsubscribe_push(c, s, 2000, "server unsubscribe");
        }
}

int server_reload(struct server *srv)
{
    const struct config *old = srv->node.cfg;
    if (!old->path) {
        log_warn("config", "SIGHUP: started without --config, nothing to reload");
        return -1;
    }
    struct config *nc = malloc(sizeof(*nc));
    char err[512];
    if (!nc)
        return -1;
    if (config_load(nc, old->path, err, sizeof(err)) != 0) {
        log_error("config", "SIGHUP: keeping the running config: %s", err);
        config_free(nc);
        free(nc);
        return -1;
    }
    if (!nc->nnamespaces) {
        log_error("config", "SIGHUP: keeping the running config: no namespaces");
        config_free(nc);
        free(nc);
        return -1;
    }
    carry_static(nc, (struct config *)old);
    enum log_level lvl;
    if (log_parse_level(nc->log_level, &lvl) == 0)
        log_set_level(lvl);
    srv->node.cfg = nc;
    srv->node.engine->cfg = nc;
    srv->node.store->cfg = nc;
    gate_config_changed(&srv->node.gate); /* hooks re-matched by namespace name */
    repoint_subs(srv);
    if (srv->cfg_owned) {
        config_free(srv->cfg_owned);
        free(srv->cfg_owned);
    }
    srv->cfg_owned = nc;
    log_info("config", "reloaded %s (%zu namespaces)", nc->path, nc->nnamespaces);
    return 0;
}
