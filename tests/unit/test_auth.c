/* tests/unit/test_auth.c — connection JWT verification: good HS256 tokens
 * and every way a token must be refused (wrong key, alg none, other algs,
 * tampered payload, expired, not yet valid, channel claim, garbage). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"

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

/* Builds header.payload.signature signed with key (HS256 HMAC over the
 * first two parts, whatever the header claims). */
static char *mint(const char *header, const char *payload, const char *key)
{
    static char tok[4096];
    char h[1024], p[2048], s[128];
    b64url((const uint8_t *)header, strlen(header), h);
    b64url((const uint8_t *)payload, strlen(payload), p);
    snprintf(tok, sizeof(tok), "%s.%s", h, p);
    uint8_t mac[64];
    unsigned ml = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (uint8_t *)tok, strlen(tok), mac, &ml);
    b64url(mac, ml, s);
    strcat(tok, ".");
    strcat(tok, s);
    return tok;
}

#define HS "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define NOW 1700000000

static enum auth_result verify(const char *tok, struct auth_claims *c)
{
    return auth_verify_hs256((const uint8_t *)tok, strlen(tok), "secret", NOW, c);
}

static void test_valid(void **state)
{
    struct auth_claims c;
    char *t = mint(HS, "{\"sub\":\"42\",\"exp\":1700000100,\"info\":{\"name\": \"Ann\"}}", "secret");
    assert_int_equal(verify(t, &c), AUTH_OK);
    assert_string_equal(c.sub, "42");
    assert_int_equal(c.exp, 1700000100);
    assert_string_equal(c.info, "{\"name\":\"Ann\"}");
    auth_claims_free(&c);
    t = mint(HS, "{}", "secret"); /* no sub: anonymous, no expiry */
    assert_int_equal(verify(t, &c), AUTH_OK);
    assert_string_equal(c.sub, "");
    assert_int_equal(c.exp, 0);
    assert_null(c.info);
    auth_claims_free(&c);
}

static void test_refused(void **state)
{
    struct auth_claims c;
    assert_int_equal(verify(mint(HS, "{\"sub\":\"1\"}", "wrong"), &c), AUTH_INVALID);
    assert_int_equal(verify(mint("{\"alg\":\"none\"}", "{\"sub\":\"1\"}", "secret"), &c), AUTH_INVALID);
    assert_int_equal(verify(mint("{\"alg\":\"HS512\"}", "{\"sub\":\"1\"}", "secret"), &c), AUTH_INVALID);
    assert_int_equal(verify(mint("{\"alg\":\"RS256\"}", "{\"sub\":\"1\"}", "secret"), &c), AUTH_INVALID);
    assert_int_equal(verify(mint(HS, "{\"sub\":\"1\",\"channel\":\"x\"}", "secret"), &c), AUTH_INVALID);
    assert_int_equal(verify(mint(HS, "{\"sub\":1}", "secret"), &c), AUTH_INVALID);
    assert_int_equal(verify(mint(HS, "[1]", "secret"), &c), AUTH_INVALID);
    assert_int_equal(verify(mint(HS, "{\"sub\":\"1\",\"exp\":\"soon\"}", "secret"), &c), AUTH_INVALID);
    assert_int_equal(verify(mint(HS, "{\"sub\":\"1\",\"exp\":1600000000}", "secret"), &c), AUTH_EXPIRED);
    assert_int_equal(verify(mint(HS, "{\"sub\":\"1\",\"nbf\":1800000000}", "secret"), &c), AUTH_EXPIRED);
    /* tampered payload with the original signature */
    char t[4096];
    strcpy(t, mint(HS, "{\"sub\":\"1\"}", "secret"));
    char *dot = strchr(t, '.');
    dot[2] ^= 1;
    assert_int_equal(verify(t, &c), AUTH_INVALID);
    const char *garbage[] = {"", ".", "..", "a.b.c", "abc", "....", "e30.e30.", "e30.e30"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
        assert_int_equal(verify(garbage[i], &c), AUTH_INVALID);
    /* no secret configured: nothing verifies */
    const char *ok = mint(HS, "{\"sub\":\"1\"}", "secret");
    assert_int_equal(auth_verify_hs256((const uint8_t *)ok, strlen(ok), NULL, NOW, &c), AUTH_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
