/* node/gate_internal.h — what gate.c shares with gate_view.c (not for
 * other files): the per-namespace "has hooks" bits and the hook match. */
#ifndef HEARTH_GATE_INTERNAL_H
#define HEARTH_GATE_INTERNAL_H

#include <stdbool.h>

#include "node/gate.h"

#define GATE_HAS_PUB 1u
#define GATE_HAS_SUB 2u
#define GATE_HAS_VIEW 4u

/* Does h apply to the namespace named ns_name (ns: its config, or NULL to
 * look it up in the running config)? */
bool gate_hook_applies(const struct gate *g, const struct gate_hook *h, const char *ns_name,
                       const struct ns_config *ns);
/* The namespace's GATE_HAS_* bits (the map is rebuilt for a new config);
 * 0 with *oom set when that failed. */
unsigned gate_ns_hooks(struct gate *g, const struct ns_config *ns, bool *oom);

#endif
