/* tests/unit/test_auth.c — token verification: HS/RS/ES 256/384/512 with
 * keys made here, every way a token must be refused (wrong key, alg none,
 * key confusion RS->HS, pinned alg, tampered payload, expired, not yet
 * valid, aud/iss, bad claim types, garbage), and the claims of connection
 * tokens (sub, info, roles, channels) and subscription tokens. */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/access.h"
#include "clients/auth.h"

#define NOW 1700000000

static size_t b64url(const uint8_t *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = t[(acc >> bits) & 63];
        }
    }
    if (bits)
        out[o++] = t[(acc << (6 - bits)) & 63];
    out[o] = 0;
    return o;
}

static const EVP_MD *md_of(const char *alg)
{
    return !strcmp(alg + 2, "256") ? EVP_sha256() : !strcmp(alg + 2, "384") ? EVP_sha384()
                                                                          : EVP_sha512();
}

/* header.payload.signature: signs with hmac (for HS*, whatever the key) or
 * pkey (RS and ES algs), using the digest the alg names. */
static char *mint(const char *alg, const char *payload, const char *hmac, EVP_PKEY *pkey)
{
    static char tok[8192];
    char hdr[128], h[256], p[4096], s[1024];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    b64url((const uint8_t *)hdr, strlen(hdr), h);
    b64url((const uint8_t *)payload, strlen(payload), p);
    snprintf(tok, sizeof(tok), "%s.%s", h, p);
    uint8_t sig[1024];
    size_t sl = 0;
    if (hmac) {
        unsigned ml = 0;
        HMAC(md_of(alg), hmac, (int)strlen(hmac), (uint8_t *)tok, strlen(tok), sig, &ml);
        sl = ml;
    } else if (pkey) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t der[1024];
        size_t dl = sizeof(der);
        assert_int_equal(EVP_DigestSignInit(ctx, NULL, md_of(alg), NULL, pkey), 1);
        assert_int_equal(EVP_DigestSign(ctx, der, &dl, (uint8_t *)tok, strlen(tok)), 1);
        EVP_MD_CTX_free(ctx);
        if (alg[0] == 'E') { /* DER -> raw r||s */
            const uint8_t *q = der;
            ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)dl);
            int half = (EVP_PKEY_get_bits(pkey) + 7) / 8;
            BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, half);
            BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + half, half);
            sl = (size_t)half * 2;
            ECDSA_SIG_free(es);
        } else {
            memcpy(sig, der, dl);
            sl = dl;
        }
    }
    b64url(sig, sl, s);
    strcat(tok, ".");
    strcat(tok, s);
    return tok;
}

static char *pubkey_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, k);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)n);
    BIO_free(b);
    return out;
}

struct keys {
    EVP_PKEY *rsa, *ec256, *ec384, *ec521;
    char *rsa_pem, *ec256_pem, *ec384_pem, *ec521_pem;
};
static struct keys K;

static int setup(void **state)
{
    K.rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    K.ec256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    K.ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    K.ec521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    if (!K.rsa || !K.ec256 || !K.ec384 || !K.ec521)
        return -1;
    K.rsa_pem = pubkey_pem(K.rsa);
    K.ec256_pem = pubkey_pem(K.ec256);
    K.ec384_pem = pubkey_pem(K.ec384);
    K.ec521_pem = pubkey_pem(K.ec521);
    return 0;
}

static int teardown(void **state)
{
    EVP_PKEY_free(K.rsa);
    EVP_PKEY_free(K.ec256);
    EVP_PKEY_free(K.ec384);
    EVP_PKEY_free(K.ec521);
    free(K.rsa_pem);
    free(K.ec256_pem);
    free(K.ec384_pem);
    free(K.ec521_pem);
    return 0;
}

static struct jwt_verifier *verifier(const struct jwt_settings *s)
{
    char err[256] = "";
    struct jwt_verifier *v = jwt_verifier_new(s, err, sizeof(err));
    if (!v)
        fail_msg("verifier: %s", err);
    return v;
}

static enum auth_result conn(struct jwt_verifier *v, const char *tok, struct auth_claims *c)
{
    return auth_verify_connection(v, (const uint8_t *)tok, strlen(tok), NOW, c);
}

static void expect(struct jwt_verifier *v, const char *tok, enum auth_result want)
{
    struct auth_claims c;
    enum auth_result r = conn(v, tok, &c);
    assert_int_equal(r, want);
    if (r == AUTH_OK)
        auth_claims_free(&c);
}

