/* protocol/errors.h — the one table of protocol codes hearth answers with and
 * the words that go with them: reply error codes (100..), unsubscribe push
 * codes (2000..2999) and disconnect codes (3000..4999; WebSocket 1009/1011),
 * following the Centrifuge v2 numbering the official SDKs act on (a code in
 * 3500..3999 or 2000..2499 is terminal for the SDK: it does not reconnect or
 * resubscribe by itself). Every reply, push and close takes its code from
 * here and, unless it says something more specific, its message from
 * proto_error_message(). Pure data, no state.
 *
 * Error convention (docs/design.md, "Errors"): functions that can fail
 * return 0 or a negative errno value; a protocol code is never a return
 * value. It is chosen where a caller is answered (proto_error_from_errno()
 * for the common mappings), or carried in an outcome struct by the layers
 * whose result *is* an answer (the gate, method handlers). */
#ifndef HEARTH_ERRORS_H
#define HEARTH_ERRORS_H

#include <stdint.h>

enum proto_error {
    /* reply errors */
    ERR_INTERNAL = 100,             /* "internal server error" (temporary for the SDK) */
    ERR_UNAUTHORIZED = 101,
    ERR_UNKNOWN_CHANNEL = 102,
    ERR_PERMISSION_DENIED = 103,
    ERR_METHOD_NOT_FOUND = 104,
    ERR_ALREADY_SUBSCRIBED = 105,
    ERR_LIMIT_EXCEEDED = 106,
    ERR_BAD_REQUEST = 107,
    ERR_NOT_AVAILABLE = 108,
    ERR_TOKEN_EXPIRED = 109,
    ERR_EXPIRED = 110,
    ERR_TOO_MANY_REQUESTS = 111,
    ERR_UNRECOVERABLE_POSITION = 112,
    ERR_HELD_FOR_REVIEW = 1001,     /* community: a message held by a filter */

    /* unsubscribe push codes */
    UNSUB_KICKED = 2010,             /* community: mod.kick (terminal: no resubscribe) */
    UNSUB_BANNED = 2011,             /* community: a room ban (terminal) */
    UNSUB_INSUFFICIENT_STATE = 2500, /* resubscribe and recover */
    UNSUB_EXPIRED = 2501,            /* subscription token expired: resubscribe with a new one */

    /* disconnect codes */
    DISC_SHUTDOWN = 3001,
    DISC_INTERNAL = 3004,
    DISC_EXPIRED = 3005,             /* connection token expired */
    DISC_SUB_EXPIRED = 3006,
    DISC_SLOW = 3008,                /* outbound queue over client_queue_max_size */
    DISC_WRITE_ERROR = 3009,
    DISC_INSUFFICIENT_STATE = 3010,
    DISC_NO_PONG = 3012,
    DISC_TOO_MANY_REQUESTS = 3013,
    DISC_INVALID_TOKEN = 3500,
    DISC_BAD_REQUEST = 3501,
    DISC_STALE = 3502,
    DISC_FORCE_NO_RECONNECT = 3503,  /* API disconnect default */
    DISC_CHANNEL_LIMIT = 3505,
    DISC_NOT_AVAILABLE = 3508,
    DISC_BANNED = 3510,              /* community: a community ban (terminal: no reconnect) */

    /* WebSocket close codes used directly */
    WS_MESSAGE_TOO_BIG = 1009,
    WS_INTERNAL = 1011,
};

/* The standard words for code ("internal server error", "slow", ...);
 * "error" for a code not in the table. Never NULL. */
const char *proto_error_message(uint32_t code);

/* The reply error for a failed operation's negative errno: -ESTALE → 112,
 * -E2BIG → 106, everything else (-EAGAIN backend away, -ENOMEM, ...) → 100,
 * which the SDK retries. */
uint32_t proto_error_from_errno(int err);

#endif
