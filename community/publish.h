/* community/publish.h — the community layer's own publications (event
 * state, reminders, poll results, Q&A changes): JSON built by a module,
 * published through the gate (node/gate.h) with the API's origin, trusted
 * (the publish hooks — a chat namespace's message rules — are skipped), fire and
 * forget. A refusal (no namespace configured for the channel, a hook's
 * deny) is logged at debug level; nothing else depends on it. Each publish
 * owns one small heap context until the gate answers. */
#ifndef HEARTH_COMMUNITY_PUBLISH_H
#define HEARTH_COMMUNITY_PUBLISH_H

#include <jansson.h>
#include <stdbool.h>

struct node;

/* Publishes obj (stolen; NULL is logged as OOM) to channel. stored: kept
 * in the channel's history (with an offset) — false for live-only updates
 * such as coalesced results. */
void community_publish(struct node *node, const char *channel, json_t *obj, bool stored);

#endif
