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

#include "jwt.h"

enum auth_result {
    AUTH_OK = 0,
    AUTH_INVALID = -1,   /* bad format, signature, alg or claims */
    AUTH_EXPIRED = -2,   /* exp passed or nbf in the future: error 109 */
};

#define AUTH_MAX_CHANNELS 1024 /* server-side subscriptions one token may list */

struct auth_claims {
    char *sub;           /* owned, never NULL after AUTH_OK ("" = anonymous) */
    char *info;          /* owned compact JSON text, or NULL */
    size_t info_len;
    int64_t exp;         /* unix seconds, 0 = no expiry */
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
