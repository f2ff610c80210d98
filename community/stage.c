/* community/stage.c — stage.h. Each call is one struct ccall
 * (community/call.h); c->n[0] is the op, c->extra the target user. */
#include "community/stage.h"

#include <stdlib.h>
#include <string.h>

#include "community/call.h"
#include "community/publish.h"
#include "config/access.h"
#include "config/config.h"
#include "node/node.h"
#include "protocol/errors.h"
#include "rooms/store.h"

#define SPAN_OF(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})

enum stage_op { ST_RAISE, ST_LOWER, ST_ACCEPT, ST_DISMISS, ST_GET };

/* Index of user in arr, or -1. */
static long find(json_t *arr, const char *user)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!strcmp(json_string_value(v), user))
            return (long)i;
    }
    return -1;
}

static void on_written(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    (void)recs;
    (void)n;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    json_t *o = json_deep_copy(c->doc);
    json_object_set_new(o, "type", json_string("stage"));
    community_publish(c->node, json_string_value(json_object_get(c->params, "channel")), o, true);
    ccall_ok(c, json_incref(c->doc));
}

static void on_read(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    json_error_t je;
    c->doc = n ? json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, &je) : NULL;
    if (!json_is_array(json_object_get(c->doc, "speakers")) ||
        !json_is_array(json_object_get(c->doc, "hands"))) {
        json_decref(c->doc);
        c->doc = json_pack("{s:[],s:[]}", "speakers", "hands");
    }
    if (c->n[0] == ST_GET)
        return ccall_ok(c, json_incref(c->doc));
    json_t *sp = json_object_get(c->doc, "speakers"), *hands = json_object_get(c->doc, "hands");
    const char *who = json_string_value(c->extra);
    long hi = find(hands, who), si = find(sp, who);
    switch (c->n[0]) {
    case ST_RAISE:
        if (si >= 0 || hi >= 0)
            return ccall_ok(c, json_incref(c->doc)); /* already up: nothing changes */
        if (json_array_size(hands) >= STAGE_MAX)
            return ccall_error(c, ERR_LIMIT_EXCEEDED, "the hand queue is full");
        json_array_append(hands, c->extra);
        break;
    case ST_LOWER:
        if (hi < 0)
            return ccall_ok(c, json_incref(c->doc));
        json_array_remove(hands, (size_t)hi);
        break;
    case ST_ACCEPT:
        if (si >= 0)
            return ccall_ok(c, json_incref(c->doc));
        if (hi < 0)
            return ccall_error(c, ERR_BAD_REQUEST, "that user has not raised a hand");
        if (json_array_size(sp) >= STAGE_MAX)
            return ccall_error(c, ERR_LIMIT_EXCEEDED, "the stage is full");
        json_array_remove(hands, (size_t)hi);
        json_array_append(sp, c->extra);
        break;
    case ST_DISMISS:
        if (si < 0 && hi < 0)
            return ccall_error(c, ERR_BAD_REQUEST, "that user is neither on stage nor waiting");
        if (si >= 0)
            json_array_remove(sp, (size_t)si);
        if (hi >= 0)
            json_array_remove(hands, (size_t)hi);
        break;
    }
    char *val = json_dumps(c->doc, JSON_COMPACT);
    struct record r = {.key = span_str(json_string_value(json_object_get(c->params, "channel"))),
                       .value = span_str(val ? val : "")};
    if (!val || c->node->store->ops->record_put(c->node->store, SPAN_OF(STAGE_KIND), &r, 0,
                                                on_written, c))
        ccall_error(c, ERR_INTERNAL, NULL);
    free(val);
}

static void stage_call(const struct method_call *mc, json_t *params, method_done *done, void *arg,
                       enum stage_op op)
{
    struct ccall *c = ccall_new(mc, params, done, arg);
    if (!c)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    c->n[0] = op;
    const char *ch = param_str(params, "channel", 1, 255);
    const struct ns_config *ns = ch ? config_find_ns(c->node->cfg, ch, strlen(ch)) : NULL;
    if (!ns || !ns->chat)
        return ccall_error(c, ERR_BAD_REQUEST, "channel must be a chat room");
    const char *who = c->user;
    if (op == ST_ACCEPT || op == ST_DISMISS || (c->api && op != ST_GET)) {
        who = param_str(params, "user", 1, 128);
        if (!who)
            return ccall_error(c, ERR_BAD_REQUEST, "user must name a member");
    }
    if (op != ST_GET && !*who)
        return ccall_error(c, ERR_PERMISSION_DENIED, "anonymous users cannot take the stage");
    c->extra = json_string(who);
    if (c->node->store->ops->record_get(c->node->store, SPAN_OF(STAGE_KIND), span_str(ch),
                                        on_read, c))
        ccall_error(c, ERR_INTERNAL, NULL);
}

#define OP(name, op)                                                                    \
    static void name(const struct method_call *mc, json_t *p, method_done *d, void *a) \
    {                                                                                   \
        stage_call(mc, p, d, a, op);                                                    \
    }
OP(m_raise, ST_RAISE)
OP(m_lower, ST_LOWER)
OP(m_accept, ST_ACCEPT)
OP(m_dismiss, ST_DISMISS)
OP(m_get, ST_GET)
#undef OP

int stage_init(struct node *node)
{
    const uint32_t staff = ROLE_HOST | ROLE_MODERATOR | ROLE_BOT;
    const struct method_spec specs[] = {
        {"stage.raise_hand", m_raise, NULL, ROLE_USER, true, 1},
        {"stage.lower_hand", m_lower, NULL, ROLE_USER, true, 1},
        {"stage.accept", m_accept, NULL, staff, true, 1},
        {"stage.dismiss", m_dismiss, NULL, staff, true, 1},
        {"stage.get", m_get, NULL, ROLE_USER | ROLE_ANONYMOUS, true, 1},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (methods_register(&node->methods, &specs[i]) != 0)
            return -1;
    return 0;
}
