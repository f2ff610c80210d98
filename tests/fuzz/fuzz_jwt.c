/* tests/fuzz/fuzz_jwt.c — libFuzzer target: arbitrary tokens through the
 * connection-token verifier (parsing, base64url, claims). */
#include <stdint.h>
#include <stdlib.h>

#include "auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct auth_claims c;
    if (auth_verify_hs256(data, size, "secret", 1700000000, &c) == AUTH_OK)
        auth_claims_free(&c);
    return 0;
}
