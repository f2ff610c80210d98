/* clients/auth.c — JWT HS256 verification with OpenSSL HMAC and jansson
 * (see auth.h). Nothing here allocates in proportion to anything but the
 * token, and the token is bounded by the message size limit. */
#include "auth.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

/* base64url (no padding) decode. Returns decoded length or -1. */
static long b64url_decode(const uint8_t *in, size_t n, uint8_t *out)
{
    uint32_t acc = 0;
    int bits = 0;
    long o = 0;
    for (size_t i = 0; i < n; i++) {
        int v;
        uint8_t c = in[i];
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '-') v = 62;
        else if (c == '_') v = 63;
        else if (c == '=' && i + 2 >= n) break; /* tolerate padding at the end */
        else return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}

static json_t *decode_json_part(const uint8_t *p, size_t n)
{
    uint8_t *buf = malloc(n * 3 / 4 + 4);
    if (!buf)
        return NULL;
    long m = b64url_decode(p, n, buf);
    json_t *j = m < 0 ? NULL : json_loadb((const char *)buf, (size_t)m, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

void auth_claims_free(struct auth_claims *c)
{
    free(c->sub);
    free(c->info);
    memset(c, 0, sizeof(*c));
}

static bool numeric_claim(json_t *payload, const char *name, int64_t *out, bool *bad)
{
    json_t *v = json_object_get(payload, name);
    if (!v || json_is_null(v))
        return false;
    if (json_is_integer(v))
        *out = (int64_t)json_integer_value(v);
    else if (json_is_real(v))
        *out = (int64_t)json_real_value(v);
    else
        *bad = true;
    return !*bad;
}

enum auth_result auth_verify_hs256(const uint8_t *token, size_t len, const char *secret,
                                   int64_t now, struct auth_claims *out)
{
    memset(out, 0, sizeof(*out));
    if (!secret || !*secret)
        return AUTH_INVALID;
    const uint8_t *d1 = memchr(token, '.', len);
    if (!d1)
        return AUTH_INVALID;
    const uint8_t *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
    if (!d2)
        return AUTH_INVALID;
    const uint8_t *sig = d2 + 1;
    size_t siglen = len - (size_t)(sig - token);

    json_t *hdr = decode_json_part(token, (size_t)(d1 - token));
    if (!hdr)
        return AUTH_INVALID;
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    bool alg_ok = alg && strcmp(alg, "HS256") == 0;
    json_decref(hdr);
    if (!alg_ok)
        return AUTH_INVALID;

    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), token, (size_t)(d2 - token), mac, &maclen))
        return AUTH_INVALID;
    uint8_t given[EVP_MAX_MD_SIZE + 4];
    if (siglen > (EVP_MAX_MD_SIZE * 4) / 3 + 4)
        return AUTH_INVALID;
    long gl = b64url_decode(sig, siglen, given);
    if (gl != (long)maclen || CRYPTO_memcmp(given, mac, maclen) != 0)
        return AUTH_INVALID;

    json_t *payload = decode_json_part(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!payload)
        return AUTH_INVALID;
    enum auth_result r = AUTH_OK;
    bool bad = false;
    int64_t exp = 0, nbf = 0;
    json_t *sub = json_object_get(payload, "sub");
    if (json_object_get(payload, "channel") || (sub && !json_is_string(sub))) {
        r = AUTH_INVALID;
        goto done;
    }
    bool has_exp = numeric_claim(payload, "exp", &exp, &bad);
    bool has_nbf = numeric_claim(payload, "nbf", &nbf, &bad);
    if (bad) {
        r = AUTH_INVALID;
        goto done;
    }
    if ((has_exp && exp <= now) || (has_nbf && nbf > now)) {
        r = AUTH_EXPIRED;
        goto done;
    }
    out->exp = has_exp ? exp : 0;
    out->sub = strdup(sub ? json_string_value(sub) : "");
    json_t *info = json_object_get(payload, "info");
    if (info && !json_is_null(info)) {
        out->info = json_dumps(info, JSON_COMPACT | JSON_ENCODE_ANY);
        out->info_len = out->info ? strlen(out->info) : 0;
    }
    if (!out->sub) {
        auth_claims_free(out);
        r = AUTH_INVALID;
    }
done:
    json_decref(payload);
    return r;
}
