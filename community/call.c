/* community/call.c — call.h. */
#include "community/call.h"

#include <stdlib.h>
#include <string.h>

#include "config/access.h"

struct ccall *ccall_new(const struct method_call *mc, json_t *params, method_done *done,
                        void *arg)
{
    struct ccall *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->node = mc->node;
    c->mod = mc->ctx;
    c->done = done;
    c->arg = arg;
    c->params = json_incref(params);
    c->api = mc->origin == METHOD_API;
    c->roles = c->api ? 0 : mc->roles;
    c->user = strdup(c->api ? "api" : mc->user ? mc->user : "");
    if (!c->user) {
        json_decref(c->params);
        free(c);
        return NULL;
    }
    return c;
}

static void ccall_free(struct ccall *c)
{
    json_decref(c->params);
    json_decref(c->doc);
    json_decref(c->extra);
    free(c->user);
    free(c);
}

void ccall_ok(struct ccall *c, json_t *result)
{
    method_ok(c->done, c->arg, result);
    ccall_free(c);
}

void ccall_error(struct ccall *c, uint32_t code, const char *message)
{
    method_error(c->done, c->arg, code, message);
    ccall_free(c);
}

bool ccall_has_role(const struct ccall *c, uint32_t roles)
{
    return c->api || (c->roles & (roles | ROLE_ADMIN));
}

const char *param_str(json_t *params, const char *key, size_t min, size_t max)
{
    json_t *v = json_object_get(params, key);
    if (!json_is_string(v) || json_string_length(v) < min || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    return json_string_value(v);
}
