/* rooms/backend.h — builds the engine and the store the config's engine kind
 * names (config/engines.h), from one constructor table indexed by kind. */
#ifndef HEARTH_BACKEND_H
#define HEARTH_BACKEND_H

#include "config/config.h"
#include "rooms/engine.h"
#include "rooms/store.h"

struct uv_loop_s;

/* Sets *engine and *store (both owned by the caller: free with
 * backend_free). node_uid is this node's id. 0, or -1 (OOM, a bad
 * redis_url; nothing is left allocated). */
int backend_new(const struct config *cfg, const struct engine_events *ev, struct uv_loop_s *loop,
                const char *node_uid, struct engine **engine, struct store **store);
/* Frees what backend_new made (either may be NULL). */
void backend_free(struct engine *engine, struct store *store);

#endif
