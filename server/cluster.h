/* server/cluster.h — this node among others. Server API side effects that
 * must reach every node because a user's connections may be on any of them
 * (disconnect, subscribe, unsubscribe, refresh of a user, a personal message):
 * what each verb does to this node's clients (the senders and payloads are
 * node/user_verbs.h, so the community layer can use them too); this
 * node's figures for the node registry; and the node list of /api/info. */
#ifndef HEARTH_CLUSTER_H
#define HEARTH_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "rooms/engine.h"

struct server;

/* Registers the user verbs (node/user_verbs.h: their handlers) on n's control registry (node/control.h). 0 or
 * -1 (OOM). */
struct node;
int cluster_register(struct node *n);
/* engine_events.node_stats sink (ctl_arg = the node). */
void cluster_node_stats(void *node, struct node_info *out);

/* [this node, then every other live node] as /api/info returns them (new ref). */
json_t *cluster_nodes_json(struct server *srv);

#endif
