/* community/community.c — community.h: builds the modules in hook order and
 * frees them in reverse. Owns each module object. */
#include "community/community.h"

#include <string.h>

int community_init(struct community *c, struct node *node)
{
    memset(c, 0, sizeof(*c));
    c->node = node;
    /* Modules register here, in hook order (community.h). */
    return 0;
}

void community_free(struct community *c)
{
    memset(c, 0, sizeof(*c));
}