static void test_hs_claims(void **state)
{
    struct jwt_verifier *v = verifier(&(struct jwt_settings){.hmac_secret = "secret"});
    struct auth_claims c;
    assert_int_equal(conn(v, mint("HS256", "{\"sub\":\"42\",\"exp\":1700000100,\"iat\":1699999999,"
                                           "\"info\":{\"name\": \"Ann\"},\"roles\":[\"host\",\"bot\","
                                           "\"*\",\"wizard\"],\"channels\":[\"chat:a\",\"b\"]}",
                                  "secret", NULL), &c),
                     AUTH_OK);
    assert_string_equal(c.sub, "42");
    assert_int_equal(c.exp, 1700000100);
    assert_string_equal(c.info, "{\"name\":\"Ann\"}");
    assert_int_equal(c.roles, ROLE_HOST | ROLE_BOT); /* "*" and unknown names grant nothing */
    assert_int_equal(c.nchannels, 2);
    assert_string_equal(c.channels[1], "b");
    auth_claims_free(&c);
    assert_int_equal(conn(v, mint("HS512", "{}", "secret", NULL), &c), AUTH_OK); /* anonymous */
    assert_string_equal(c.sub, "");
    assert_int_equal(c.exp, 0);
    assert_null(c.info);
    auth_claims_free(&c);
    expect(v, mint("HS384", "{\"sub\":\"1\"}", "secret", NULL), AUTH_OK);
    jwt_verifier_free(v);
}

static void test_hs_refused(void **state)
{
    struct jwt_verifier *v = verifier(&(struct jwt_settings){.hmac_secret = "secret"});
    expect(v, mint("HS256", "{\"sub\":\"1\"}", "wrong", NULL), AUTH_INVALID);
    expect(v, mint("none", "{\"sub\":\"1\"}", NULL, NULL), AUTH_INVALID);
    expect(v, mint("none", "{\"sub\":\"1\"}", "secret", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "{\"sub\":\"1\",\"channel\":\"x\"}", "secret", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "{\"sub\":1}", "secret", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "[1]", "secret", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "{\"sub\":\"1\",\"exp\":\"soon\"}", "secret", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "{\"sub\":\"1\",\"iat\":\"then\"}", "secret", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "{\"roles\":\"admin\"}", "secret", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "{\"roles\":[1]}", "secret", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "{\"channels\":[\"a\",2]}", "secret", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "{\"sub\":\"1\",\"exp\":1600000000}", "secret", NULL), AUTH_EXPIRED);
    expect(v, mint("HS256", "{\"sub\":\"1\",\"nbf\":1800000000}", "secret", NULL), AUTH_EXPIRED);
    /* date claims outside [0, year 9999] are malformed, not clamped: no
     * caller may ever see an exp whose milliseconds overflow int64 */
    const char *bad_dates[] = {
        "{\"exp\":1000000000000000000}", "{\"exp\":9223372036854775807}",
        "{\"exp\":1e18}", "{\"exp\":1.7976931348623157e308}", "{\"exp\":253402300800}",
        "{\"exp\":-1}", "{\"exp\":-9223372036854775807}", "{\"exp\":-1e300}",
        "{\"nbf\":-5}", "{\"nbf\":1e300}", "{\"iat\":1e19}", "{\"iat\":-1}",
        "{\"iat\":99999999999999999999}"};
    for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++)
        expect(v, mint("HS256", bad_dates[i], "secret", NULL), AUTH_INVALID);
    struct auth_claims c;
    assert_int_equal(conn(v, mint("HS256", "{\"exp\":253402300799,\"iat\":0,\"nbf\":0}",
                                  "secret", NULL), &c), AUTH_OK); /* the last valid second */
    assert_int_equal(c.exp, AUTH_MAX_DATE);
    auth_claims_free(&c);
    assert_int_equal(conn(v, mint("HS256", "{\"exp\":1700000100.9}", "secret", NULL), &c), AUTH_OK);
    assert_int_equal(c.exp, 1700000100);
    auth_claims_free(&c);
    expect(v, mint("HS256", "{\"exp\":0}", "secret", NULL), AUTH_EXPIRED);
    assert_int_equal(auth_ttl(AUTH_MAX_DATE, 0), UINT32_MAX);
    assert_int_equal(auth_ttl(NOW, NOW), 1);
    assert_int_equal(auth_ttl(NOW + 30, NOW), 30);
    /* RS/ES tokens with no such key configured */
    expect(v, mint("RS256", "{\"sub\":\"1\"}", NULL, K.rsa), AUTH_INVALID);
    expect(v, mint("ES256", "{\"sub\":\"1\"}", NULL, K.ec256), AUTH_INVALID);
    /* tampered payload with the original signature */
    char t[8192];
    strcpy(t, mint("HS256", "{\"sub\":\"1\"}", "secret", NULL));
    strchr(t, '.')[2] ^= 1;
    expect(v, t, AUTH_INVALID);
    const char *garbage[] = {"", ".", "..", "a.b.c", "abc", "....", "e30.e30.", "e30.e30",
                             "e30.e30.e30.e30"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
        expect(v, garbage[i], AUTH_INVALID);
    jwt_verifier_free(v);
    /* no keys at all: nothing verifies */
    v = verifier(&(struct jwt_settings){0});
    expect(v, mint("HS256", "{\"sub\":\"1\"}", "secret", NULL), AUTH_INVALID);
    jwt_verifier_free(v);
}

