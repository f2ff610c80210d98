/* community/activity.c — activity.h. Each distinct-chatter check owns one
 * struct chatter until its store callback. */
#include "community/activity.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "community/members_stats.h"
#include "node/gate.h"
#include "node/node.h"
#include "rooms/store.h"

#define SPAN_OF(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})

struct chatter {
    struct node *node;
    size_t chlen, klen;
    char key[RECORD_KEY_MAX];   /* channel \x1f user; later channel \x1f 'k' */
};

static void incr(struct node *node, const char *ch, size_t chlen, char tag)
{
    char k[RECORD_KEY_MAX];
    if (chlen + 2 > sizeof(k))
        return;
    memcpy(k, ch, chlen);
    k[chlen] = 0x1f;
    k[chlen + 1] = tag;
    node->store->ops->record_incr(node->store, SPAN_OF(ACT_CHAT_KIND),
                                  (struct span){(const uint8_t *)k, chlen + 2}, 1,
                                  node_now_ms(node) + ACT_TTL_MS, NULL, NULL);
}

static void on_chatter(void *arg, int err, const struct record *recs, size_t n)
{
    struct chatter *c = arg;
    (void)recs;
    if (!err && n == 0) /* first message of this user in this room */
        incr(c->node, c->key, c->chlen, 'k');
    free(c);
}

static bool is_message(const struct publication *p, enum gate_origin origin)
{
    if (!p->data_is_json || p->data.n < 2 || p->data.p[0] != '{')
        return false;
    json_error_t je;
    json_t *o = json_loadb((const char *)p->data.p, p->data.n, 0, &je);
    const char *type = json_string_value(json_object_get(o, "type"));
    bool yes = type ? !strcmp(type, "message")
                    : origin == GATE_CLIENT && json_is_string(json_object_get(o, "text"));
    json_decref(o);
    return yes;
}

static struct gate_verdict on_publish(void *ctx, struct gate_req *req)
{
    struct node *node = ctx;
    struct publication *p = gate_req_publication(req);
    if (!is_message(p, gate_req_origin(req)))
        return (struct gate_verdict){.kind = GATE_ALLOW};
    incr(node, (const char *)p->channel.p, p->channel.n, 'm');
    members_stats_message(node);
    struct span user = p->has_info ? p->info.user : (struct span){0};
    if (user.n && p->channel.n + 1 + user.n <= RECORD_KEY_MAX) {
        struct chatter *c = malloc(sizeof(*c));
        if (c) {
            c->node = node;
            c->chlen = p->channel.n;
            memcpy(c->key, p->channel.p, p->channel.n);
            c->key[p->channel.n] = 0x1f;
            memcpy(c->key + p->channel.n + 1, user.p, user.n);
            c->klen = p->channel.n + 1 + user.n;
            struct record r = {.key = {(const uint8_t *)c->key, c->klen},
                               .value = SPAN_OF("1"),
                               .expire_ms = node_now_ms(node) + ACT_TTL_MS};
            if (node->store->ops->record_put(node->store, SPAN_OF(ACT_CHATTER_KIND), &r,
                                             RECORD_NX, on_chatter, c))
                free(c);
        }
    }
    return (struct gate_verdict){.kind = GATE_ALLOW};
}

int activity_init(struct node *node)
{
    const struct config *cfg = node->cfg;
    for (size_t i = 0; i < cfg->nnamespaces; i++)
        if (cfg->namespaces[i].chat &&
            gate_hook_add(&node->gate, cfg->namespaces[i].name, on_publish, node) != 0)
            return -1;
    return 0;
}
