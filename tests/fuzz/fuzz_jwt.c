/* tests/fuzz/fuzz_jwt.c — libFuzzer target: arbitrary tokens through the
 * connection- and subscription-token verifiers (parsing, base64url, header,
 * signature dispatch for every alg family, claims). The RSA and EC keys are
 * fixed test keys; forged signatures never verify, so what is reached is the
 * parsing and refusal paths, which is where hostile bytes go. */
#include <stdint.h>
#include <stdlib.h>

#include "clients/auth.h"

static const char rsa_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n"
    "+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh\n"
    "kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ\n"
    "0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg\n"
    "cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc\n"
    "mwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
static const char ec_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9\n"
    "q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==\n"
    "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct jwt_verifier *v;
    if (!v) {
        char err[256];
        struct jwt_settings s = {.hmac_secret = "secret", .rsa_public_key = rsa_pem,
                                 .ecdsa_public_key = ec_pem, .audience = "hearth"};
        v = jwt_verifier_new(&s, err, sizeof(err));
        if (!v)
            abort();
    }
    struct auth_claims c;
    if (auth_verify_connection(v, data, size, 1700000000, &c) == AUTH_OK)
        auth_claims_free(&c);
    if (auth_verify_subscription(v, data, size, 1700000000, &c) == AUTH_OK)
        auth_claims_free(&c);
    return 0;
}