static void test_rs_es(void **state)
{
    struct jwt_verifier *v = verifier(&(struct jwt_settings){
        .rsa_public_key = K.rsa_pem, .ecdsa_public_key = K.ec256_pem});
    expect(v, mint("RS256", "{\"sub\":\"1\"}", NULL, K.rsa), AUTH_OK);
    expect(v, mint("RS384", "{\"sub\":\"1\"}", NULL, K.rsa), AUTH_OK);
    expect(v, mint("RS512", "{\"sub\":\"1\"}", NULL, K.rsa), AUTH_OK);
    expect(v, mint("ES256", "{\"sub\":\"1\"}", NULL, K.ec256), AUTH_OK);
    expect(v, mint("ES256", "{\"sub\":\"1\",\"exp\":1}", NULL, K.ec256), AUTH_EXPIRED);
    /* ES384 needs a P-384 key; a P-256 key cannot verify it */
    expect(v, mint("ES384", "{\"sub\":\"1\"}", NULL, K.ec384), AUTH_INVALID);
    /* another RSA key's signature */
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    expect(v, mint("RS256", "{\"sub\":\"1\"}", NULL, other), AUTH_INVALID);
    EVP_PKEY_free(other);
    /* key confusion: HMAC "signed" with the public key text must not verify */
    expect(v, mint("HS256", "{\"sub\":\"1\"}", K.rsa_pem, NULL), AUTH_INVALID);
    /* an RS token sent as ES and the other way round */
    char t[8192];
    strcpy(t, mint("RS256", "{\"sub\":\"1\"}", NULL, K.rsa));
    char h[128];
    b64url((const uint8_t *)"{\"alg\":\"ES256\",\"typ\":\"JWT\"}", 27, h);
    char swapped[8192];
    snprintf(swapped, sizeof(swapped), "%s%s", h, strchr(t, '.'));
    expect(v, swapped, AUTH_INVALID);
    jwt_verifier_free(v);

    v = verifier(&(struct jwt_settings){.ecdsa_public_key = K.ec384_pem});
    expect(v, mint("ES384", "{\"sub\":\"1\"}", NULL, K.ec384), AUTH_OK);
    jwt_verifier_free(v);
    v = verifier(&(struct jwt_settings){.ecdsa_public_key = K.ec521_pem});
    expect(v, mint("ES512", "{\"sub\":\"1\"}", NULL, K.ec521), AUTH_OK);
    jwt_verifier_free(v);
}

