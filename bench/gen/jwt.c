/* bench/gen/jwt.c — connection tokens minted inside hearth-bench: HS256 JWTs
 * (OpenSSL HMAC-SHA256, base64url without padding) whose only claim is
 * "sub", so each generator connection connects as a distinct user. No exp:
 * a bench run never outlives its tokens, and hearthd then asks no refresh. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static size_t b64url(char *out, const unsigned char *in, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63];
    }
    out[o] = 0;
    return o;
}

size_t token_mint(char *out, size_t cap, const char *secret, const char *sub)
{
    char claims[160], body[400];
    int cl = snprintf(claims, sizeof(claims), "{\"sub\":\"%s\"}", sub);
    if (cl <= 0 || (size_t)cl >= sizeof(claims))
        return 0;
    /* {"alg":"HS256","typ":"JWT"} */
    size_t n = (size_t)snprintf(body, sizeof(body), "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.");
    n += b64url(body + n, (const unsigned char *)claims, (size_t)cl);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, n, mac, &maclen))
        return 0;
    if (n + 2 + (maclen * 4 + 2) / 3 >= cap)
        return 0;
    memcpy(out, body, n);
    out[n++] = '.';
    n += b64url(out + n, mac, maclen);
    return n;
}
