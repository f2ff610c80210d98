/* config/access.c — role and operation names for access.h. */
#include "config/access.h"

#include <string.h>

static const struct { const char *name; uint32_t bit; } roles[] = {
    {"member", ROLE_MEMBER}, {"host", ROLE_HOST}, {"moderator", ROLE_MODERATOR},
    {"bot", ROLE_BOT}, {"admin", ROLE_ADMIN}, {"anonymous", ROLE_ANONYMOUS},
    {"user", ROLE_USER}, {"*", ROLE_EVERYONE},
};

static const char *const ops[ACCESS_OP_COUNT] = {"subscribe", "publish", "presence", "history"};

uint32_t access_role_bit(const char *name)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (!strcmp(roles[i].name, name))
            return roles[i].bit;
    return 0;
}

uint32_t access_token_role(const char *name)
{
    uint32_t b = access_role_bit(name);
    return (b & ROLE_REAL) && !(b & (b - 1)) ? b : 0; /* exactly one real role */
}

int access_op_from_name(const char *name)
{
    for (int i = 0; i < ACCESS_OP_COUNT; i++)
        if (!strcmp(ops[i], name))
            return i;
    return -1;
}

const char *access_op_name(enum access_op op) { return ops[op]; }
