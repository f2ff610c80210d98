/* community/community.c — community.h: builds the modules in hook order and
 * frees them in reverse. Owns each module object. */
#include "community/community.h"

#include <string.h>

#include "community/moderation.h"

int community_init(struct community *c, struct node *node)
{
    memset(c, 0, sizeof(*c));
    c->node = node;
    /* Modules register here, in hook order (community.h). */
    if (!(c->mod = moderation_new(node)))
        return -1;
    return 0;
}

void community_stop(struct community *c)
{
    moderation_stop(c->mod);
}

void community_free(struct community *c)
{
    moderation_free(c->mod);
    memset(c, 0, sizeof(*c));
}
