/* config/access.h — who may do what: the roles a connection token grants
 * and the per-namespace permission rules that use them (subscribe, publish,
 * presence, history). The community layer (moderation, rituals) builds on
 * these names, so they are kept here in one small module.
 *
 * Roles come from the connection token's "roles" claim (an array of
 * strings; names not listed below are ignored). A namespace rule is a set
 * of roles plus two pseudo-roles: "anonymous" (a connection without a user
 * id) and "user" (any connection with a user id); "*" means everybody.
 * "admin" passes every rule. A namespace without a rule for an operation
 * uses the defaults in access.c. Pure functions, no state. */
#ifndef HEARTH_ACCESS_H
#define HEARTH_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

enum role {
    ROLE_MEMBER = 1u << 0,
    ROLE_HOST = 1u << 1,
    ROLE_MODERATOR = 1u << 2,
    ROLE_BOT = 1u << 3,
    ROLE_ADMIN = 1u << 4,
    /* pseudo-roles, only in rules */
    ROLE_ANONYMOUS = 1u << 29,
    ROLE_USER = 1u << 30,
};
#define ROLE_REAL (ROLE_MEMBER | ROLE_HOST | ROLE_MODERATOR | ROLE_BOT | ROLE_ADMIN)
#define ROLE_EVERYONE (ROLE_MEMBER | ROLE_HOST | ROLE_MODERATOR | ROLE_BOT | ROLE_ADMIN | \
                       ROLE_ANONYMOUS | ROLE_USER)

enum access_op { ACCESS_SUBSCRIBE, ACCESS_PUBLISH, ACCESS_PRESENCE, ACCESS_HISTORY, ACCESS_OP_COUNT };

/* Role bit for a name ("member", ..., "anonymous", "user", "*" = all), 0 if
 * unknown. */
uint32_t access_role_bit(const char *name);
/* Role bit for a name a token may carry (member, host, moderator, bot,
 * admin); 0 for anything else, pseudo-roles and "*" included. */
uint32_t access_token_role(const char *name);
/* Names of ops as used in config ("subscribe", "publish", "presence",
 * "history"); -1 if unknown. */
int access_op_from_name(const char *name);
const char *access_op_name(enum access_op op);

/* The bits a connection carries into rule checks: its token roles plus
 * ROLE_USER or ROLE_ANONYMOUS. */
static inline uint32_t access_subject(uint32_t token_roles, bool anonymous)
{
    return token_roles | (anonymous ? ROLE_ANONYMOUS : ROLE_USER);
}

/* rule: the namespace's rule bits for the op (0 = nobody unless admin). */
static inline bool access_allows(uint32_t rule, uint32_t subject)
{
    return (rule & subject) != 0 || (subject & ROLE_ADMIN) != 0;
}

#endif
