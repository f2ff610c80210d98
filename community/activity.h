/* community/activity.h — what members do in chat rooms, counted as it
 * happens for the ritual figures (stats.event): a publish hook on every
 * chat namespace (registered last, so it sees only messages every other
 * hook let through) counts each chat message and each distinct chatter per
 * room. Store records: ACT_CHAT_KIND counters (key channel\x1f"m" messages,
 * \x1f"k" distinct chatters) and ACT_CHATTER_KIND (key channel\x1fuser,
 * NX). A message is a publication whose data is an object with "type":
 * "message" (the chat layer's canonical form), or a client's publication
 * with a "text" member. Namespaces are hooked by name at start: a chat
 * namespace added by a reload is counted after the next restart. Loop
 * thread only; no state of its own. */
#ifndef HEARTH_ACTIVITY_H
#define HEARTH_ACTIVITY_H

struct node;

#define ACT_CHAT_KIND "chat.stat"
#define ACT_CHATTER_KIND "chat.chatter"
#define ACT_TTL_MS (400LL * 24 * 3600 * 1000)

/* 0 or -1 (OOM). */
int activity_init(struct node *node);

#endif
