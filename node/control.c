/* node/control.c — the control verb registry (see control.h). Owns its
 * entries; borrows the handlers' ctx. */
#include "node/control.h"

#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "util/log.h"

struct control_verb {
    struct dict_entry de;      /* key = name */
    node_control_fn *fn;
    void *ctx;                 /* borrowed */
    char name[];
};

static struct control_verb *find(struct node *n, const void *name, size_t len)
{
    struct dict_entry *de = dict_find(&n->controls.verbs, name, len);
    return de ? DICT_CONTAINER(de, struct control_verb, de) : NULL;
}

int node_control_register(struct node *n, const char *verb, node_control_fn *fn, void *ctx)
{
    size_t len = strlen(verb);
    if (!len || len > CONTROL_VERB_MAX || find(n, verb, len))
        return -1;
    struct control_verb *v = malloc(sizeof(*v) + len + 1);
    if (!v)
        return -1;
    memcpy(v->name, verb, len + 1);
    v->fn = fn;
    v->ctx = ctx;
    v->de.key = v->name;
    v->de.klen = len;
    if (dict_insert(&n->controls.verbs, &v->de) != 0) {
        free(v);
        return -1;
    }
    return 0;
}

int node_control_send(struct node *n, const char *verb, const uint8_t *payload, size_t len)
{
    struct control_verb *v = find(n, verb, strlen(verb));
    if (!v)
        return -1;
    struct control_msg m = {.verb = span_str(verb), .payload = {payload, len}};
    v->fn(n, v->ctx, m.payload);
    struct engine *e = n->engine;
    if (!e->ops->control)
        return 0; /* one node: nobody else to tell */
    return len <= CONTROL_PAYLOAD_MAX ? e->ops->control(e, &m) : -1;
}

void node_control_on_message(void *node, const struct control_msg *m)
{
    struct node *n = node;
    struct control_verb *v = find(n, m->verb.p, m->verb.n);
    if (!v) {
        log_warn("control", "unknown verb %.*s dropped", (int)m->verb.n, (const char *)m->verb.p);
        return;
    }
    v->fn(n, v->ctx, m->payload);
}

void node_controls_free(struct node_controls *c)
{
    struct dict_iter it;
    dict_iter_init(&it, &c->verbs);
    for (struct dict_entry *de; (de = dict_next(&it));) {
        dict_remove(&c->verbs, de);
        free(DICT_CONTAINER(de, struct control_verb, de));
    }
    dict_free(&c->verbs);
}
