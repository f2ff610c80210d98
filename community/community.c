/* community/community.c — community.h: builds the modules in hook order and
 * frees them in reverse. Owns each module object. */
#include "community/community.h"

#include <string.h>

#include "community/activity.h"
#include "community/attendance.h"
#include "community/chat.h"
#include "community/event_policy.h"
#include "community/events.h"
#include "community/live_react.h"
#include "community/members_stats.h"
#include "community/moderation.h"
#include "community/polls.h"
#include "community/qa.h"
#include "community/stage.h"
#include "community/stats.h"
#include "util/log.h"

int community_init(struct community *c, struct node *node)
{
    memset(c, 0, sizeof(*c));
    c->node = node;
    /* Modules register here, in hook order (community.h): chat first (the
     * canonical message), moderation next (mutes, bans, slow mode, filters
     * see the canonical form), the rituals after them; activity last, so it
     * counts only what every other hook let through. */
    if (!(c->chat = chat_new(node)) || !(c->mod = moderation_new(node)))
        return -1;
    chat_set_moderation(c->chat, c->mod);
    if (!(c->events = events_new(node)) || !(c->polls = polls_new(node)) ||
        !(c->react = live_react_new(node, c->mod)) || !(c->mstats = members_stats_new(node)) ||
        attendance_init(node) != 0 || qa_init(node, c->mod) != 0 ||
        stage_init(node) != 0 || stats_init(node) != 0 || !(c->activity = activity_new(node))) {
        log_emit(LOG_ERROR, "community", "the rituals modules could not start");
        return -1;
    }
    /* an event's state sets its rooms' slow mode; moderation enforces it */
    moderation_set_slow_source(c->mod, event_policy_slow, c->events->policy);
    return 0;
}

void community_stop(struct community *c)
{
    chat_stop(c->chat);
    moderation_stop(c->mod);
    events_stop(c->events);
    polls_stop(c->polls);
    live_react_stop(c->react);
    activity_stop(c->activity);
}

void community_free(struct community *c)
{
    chat_free(c->chat);
    moderation_free(c->mod);
    events_free(c->events);
    polls_free(c->polls);
    live_react_free(c->react);
    members_stats_free(c->mstats);
    activity_free(c->activity);
    memset(c, 0, sizeof(*c));
}
