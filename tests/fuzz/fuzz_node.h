/* tests/fuzz/fuzz_node.h — a node with no sockets for the fuzz targets that
 * drive server paths: a struct server holding the demo config, a memory
 * backend, a hub, the method table filled by the real api_register() and the
 * cluster verbs registered by cluster_register(), and the community layer
 * (its methods and the moderation verb mod.sanction; its timer is made on
 * libuv's default loop, which never runs here). Built once per process and
 * kept (libFuzzer runs many inputs in one process). */
#ifndef HEARTH_FUZZ_NODE_H
#define HEARTH_FUZZ_NODE_H

#include <stdlib.h>

#include "community/community.h"
#include "config/config.h"
#include "server/api.h"
#include "server/cluster.h"
#include "server/server.h"

static struct server *fuzz_node(void)
{
    static struct server srv;
    static struct config cfg;
    if (srv.node.engine)
        return &srv;
    char err[256];
    if (config_load(&cfg, NULL, err, sizeof(err)) != 0)
        abort();
    srv.node.cfg = &cfg;
    hub_init(&srv.node.hub, NULL);
    struct engine_events ev = {.on_publication = hub_on_publication, .on_join = hub_on_join,
                               .arg = &srv.node.hub};
    srv.node.engine = engine_memory_new(&cfg, &ev, &srv.node.clock, &srv.node.store);
    srv.node.hub.engine = srv.node.engine;
    methods_init(&srv.node.methods);
    gate_init(&srv.node.gate, &srv.node);
    srv.node.loop = uv_default_loop();
    if (!srv.node.engine || cluster_register(&srv.node) != 0 || api_register(&srv) != 0 ||
        community_init(&srv.community, &srv.node) != 0)
        abort();
    return &srv;
}

#endif
