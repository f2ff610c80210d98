/* community/community.c — community.h: builds the modules in hook order and
 * frees them in reverse. Owns each module object. */
#include "community/community.h"

#include <string.h>

#include "community/events.h"
#include "util/log.h"

int community_init(struct community *c, struct node *node)
{
    memset(c, 0, sizeof(*c));
    c->node = node;
    /* Modules register here, in hook order (community.h). */
    if (!(c->events = events_new(node))) {
        log_emit(LOG_ERROR, "community", "the events module could not start");
        return -1;
    }
    return 0;
}

void community_stop(struct community *c)
{
    events_stop(c->events);
}

void community_free(struct community *c)
{
    events_free(c->events);
    memset(c, 0, sizeof(*c));
}
