/* server/cluster.h — this node among others. Server API side effects that
 * must reach every node because a user's connections may be on any of them
 * (disconnect, subscribe, unsubscribe, refresh of a user): applied to this node's
 * clients at once and sent to the other nodes through the engine (a no-op
 * on the memory engine); the same commands arriving from other nodes; this
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

/* engine_events sinks (ctl_arg = the server). */
void cluster_on_control(void *srv, const struct control_msg *m);
void cluster_node_stats(void *srv, struct node_info *out);

/* [this node, then every other live node] as /api/info returns them (new ref). */
json_t *cluster_nodes_json(struct server *srv);

#endif
