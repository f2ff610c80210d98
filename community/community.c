/* community/community.c — community.h: builds the modules in hook order and
 * frees them in reverse. Owns each module object. */
#include "community/community.h"

#include <string.h>

#include "community/chat.h"

int community_init(struct community *c, struct node *node)
{
    memset(c, 0, sizeof(*c));
    c->node = node;
    /* Modules register here, in hook order (community.h): chat first. */
    c->chat = chat_new(node);
    if (!c->chat)
        return -1;
    return 0;
}

void community_stop(struct community *c)
{
    chat_stop(c->chat);
}

void community_free(struct community *c)
{
    chat_free(c->chat);
    memset(c, 0, sizeof(*c));
}
