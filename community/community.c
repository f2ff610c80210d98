/* community/community.c — community.h: builds the modules in hook order and
 * frees them in reverse. Owns each module object. */
#include "community/community.h"

#include <string.h>

#include "community/activity.h"
#include "community/chat.h"
#include "community/attendance.h"
#include "community/events.h"
#include "community/live_react.h"
#include "community/members_stats.h"
#include "community/polls.h"
#include "community/qa.h"
#include "community/stage.h"
#include "community/stats.h"
#include "util/log.h"

int community_init(struct community *c, struct node *node)
{
    memset(c, 0, sizeof(*c));
    c->node = node;
    /* Modules register here, in hook order (community.h): chat first. */
    c->chat = chat_new(node);
    if (!c->chat)
        return -1;
    if (!(c->events = events_new(node)) || !(c->polls = polls_new(node)) ||
        !(c->react = live_react_new(node)) || !(c->mstats = members_stats_new(node)) ||
        attendance_init(node) != 0 || qa_init(node) != 0 ||
        stage_init(node) != 0 || stats_init(node) != 0 || activity_init(node) != 0) {
        log_emit(LOG_ERROR, "community", "the rituals modules could not start");
        return -1;
    }
    return 0;
}

void community_stop(struct community *c)
{
    chat_stop(c->chat);
    events_stop(c->events);
    polls_stop(c->polls);
    live_react_stop(c->react);
}

void community_free(struct community *c)
{
    chat_free(c->chat);
    events_free(c->events);
    polls_free(c->polls);
    live_react_free(c->react);
    members_stats_free(c->mstats);
    memset(c, 0, sizeof(*c));
}
