/* protocol/errors.c — the words for each protocol code (see errors.h). */
#include "protocol/errors.h"

#include <errno.h>
#include <stddef.h>

static const struct {
    uint32_t code;
    const char *message;
} table[] = {
    {ERR_INTERNAL, "internal server error"},
    {ERR_UNAUTHORIZED, "unauthorized"},
    {ERR_UNKNOWN_CHANNEL, "unknown channel"},
    {ERR_PERMISSION_DENIED, "permission denied"},
    {ERR_METHOD_NOT_FOUND, "method not found"},
    {ERR_ALREADY_SUBSCRIBED, "already subscribed"},
    {ERR_LIMIT_EXCEEDED, "limit exceeded"},
    {ERR_BAD_REQUEST, "bad request"},
    {ERR_NOT_AVAILABLE, "not available"},
    {ERR_TOKEN_EXPIRED, "token expired"},
    {ERR_EXPIRED, "expired"},
    {ERR_TOO_MANY_REQUESTS, "too many requests"},
    {ERR_UNRECOVERABLE_POSITION, "unrecoverable position"},
    {ERR_HELD_FOR_REVIEW, "held for review"},
    {UNSUB_INSUFFICIENT_STATE, "insufficient state"},
    {UNSUB_EXPIRED, "subscription expired"},
    {UNSUB_KICKED, "kicked"},
    {UNSUB_BANNED, "banned"},
    {DISC_SHUTDOWN, "shutdown"},
    {DISC_INTERNAL, "internal server error"},
    {DISC_EXPIRED, "connection expired"},
    {DISC_SUB_EXPIRED, "subscription expired"},
    {DISC_SLOW, "slow"},
    {DISC_WRITE_ERROR, "write error"},
    {DISC_INSUFFICIENT_STATE, "insufficient state"},
    {DISC_NO_PONG, "no pong"},
    {DISC_TOO_MANY_REQUESTS, "too many requests"},
    {DISC_INVALID_TOKEN, "invalid token"},
    {DISC_BAD_REQUEST, "bad request"},
    {DISC_STALE, "stale"},
    {DISC_FORCE_NO_RECONNECT, "force disconnect"},
    {DISC_CHANNEL_LIMIT, "channel limit"},
    {DISC_NOT_AVAILABLE, "not available"},
    {DISC_BANNED, "banned"},
    {WS_MESSAGE_TOO_BIG, "message too big"},
    {WS_INTERNAL, "internal server error"},
};

const char *proto_error_message(uint32_t code)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].code == code)
            return table[i].message;
    return "error";
}

uint32_t proto_error_from_errno(int err)
{
    switch (err) {
    case -ESTALE:
        return ERR_UNRECOVERABLE_POSITION;
    case -E2BIG:
        return ERR_LIMIT_EXCEEDED;
    default:
        return ERR_INTERNAL;
    }
}
