/* server/api_json.c — the API's JSON rendering: reply objects, ClientInfo
 * and publications (with base64 for payloads that are not JSON), and the
 * shared parameter checks (see api_internal.h). */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "protocol/errors.h"
#include "server/api_internal.h"
#include "server/server.h"

const char *api_get_str(json_t *params, const char *key)
{
    json_t *v = json_object_get(params, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const struct ns_config *api_channel(struct server *srv, const char *ch, uint32_t *code)
{
    size_t n = ch ? strlen(ch) : 0;
    if (!config_channel_name_ok(srv->node.cfg, ch, n)) {
        *code = ERR_BAD_REQUEST;
        return NULL;
    }
    const struct ns_config *ns = config_find_ns(srv->node.cfg, ch, n);
    if (!ns)
        *code = ERR_UNKNOWN_CHANNEL;
    return ns;
}

/* Raw payload bytes → a JSON value for a reply (non-JSON payloads as b64data). */
static void put_payload(json_t *obj, const char *key, struct span data, bool is_json)
{
    if (!data.n)
        return;
    if (is_json) {
        json_t *v = json_loadb((const char *)data.p, data.n, JSON_DECODE_ANY, NULL);
        if (v) {
            json_object_set_new(obj, key, v);
            return;
        }
    }
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *b = malloc((data.n + 2) / 3 * 4 + 1);
    if (!b)
        return;
    size_t o = 0;
    for (size_t i = 0; i < data.n; i += 3) {
        uint32_t v = (uint32_t)data.p[i] << 16;
        if (i + 1 < data.n) v |= (uint32_t)data.p[i + 1] << 8;
        if (i + 2 < data.n) v |= data.p[i + 2];
        b[o++] = t[(v >> 18) & 63];
        b[o++] = t[(v >> 12) & 63];
        b[o++] = i + 1 < data.n ? t[(v >> 6) & 63] : '=';
        b[o++] = i + 2 < data.n ? t[v & 63] : '=';
    }
    b[o] = 0;
    char key2[32];
    snprintf(key2, sizeof(key2), "b64%s", key);
    json_object_set_new(obj, key2, json_string(b));
    free(b);
}

json_t *api_clientinfo_json(const struct clientinfo *ci)
{
    json_t *o = json_pack("{s:s%,s:s%}", "user", (const char *)ci->user.p, ci->user.n, "client",
                          (const char *)ci->client.p, ci->client.n);
    put_payload(o, "conn_info", ci->conn_info, true);
    put_payload(o, "chan_info", ci->chan_info, true);
    return o;
}

json_t *api_publication_json(const struct publication *p)
{
    json_t *o = json_object();
    put_payload(o, "data", p->data, p->data_is_json);
    if (p->has_info)
        json_object_set_new(o, "info", api_clientinfo_json(&p->info));
    if (p->offset)
        json_object_set_new(o, "offset", json_integer((json_int_t)p->offset));
    return o;
}

json_t *api_reply_json(const struct method_reply *r)
{
    if (r->oom || r->text || r->code)
        json_decref(r->result);
    if (r->oom || r->text)
        return NULL;
    if (r->code)
        return json_pack("{s:{s:i,s:s}}", "error", "code", (int)r->code, "message",
                         r->message ? r->message : proto_error_message(r->code));
    return json_pack("{s:o}", "result", r->result ? r->result : json_object());
}
