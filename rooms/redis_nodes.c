/* rooms/redis_nodes.c — nodes knowing each other, for the Redis engine: the
 * control channel (P.control, on shard 0) carries every node's info every
 * REDIS_NODE_INFO_MS, a goodbye at shutdown, and server API side effects
 * (disconnect, unsubscribe, refresh of a user) that must reach whichever
 * node holds that user's connections. Owns the registry of the other live
 * nodes (struct rnode in e->nodes); a node silent for REDIS_NODE_TTL_MS is
 * dropped by the sweep. This node's own messages come back to it and are
 * ignored: it applies its own commands locally before sending them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "rooms/redis_engine.h"

static int publish_control(struct redis_engine *e)
{
    struct wbuf *b = &e->scratch;
    if (!wbuf_ok(b))
        return ENGINE_ENOMEM;
    const char *argv[3] = {"PUBLISH", e->control_chan, (const char *)wbuf_data(b)};
    size_t lens[3] = {7, strlen(e->control_chan), b->len};
    return redis_fire(&e->shards[0], 3, argv, lens) ? ENGINE_ETEMP : 0;
}

int redis_control(struct engine *eng, const struct control_msg *m)
{
    struct redis_engine *e = (struct redis_engine *)eng;
    wbuf_reset(&e->scratch);
    control_put_cmd(&e->scratch, e->uid, m);
    return publish_control(e);
}

void redis_nodes_announce(struct redis_engine *e)
{
    if (e->closing || !e->base.ev.node_stats || !rconn_ready(&e->shards[0].cmd))
        return;
    struct node_info ni;
    memset(&ni, 0, sizeof(ni));
    e->base.ev.node_stats(e->base.ev.ctl_arg, &ni);
    snprintf(ni.uid, sizeof(ni.uid), "%s", e->uid);
    wbuf_reset(&e->scratch);
    control_put_node(&e->scratch, &ni);
    publish_control(e);
    e->next_node_info_ms = redis_now_ms(e) + REDIS_NODE_INFO_MS;
}

void redis_nodes_bye(struct redis_engine *e)
{
    if (e->closing || !rconn_ready(&e->shards[0].cmd))
        return;
    wbuf_reset(&e->scratch);
    control_put_bye(&e->scratch, e->uid);
    publish_control(e);
}

static void node_drop(struct redis_engine *e, struct rnode *n, const char *why)
{
    log_info("redis", "node %s (%s) %s", n->info.uid, n->info.name, why);
    dict_remove(&e->nodes, &n->de);
    free(n);
}

void redis_nodes_on_message(struct redis_engine *e, const uint8_t *p, size_t len)
{
    struct control_frame f;
    if (control_decode(p, len, &f) != 0) {
        log_warn("redis", "malformed control message dropped (%zu bytes)", len);
        return;
    }
    if (f.sender.n == strlen(e->uid) && !memcmp(f.sender.p, e->uid, f.sender.n))
        return; /* our own */
    struct dict_entry *de = dict_find(&e->nodes, f.sender.p, f.sender.n);
    struct rnode *n = de ? DICT_CONTAINER(de, struct rnode, de) : NULL;
    switch (f.kind) {
    case CONTROL_FRAME_NODE:
        if (!n) {
            n = calloc(1, sizeof(*n));
            if (!n)
                return;
            n->info = f.node;
            n->de.key = n->info.uid;
            n->de.klen = strlen(n->info.uid);
            if (dict_insert(&e->nodes, &n->de) != 0) {
                free(n);
                return;
            }
            log_info("redis", "node %s (%s) joined", n->info.uid, n->info.name);
            e->next_node_info_ms = 0; /* a newcomer: tell it about us at the next sweep */
        }
        n->info = f.node;
        n->seen_ms = redis_now_ms(e);
        break;
    case CONTROL_FRAME_BYE:
        if (n)
            node_drop(e, n, "left");
        break;
    case CONTROL_FRAME_CMD:
        if (e->base.ev.on_control)
            e->base.ev.on_control(e->base.ev.ctl_arg, &f.msg);
        break;
    }
}

void redis_nodes_sweep(struct redis_engine *e, int64_t now)
{
    if (now >= e->next_node_info_ms)
        redis_nodes_announce(e);
    struct dict_iter it;
    dict_iter_init(&it, &e->nodes);
    for (struct dict_entry *de; (de = dict_next(&it));) {
        struct rnode *n = DICT_CONTAINER(de, struct rnode, de);
        if (now - n->seen_ms > REDIS_NODE_TTL_MS)
            node_drop(e, n, "is silent: dropped");
    }
}

size_t redis_nodes(struct engine *eng, const struct node_info **out)
{
    struct redis_engine *e = (struct redis_engine *)eng;
    size_t n = e->nodes.count;
    if (n > e->node_list_cap) {
        struct node_info *nl = realloc(e->node_list, sizeof(*nl) * n);
        if (!nl) {
            *out = NULL;
            return 0;
        }
        e->node_list = nl;
        e->node_list_cap = n;
    }
    size_t i = 0;
    struct dict_iter it;
    dict_iter_init(&it, &e->nodes);
    for (struct dict_entry *de; (de = dict_next(&it));)
        e->node_list[i++] = DICT_CONTAINER(de, struct rnode, de)->info;
    *out = e->node_list;
    return i;
}

void redis_nodes_free(struct redis_engine *e)
{
    struct dict_iter it;
    dict_iter_init(&it, &e->nodes);
    for (struct dict_entry *de; (de = dict_next(&it));)
        free(DICT_CONTAINER(de, struct rnode, de));
    dict_free(&e->nodes);
    free(e->node_list);
}
