/* node/node.c — the node's clock (see node.h). */
#include "node/node.h"

int64_t node_now_ms(const struct node *node) { return clock_now_ms(&node->clock); }
