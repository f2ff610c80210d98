/* clients/auth.c — claims of connection and subscription tokens (see
 * auth.h). Signatures are checked by jwt_verify() first; nothing here reads
 * an unverified byte. */
#include "clients/auth.h"

#include <stdlib.h>
#include <string.h>

#include "config/access.h"

void auth_claims_free(struct auth_claims *c)
{
    free(c->sub);
    free(c->info);
    for (uint32_t i = 0; i < c->nchannels; i++)
        free(c->channels[i]);
    free(c->channels);
    free(c->channel);
    free(c->client);
    memset(c, 0, sizeof(*c));
}

/* A numeric date claim (RFC 7519 NumericDate, fractions truncated): false
 * if absent; *bad for a wrong type or a date outside [0, AUTH_MAX_DATE]
 * (negative, or beyond year 9999: huge integers and doubles alike, so no
 * caller ever multiplies an unbounded value). */
static bool numeric_claim(json_t *payload, const char *name, int64_t *out, bool *bad)
{
    json_t *v = json_object_get(payload, name);
    if (!v || json_is_null(v))
        return false;
    if (json_is_integer(v) && json_integer_value(v) >= 0 &&
        json_integer_value(v) <= AUTH_MAX_DATE)
        *out = (int64_t)json_integer_value(v);
    else if (json_is_real(v) && json_real_value(v) >= 0 &&
             json_real_value(v) <= (double)AUTH_MAX_DATE)
        *out = (int64_t)json_real_value(v);
    else
        *bad = true;
    return !*bad;
}

/* Optional string claim: true if absent or a string (then *out is set). */
static bool opt_string(json_t *payload, const char *name, const char **out)
{
    json_t *v = json_object_get(payload, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v))
        return false;
    *out = json_string_value(v);
    return true;
}

/* The claims both kinds share: sub, exp, nbf, iat, info. */
static enum auth_result common_claims(json_t *p, int64_t now, struct auth_claims *out)
{
    bool bad = false;
    int64_t exp = 0, nbf = 0, iat = 0;
    const char *sub;
    if (!opt_string(p, "sub", &sub))
        return AUTH_INVALID;
    bool has_exp = numeric_claim(p, "exp", &exp, &bad);
    bool has_nbf = numeric_claim(p, "nbf", &nbf, &bad);
    numeric_claim(p, "iat", &iat, &bad);
    if (bad)
        return AUTH_INVALID;
    if ((has_exp && exp <= now) || (has_nbf && nbf > now))
        return AUTH_EXPIRED;
    out->exp = has_exp ? exp : 0;
    if (!(out->sub = strdup(sub ? sub : "")))
        return AUTH_INVALID;
    json_t *info = json_object_get(p, "info");
    if (info && !json_is_null(info)) {
        out->info = json_dumps(info, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!out->info)
            return AUTH_INVALID;
        out->info_len = strlen(out->info);
    }
    return AUTH_OK;
}

static enum auth_result conn_claims(json_t *p, struct auth_claims *out)
{
    if (json_object_get(p, "channel"))
        return AUTH_INVALID; /* a subscription token */
    json_t *roles = json_object_get(p, "roles"), *x;
    size_t i;
    if (roles && !json_is_null(roles)) {
        if (!json_is_array(roles))
            return AUTH_INVALID;
        json_array_foreach(roles, i, x) {
            if (!json_is_string(x))
                return AUTH_INVALID;
            out->roles |= access_token_role(json_string_value(x));
        }
    }
    json_t *chs = json_object_get(p, "channels");
    if (chs && !json_is_null(chs)) {
        if (!json_is_array(chs) || json_array_size(chs) > AUTH_MAX_CHANNELS)
            return AUTH_INVALID;
        out->channels = calloc(json_array_size(chs) + 1, sizeof(char *));
        if (!out->channels)
            return AUTH_INVALID;
        json_array_foreach(chs, i, x) {
            if (!json_is_string(x) || !(out->channels[i] = strdup(json_string_value(x))))
                return AUTH_INVALID;
            out->nchannels++;
        }
    }
    return AUTH_OK;
}

static enum auth_result sub_claims(json_t *p, struct auth_claims *out)
{
    const char *ch, *client;
    if (!opt_string(p, "channel", &ch) || !ch || !*ch || !opt_string(p, "client", &client))
        return AUTH_INVALID;
    if (!(out->channel = strdup(ch)) || (client && !(out->client = strdup(client))))
        return AUTH_INVALID;
    return AUTH_OK;
}

static enum auth_result verify(const struct jwt_verifier *v, const uint8_t *token, size_t len,
                               int64_t now, struct auth_claims *out, bool subscription)
{
    memset(out, 0, sizeof(*out));
    json_t *p = jwt_verify(v, token, len);
    if (!p)
        return AUTH_INVALID;
    enum auth_result r = common_claims(p, now, out);
    if (r == AUTH_OK)
        r = subscription ? sub_claims(p, out) : conn_claims(p, out);
    json_decref(p);
    if (r != AUTH_OK)
        auth_claims_free(out);
    return r;
}

enum auth_result auth_verify_connection(const struct jwt_verifier *v, const uint8_t *token,
                                        size_t len, int64_t now, struct auth_claims *out)
{
    return verify(v, token, len, now, out, false);
}

enum auth_result auth_verify_subscription(const struct jwt_verifier *v, const uint8_t *token,
                                          size_t len, int64_t now, struct auth_claims *out)
{
    return verify(v, token, len, now, out, true);
}
