/* util/jwt.c — JWT signature verification with OpenSSL (HMAC, RSA
 * PKCS#1 v1.5, ECDSA) and jansson for the JSON parts; see jwt.h.
 * Allocation is bounded by the token length, which the caller bounds. */
#include "util/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum jwt_family { FAM_HS, FAM_RS, FAM_ES };

struct jwt_alg {
    const char *name;
    enum jwt_family fam;
    const EVP_MD *(*md)(void);
    int ec_bits;               /* ES: required curve size; its r/s are (bits+7)/8 bytes */
};

static const struct jwt_alg algs[] = {
    {"HS256", FAM_HS, EVP_sha256, 0}, {"HS384", FAM_HS, EVP_sha384, 0},
    {"HS512", FAM_HS, EVP_sha512, 0}, {"RS256", FAM_RS, EVP_sha256, 0},
    {"RS384", FAM_RS, EVP_sha384, 0}, {"RS512", FAM_RS, EVP_sha512, 0},
    {"ES256", FAM_ES, EVP_sha256, 256}, {"ES384", FAM_ES, EVP_sha384, 384},
    {"ES512", FAM_ES, EVP_sha512, 521},
};

struct jwt_verifier {
    char *hmac_secret;         /* owned, NULL = no HS* */
    size_t hmac_len;
    EVP_PKEY *rsa;             /* owned, NULL = no RS* */
    EVP_PKEY *ec;              /* owned, NULL = no ES* */
    int ec_bits;
    const struct jwt_alg *pin; /* NULL = any alg some key allows */
    char *audience;            /* owned or NULL */
    char *issuer;              /* owned or NULL */
};

static const struct jwt_alg *find_alg(const char *name)
{
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (!strcmp(algs[i].name, name))
            return &algs[i];
    return NULL;
}

long jwt_b64url_decode(const uint8_t *in, size_t n, uint8_t *out)
{
    uint32_t acc = 0;
    int bits = 0;
    long o = 0;
    while (n && in[n - 1] == '=') /* tolerate padding */
        n--;
    for (size_t i = 0; i < n; i++) {
        int v;
        uint8_t c = in[i];
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '-') v = 62;
        else if (c == '_') v = 63;
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

/* Reads a PEM public key from text or, if it does not look like PEM, from
 * the file it names. NULL with err set on failure. */
static EVP_PKEY *load_pubkey(const char *what, const char *src, char *err, size_t errlen)
{
    BIO *bio = NULL;
    if (strstr(src, "-----BEGIN"))
        bio = BIO_new_mem_buf(src, -1);
    else if (!(bio = BIO_new_file(src, "r"))) {
        snprintf(err, errlen, "%s: cannot read \"%s\"", what, src);
        return NULL;
    }
    EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!k)
        snprintf(err, errlen, "%s: not a PEM public key (\"-----BEGIN PUBLIC KEY-----\")", what);
    return k;
}

void jwt_verifier_free(struct jwt_verifier *v)
{
    if (!v)
        return;
    if (v->hmac_secret)
        OPENSSL_cleanse(v->hmac_secret, v->hmac_len);
    free(v->hmac_secret);
    EVP_PKEY_free(v->rsa);
    EVP_PKEY_free(v->ec);
    free(v->audience);
    free(v->issuer);
    free(v);
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); jwt_verifier_free(v); return NULL; } while (0)

static char *dup_opt(const char *s) { return s ? strdup(s) : NULL; }

struct jwt_verifier *jwt_verifier_new(const struct jwt_settings *s, char *err, size_t errlen)
{
    struct jwt_verifier *v = calloc(1, sizeof(*v));
    if (!v)
        FAIL("out of memory");
    if (s->hmac_secret && *s->hmac_secret) {
        v->hmac_secret = strdup(s->hmac_secret);
        v->hmac_len = strlen(s->hmac_secret);
    }
    if (s->rsa_public_key) {
        if (!(v->rsa = load_pubkey("token_rsa_public_key", s->rsa_public_key, err, errlen)))
            return jwt_verifier_free(v), NULL;
        if (EVP_PKEY_get_base_id(v->rsa) != EVP_PKEY_RSA)
            FAIL("token_rsa_public_key is not an RSA key");
    }
    if (s->ecdsa_public_key) {
        if (!(v->ec = load_pubkey("token_ecdsa_public_key", s->ecdsa_public_key, err, errlen)))
            return jwt_verifier_free(v), NULL;
        if (EVP_PKEY_get_base_id(v->ec) != EVP_PKEY_EC)
            FAIL("token_ecdsa_public_key is not an EC key");
        v->ec_bits = EVP_PKEY_get_bits(v->ec);
        if (v->ec_bits != 256 && v->ec_bits != 384 && v->ec_bits != 521)
            FAIL("token_ecdsa_public_key: curve must be P-256, P-384 or P-521");
    }
    if (s->algorithm) {
        if (!(v->pin = find_alg(s->algorithm)))
            FAIL("token_algorithm \"%s\" is not one of HS/RS/ES 256/384/512", s->algorithm);
        if ((v->pin->fam == FAM_HS && !v->hmac_secret) || (v->pin->fam == FAM_RS && !v->rsa) ||
            (v->pin->fam == FAM_ES && (!v->ec || v->ec_bits != v->pin->ec_bits)))
            FAIL("token_algorithm %s has no matching key configured", s->algorithm);
    }
    v->audience = dup_opt(s->audience);
    v->issuer = dup_opt(s->issuer);
    if ((s->hmac_secret && *s->hmac_secret && !v->hmac_secret) || (s->audience && !v->audience) ||
        (s->issuer && !v->issuer))
        FAIL("out of memory");
    return v;
}