static void test_pin_aud_iss(void **state)
{
    struct jwt_verifier *v = verifier(&(struct jwt_settings){
        .hmac_secret = "secret", .rsa_public_key = K.rsa_pem, .algorithm = "RS256"});
    expect(v, mint("RS256", "{\"sub\":\"1\"}", NULL, K.rsa), AUTH_OK);
    expect(v, mint("RS512", "{\"sub\":\"1\"}", NULL, K.rsa), AUTH_INVALID);
    expect(v, mint("HS256", "{\"sub\":\"1\"}", "secret", NULL), AUTH_INVALID);
    jwt_verifier_free(v);

    v = verifier(&(struct jwt_settings){.hmac_secret = "s", .audience = "hearth",
                                        .issuer = "https://auth.example"});
    expect(v, mint("HS256", "{\"aud\":\"hearth\",\"iss\":\"https://auth.example\"}", "s", NULL),
           AUTH_OK);
    expect(v, mint("HS256", "{\"aud\":[\"x\",\"hearth\"],\"iss\":\"https://auth.example\"}", "s",
                   NULL), AUTH_OK);
    expect(v, mint("HS256", "{\"aud\":\"other\",\"iss\":\"https://auth.example\"}", "s", NULL),
           AUTH_INVALID);
    expect(v, mint("HS256", "{\"iss\":\"https://auth.example\"}", "s", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "{\"aud\":\"hearth\",\"iss\":\"evil\"}", "s", NULL), AUTH_INVALID);
    expect(v, mint("HS256", "{\"aud\":\"hearth\"}", "s", NULL), AUTH_INVALID);
    jwt_verifier_free(v);

    /* configuration errors */
    char err[256];
    struct jwt_settings bad[] = {
        {.algorithm = "RS256"},                                   /* pin without key */
        {.hmac_secret = "s", .algorithm = "none"},
        {.hmac_secret = "s", .algorithm = "HS1024"},
        {.rsa_public_key = "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"},
        {.rsa_public_key = "/nonexistent/key.pem"},
        {.rsa_public_key = K.ec256_pem},                          /* wrong key type */
        {.ecdsa_public_key = K.rsa_pem},
        {.ecdsa_public_key = K.ec256_pem, .algorithm = "ES512"},  /* wrong curve */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_null(jwt_verifier_new(&bad[i], err, sizeof(err)));
        assert_true(err[0] != 0);
    }
}

static void test_subscription(void **state)
{
    struct jwt_verifier *v = verifier(&(struct jwt_settings){.hmac_secret = "secret"});
    struct auth_claims c;
    const char *t = mint("HS256", "{\"sub\":\"42\",\"channel\":\"$vip:room\",\"client\":\"abc\","
                                  "\"exp\":1700000500,\"info\":{\"seat\":3}}", "secret", NULL);
    assert_int_equal(auth_verify_subscription(v, (const uint8_t *)t, strlen(t), NOW, &c), AUTH_OK);
    assert_string_equal(c.channel, "$vip:room");
    assert_string_equal(c.sub, "42");
    assert_string_equal(c.client, "abc");
    assert_string_equal(c.info, "{\"seat\":3}");
    assert_int_equal(c.exp, 1700000500);
    auth_claims_free(&c);
    /* no channel: not a subscription token; a connection token is refused too */
    const char *bad[] = {
        mint("HS256", "{\"sub\":\"42\"}", "secret", NULL),
        mint("HS256", "{\"sub\":\"42\",\"channel\":\"\"}", "secret", NULL),
        mint("HS256", "{\"sub\":\"42\",\"channel\":5}", "secret", NULL),
        mint("HS256", "{\"sub\":\"42\",\"channel\":\"a\",\"client\":5}", "secret", NULL),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char copy[8192];
        strcpy(copy, bad[i]);
        assert_int_equal(auth_verify_subscription(v, (const uint8_t *)copy, strlen(copy), NOW, &c),
                         AUTH_INVALID);
    }
    t = mint("HS256", "{\"channel\":\"a\",\"exp\":5}", "secret", NULL);
    assert_int_equal(auth_verify_subscription(v, (const uint8_t *)t, strlen(t), NOW, &c),
                     AUTH_EXPIRED);
    jwt_verifier_free(v);
}

static void test_access(void **state)
{
    assert_int_equal(access_role_bit("moderator"), ROLE_MODERATOR);
    assert_int_equal(access_role_bit("nobody"), 0);
    assert_int_equal(access_op_from_name("history"), ACCESS_HISTORY);
    assert_int_equal(access_op_from_name("delete"), -1);
    uint32_t hosts = ROLE_HOST | ROLE_BOT;
    assert_true(access_allows(hosts, access_subject(ROLE_HOST, false)));
    assert_false(access_allows(hosts, access_subject(ROLE_MEMBER, false)));
    assert_false(access_allows(hosts, access_subject(0, true)));
    assert_true(access_allows(hosts, access_subject(ROLE_ADMIN, false))); /* admin passes */
    assert_true(access_allows(ROLE_USER, access_subject(0, false)));
    assert_false(access_allows(ROLE_USER, access_subject(0, true)));
    assert_true(access_allows(ROLE_ANONYMOUS, access_subject(0, true)));
    assert_true(access_allows(ROLE_EVERYONE, access_subject(0, true)));
    assert_false(access_allows(0, access_subject(ROLE_HOST | ROLE_MEMBER, false)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hs_claims), cmocka_unit_test(test_hs_refused),
        cmocka_unit_test(test_rs_es), cmocka_unit_test(test_pin_aud_iss),
        cmocka_unit_test(test_subscription), cmocka_unit_test(test_access),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
