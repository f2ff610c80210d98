/* server/api_users.c — the API methods that act on a user's connections
 * wherever they are: subscribe, unsubscribe, disconnect, refresh (sent with
 * node/user_verbs.h, done by server/cluster.c; on the node's method table,
 * registered by api_http.c). */
#include <stdlib.h>
#include <string.h>

#include "protocol/errors.h"
#include "server/api_internal.h"
#include "node/user_verbs.h"
#include "server/server.h"

void api_m_disconnect(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    const char *user = api_get_str(params, "user"), *client = api_get_str(params, "client");
    if (!user)
        return method_error(done, arg, ERR_BAD_REQUEST, NULL);
    int code = DISC_FORCE_NO_RECONNECT;
    const char *reason = "force disconnect";
    json_t *d = json_object_get(params, "disconnect");
    if (json_is_object(d)) {
        json_t *jc = json_object_get(d, "code");
        if (json_is_integer(jc)) {
            json_int_t v = json_integer_value(jc);
            if (v < 3000 || v > 4999)
                return method_error(done, arg, ERR_BAD_REQUEST, NULL);
            code = (int)v;
        }
        const char *r = api_get_str(d, "reason");
        if (r && strlen(r) <= 100)
            reason = r;
    }
    if (node_user_disconnect(call->node, user, client, (uint16_t)code, reason) != 0)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    method_ok(done, arg, NULL);
}

void api_m_unsubscribe(const struct method_call *call, json_t *params, method_done *done,
                       void *arg)
{
    const char *user = api_get_str(params, "user"), *ch = api_get_str(params, "channel");
    const char *client = api_get_str(params, "client");
    if (!user || !ch)
        return method_error(done, arg, ERR_BAD_REQUEST, NULL);
    if (node_user_unsubscribe(call->node, user, ch, client, 0, NULL) != 0)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    method_ok(done, arg, NULL);
}

/* Server-side subscription of a user's connections (the client gets a
 * "subscribe" push; the SDK emits "subscribed" for it). */
void api_m_subscribe(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct server *srv = server_of(call->node);
    const char *user = api_get_str(params, "user"), *ch = api_get_str(params, "channel");
    const char *client = api_get_str(params, "client");
    uint32_t err = 0;
    if (!user || !ch)
        return method_error(done, arg, ERR_BAD_REQUEST, NULL);
    if (!api_channel(srv, ch, &err))
        return method_error(done, arg, err, NULL);
    if (node_user_subscribe(call->node, user, ch, client) != 0)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    method_ok(done, arg, NULL);
}

void api_m_refresh(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    const char *user = api_get_str(params, "user"), *client = api_get_str(params, "client");
    if (!user)
        return method_error(done, arg, ERR_BAD_REQUEST, NULL);
    bool expired = json_is_true(json_object_get(params, "expired"));
    json_t *ea = json_object_get(params, "expire_at");
    int64_t expire_at = json_is_integer(ea) ? (int64_t)json_integer_value(ea) : 0;
    if (node_user_refresh(call->node, user, client, expired, expire_at) != 0)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    method_ok(done, arg, NULL);
}
