/* community/stats.h — the numbers hosts and community managers read
 * (docs/rituals.md, "Numbers"): stats.event {id, occurrence?} for the
 * event's hosts, admins and the API — attendance (concurrent, peak and when,
 * distinct attendees, first-time and returning, retention against the
 * previous occurrence), chat (messages, per minute of the live part,
 * distinct chatters), live reactions (total and the per-second energy
 * timeline), polls with their results and the latest NPS, Q&A (asked,
 * answered) and the occurrence's state timeline. Live during the
 * occurrence, kept afterwards: every figure is a store counter the other
 * modules keep as things happen. No state of its own. */
#ifndef HEARTH_STATS_H
#define HEARTH_STATS_H

struct node;

/* Registers the methods. 0 or -1. */
int stats_init(struct node *node);

#endif
