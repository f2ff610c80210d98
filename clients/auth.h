/* clients/auth.h — what connection and subscription tokens (JWTs) mean:
 * signature and algorithm checks are jwt.c's; here are the claims
 * (digest §8).
 *
 * Connection token: sub (user id, "" = anonymous), exp, nbf, iat, info (raw
 * JSON -> conn_info), roles (see access.h), channels (server-side
 * subscriptions made at connect). A "channel" claim makes it invalid (that
 * is a subscription token).
 * Subscription token: channel (required), sub (must be the connection's
 * user), client (optional, must be the connection's id), exp, nbf, info
 * (raw JSON -> chan_info).
 * aud/iss are checked by the verifier when configured. */
#ifndef HEARTH_AUTH_H
#define HEARTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/jwt.h"

enum auth_result {
    AUTH_OK = 0,
    AUTH_INVALID = -1,   /* bad format, signature, alg or claims */
    AUTH_EXPIRED = -2,   /* exp passed or nbf in the future: error 109 */
};

#define AUTH_MAX_CHANNELS 1024 /* server-side subscriptions one token may list */

/* The latest date claim (exp, nbf, iat) a token may carry, in unix seconds:
 * 9999-12-31T23:59:59Z. A date claim outside [0, AUTH_MAX_DATE] is malformed
 * and the token AUTH_INVALID (not clamped: an issuer that mints year-300000
 * expiries is broken, and a token the server cannot represent is refused).
 * The bound keeps exp * 1000 (milliseconds) far inside int64_t. */
#define AUTH_MAX_DATE INT64_C(253402300799)

/* Seconds from now_s until exp_s as a protocol ttl (uint32): at least 1 (an
 * expiry this second is still announced) and at most UINT32_MAX. */
static inline uint32_t auth_ttl(int64_t exp_s, int64_t now_s)
{
    int64_t left = exp_s - now_s;
    if (left < 1)
        return 1;
    return left > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

struct auth_claims {
    char *sub;           /* owned, never NULL after AUTH_OK ("" = anonymous) */
    char *info;          /* owned compact JSON text, or NULL */
    size_t info_len;
    int64_t exp;         /* unix seconds in (now, AUTH_MAX_DATE], 0 = no expiry */
    uint32_t roles;      /* connection: ROLE_* bits (real roles only) */
    char **channels;     /* connection: owned array of owned strings */
    uint32_t nchannels;
    char *channel;       /* subscription: owned */
    char *client;        /* subscription: owned, NULL = any client of the user */
};

/* Verify token (len bytes, not NUL-terminated) at time now (unix s). On
 * AUTH_OK fills *out (free with auth_claims_free); otherwise *out is empty. */
enum auth_result auth_verify_connection(const struct jwt_verifier *v, const uint8_t *token,
                                        size_t len, int64_t now, struct auth_claims *out);
enum auth_result auth_verify_subscription(const struct jwt_verifier *v, const uint8_t *token,
                                          size_t len, int64_t now, struct auth_claims *out);
void auth_claims_free(struct auth_claims *c);

#endif
