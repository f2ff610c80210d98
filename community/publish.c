/* community/publish.c — publish.h. */
#include "community/publish.h"

#include <stdlib.h>

#include "node/gate.h"
#include "node/node.h"
#include "util/log.h"

struct pub_ctx {
    struct gate_call call;
};

static void on_published(void *arg, const struct gate_outcome *out)
{
    if (out->code)
        log_emit(LOG_DEBUG, "community", "a publication was refused (%u %s)", out->code,
                 out->message ? out->message : "");
    free(arg);
}

void community_publish(struct node *node, const char *channel, json_t *obj, bool stored)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    struct pub_ctx *x = text ? malloc(sizeof(*x)) : NULL;
    if (!x) {
        free(text);
        log_emit(LOG_WARN, "community", "out of memory publishing to %s", channel);
        return;
    }
    struct gate_pub p = {.channel = span_str(channel), .data = span_str(text), .has_data = true,
                         .is_json = true, .origin = GATE_API, .skip_history = !stored,
                         /* the layer's own event: the publish hooks (a chat namespace's
                          * message rules) are not for it */
                         .trusted = true};
    gate_publish(&node->gate, &p, &x->call, on_published, x);
    free(text);
}