static json_t *decode_part(const uint8_t *p, size_t n)
{
    uint8_t *buf = malloc(n * 3 / 4 + 4);
    if (!buf)
        return NULL;
    long m = jwt_b64url_decode(p, n, buf);
    json_t *j = m < 0 ? NULL
                      : json_loadb((const char *)buf, (size_t)m, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Raw R||S (JWS) → DER ECDSA-Sig-Value for OpenSSL. Returns length or -1. */
static int es_raw_to_der(const uint8_t *sig, size_t n, int bits, uint8_t **der)
{
    size_t half = (size_t)(bits + 7) / 8;
    if (n != 2 * half)
        return -1;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *s = BN_bin2bn(sig + half, (int)half, NULL);
    if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        return -1;
    }
    *der = NULL;
    int len = i2d_ECDSA_SIG(es, der);
    ECDSA_SIG_free(es);
    return len;
}

static bool verify_sig(const struct jwt_verifier *v, const struct jwt_alg *a, const uint8_t *msg,
                       size_t msglen, const uint8_t *sig, size_t siglen)
{
    if (a->fam == FAM_HS) {
        uint8_t mac[EVP_MAX_MD_SIZE];
        unsigned maclen = 0;
        if (!HMAC(a->md(), v->hmac_secret, (int)v->hmac_len, msg, msglen, mac, &maclen))
            return false;
        return siglen == maclen && CRYPTO_memcmp(sig, mac, maclen) == 0;
    }
    EVP_PKEY *key = a->fam == FAM_RS ? v->rsa : v->ec;
    uint8_t *der = NULL;
    if (a->fam == FAM_ES) {
        int dl = es_raw_to_der(sig, siglen, a->ec_bits, &der);
        if (dl < 0)
            return false;
        sig = der;
        siglen = (size_t)dl;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, a->md(), NULL, key) == 1 &&
              EVP_DigestVerify(ctx, sig, siglen, msg, msglen) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return ok;
}

/* Is alg usable with the configured keys (and the pin)? */
static bool alg_allowed(const struct jwt_verifier *v, const struct jwt_alg *a)
{
    if (v->pin && v->pin != a)
        return false;
    switch (a->fam) {
    case FAM_HS: return v->hmac_secret != NULL;
    case FAM_RS: return v->rsa != NULL;
    case FAM_ES: return v->ec != NULL && v->ec_bits == a->ec_bits;
    }
    return false;
}

static bool aud_ok(const struct jwt_verifier *v, json_t *payload)
{
    if (!v->audience)
        return true;
    json_t *aud = json_object_get(payload, "aud");
    if (json_is_string(aud))
        return !strcmp(json_string_value(aud), v->audience);
    if (!json_is_array(aud))
        return false;
    size_t i;
    json_t *x;
    json_array_foreach(aud, i, x)
        if (json_is_string(x) && !strcmp(json_string_value(x), v->audience))
            return true;
    return false;
}

static bool iss_ok(const struct jwt_verifier *v, json_t *payload)
{
    if (!v->issuer)
        return true;
    json_t *iss = json_object_get(payload, "iss");
    return json_is_string(iss) && !strcmp(json_string_value(iss), v->issuer);
}

#define MAX_SIG 1024 /* > an RSA-8192 signature */

json_t *jwt_verify(const struct jwt_verifier *v, const uint8_t *token, size_t len)
{
    if (!v)
        return NULL;
    const uint8_t *d1 = memchr(token, '.', len);
    if (!d1)
        return NULL;
    const uint8_t *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
    if (!d2)
        return NULL;
    const uint8_t *sig64 = d2 + 1;
    size_t sig64len = len - (size_t)(sig64 - token);
    if (memchr(sig64, '.', sig64len) || sig64len > MAX_SIG * 4 / 3 + 4)
        return NULL;

    json_t *hdr = decode_part(token, (size_t)(d1 - token));
    if (!hdr)
        return NULL;
    const char *an = json_string_value(json_object_get(hdr, "alg"));
    const struct jwt_alg *a = an ? find_alg(an) : NULL;
    bool crit = json_object_get(hdr, "crit") != NULL; /* we understand no extensions */
    json_decref(hdr);
    if (!a || crit || !alg_allowed(v, a))
        return NULL;

    uint8_t sig[MAX_SIG + 4];
    long sl = jwt_b64url_decode(sig64, sig64len, sig);
    if (sl <= 0 || !verify_sig(v, a, token, (size_t)(d2 - token), sig, (size_t)sl))
        return NULL;

    json_t *payload = decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
    if (payload && (!aud_ok(v, payload) || !iss_ok(v, payload))) {
        json_decref(payload);
        return NULL;
    }
    return payload;
}
