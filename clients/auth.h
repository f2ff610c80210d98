/* clients/auth.h — connection token (JWT) verification. Today: HS256 with the
 * configured secret; the algorithm is pinned (alg "none" and every other alg
 * are refused). Claims: sub (user id), exp, nbf, info (raw JSON ->
 * conn_info). A token carrying a "channel" claim is refused as Centrifugo
 * does (that is a subscription token). */
#ifndef HEARTH_AUTH_H
#define HEARTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum auth_result {
    AUTH_OK = 0,
    AUTH_INVALID = -1,   /* bad format, signature, alg or claims: disconnect 3500 */
    AUTH_EXPIRED = -2,   /* exp passed or nbf in the future: error 109 */
};

struct auth_claims {
    char *sub;           /* owned, never NULL after AUTH_OK ("" = anonymous) */
    char *info;          /* owned compact JSON text, or NULL */
    size_t info_len;
    int64_t exp;         /* unix seconds, 0 = no expiry */
};

/* Verifies token (len bytes, not NUL-terminated) at time now (unix s).
 * On AUTH_OK fills *out (free with auth_claims_free). */
enum auth_result auth_verify_hs256(const uint8_t *token, size_t len, const char *secret,
                                   int64_t now, struct auth_claims *out);
void auth_claims_free(struct auth_claims *c);

#endif
