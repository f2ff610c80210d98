/* node/control.h — the registry of cross-node control verbs. A module
 * registers a verb name with a handler; node_control_send() runs the
 * handler on this node and hands (verb, payload) to the engine, which
 * delivers it to every other node, where node_control_on_message() finds
 * the handler by name. The payload is the verb's own encoding (msgpack by
 * convention; the registering module encodes and decodes it, and must treat
 * bytes from another node as untrusted). A new verb needs no edit to
 * rooms/envelope.c or server/cluster.c. Loop thread only. */
#ifndef HEARTH_NODE_CONTROL_H
#define HEARTH_NODE_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "rooms/engine.h"
#include "util/dict.h"

struct node;

/* Runs with the registering ctx; payload is borrowed for the call. */
typedef void node_control_fn(struct node *n, void *ctx, struct span payload);

struct node_controls {
    struct dict verbs;         /* of struct control_verb (control.c), owned */
};

/* 0; -1 on OOM, a verb that is empty or too long, or one already taken. */
int node_control_register(struct node *n, const char *verb, node_control_fn *fn, void *ctx);
/* Runs verb's handler here, then sends (verb, payload) to every other node.
 * 0; -1 for an unregistered verb (nothing done) or a payload over
 * CONTROL_PAYLOAD_MAX (not sent); or the engine's error when the others
 * could not be told. */
int node_control_send(struct node *n, const char *verb, const uint8_t *payload, size_t len);
/* The engine_events.on_control sink (ctl_arg = the node): runs the handler
 * of a verb from another node; an unknown verb is logged and dropped. */
void node_control_on_message(void *node, const struct control_msg *m);
void node_controls_free(struct node_controls *c);

#endif
