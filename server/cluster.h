/* server/cluster.h — this node among others. Server API side effects that
 * must reach every node because a user's connections may be on any of them
 * (disconnect, subscribe, unsubscribe, refresh of a user): applied to this node's
 * clients at once and sent to the other nodes through the node's control
 * registry (node/control.h; a no-op beyond this node on the memory engine);
 * the same commands arriving from other nodes; this
 * node's figures for the node registry; and the node list of /api/info. */
#ifndef HEARTH_CLUSTER_H
#define HEARTH_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "rooms/engine.h"

struct server;

/* Each returns 0, or an engine error when the other nodes could not be told
 * (this node's part is done either way). client may be NULL or "" (all of
 * the user's connections). */
int cluster_disconnect(struct server *srv, const char *user, const char *client, uint16_t code,
                       const char *reason);
int cluster_unsubscribe(struct server *srv, const char *user, const char *channel,
                        const char *client);
/* A server-side subscription for the user's connections. */
int cluster_subscribe(struct server *srv, const char *user, const char *channel,
                      const char *client);
/* expire_at: unix seconds, 0 = leave as is. */
int cluster_refresh(struct server *srv, const char *user, const char *client, bool expired,
                    int64_t expire_at);

/* Registers the four verbs on n's control registry (node/control.h). 0 or
 * -1 (OOM). */
struct node;
int cluster_register(struct node *n);
/* engine_events.node_stats sink (ctl_arg = the node). */
void cluster_node_stats(void *node, struct node_info *out);

/* [this node, then every other live node] as /api/info returns them (new ref). */
json_t *cluster_nodes_json(struct server *srv);

#endif
