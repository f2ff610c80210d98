/* rooms/backend.c — the constructor table, indexed by engine kind (see
 * backend.h). Owns nothing. */
#include "rooms/backend.h"

#include <stddef.h>

static struct engine *new_memory(const struct config *cfg, const struct engine_events *ev,
                                 struct uv_loop_s *loop, const char *node_uid,
                                 const struct clock *clk, struct store **st)
{
    (void)node_uid;
    if (cfg->data_dir && cfg->data_dir[0]) /* a durable copy beside the hot state */
        return engine_memory_durable_new(cfg, ev, loop, clk, st);
    return engine_memory_new(cfg, ev, clk, st);
}

static struct engine *new_redis(const struct config *cfg, const struct engine_events *ev,
                                struct uv_loop_s *loop, const char *node_uid,
                                const struct clock *clk, struct store **st)
{
    return engine_redis_new(cfg, ev, loop, node_uid, clk, st);
}

typedef struct engine *backend_ctor(const struct config *cfg, const struct engine_events *ev,
                                    struct uv_loop_s *loop, const char *node_uid,
                                    const struct clock *clk, struct store **st);

static backend_ctor *const ctors[ENGINE_KINDS] = {
    [ENGINE_KIND_MEMORY] = new_memory,
    [ENGINE_KIND_REDIS] = new_redis,
};

int backend_new(const struct config *cfg, const struct engine_events *ev, struct uv_loop_s *loop,
                const char *node_uid, const struct clock *clk, struct engine **engine,
                struct store **store)
{
    *engine = NULL;
    *store = NULL;
    if ((size_t)cfg->engine_kind >= ENGINE_KINDS)
        return -1;
    *engine = ctors[cfg->engine_kind](cfg, ev, loop, node_uid, clk, store);
    if (!*engine)
        *store = NULL;
    return *engine ? 0 : -1;
}

void backend_free(struct engine *engine, struct store *store)
{
    if (store && store->ops->destroy)
        store->ops->destroy(store);
    if (engine)
        engine->ops->destroy(engine);
}
