/* community/community.h — the community layer's one entry point: struct
 * community holds the modules that make hearth a community server (chat
 * messages, reactions, typing, pins; moderation: mutes, bans, kicks, slow
 * mode, filters, the moderation queue, the audit log; later rituals). Each
 * module lives in its own file and plugs into the node's seams only: gate
 * hooks (node/gate.h), method-table entries (node/methods.h), store records
 * (rooms/store.h) and cross-node control verbs (node/control.h). server/
 * creates one struct community after the node is built and frees it before
 * the node goes; nothing in clients/ or server/ knows what a module does.
 *
 * Registration order is hook order: chat (shape and canonical form) runs
 * before moderation (mutes, slow mode, filters), so moderation sees the
 * canonical message. Loop thread only; no globals. */
#ifndef HEARTH_COMMUNITY_H
#define HEARTH_COMMUNITY_H

struct node;
struct chat;
struct moderation;
struct events;
struct polls;
struct live_react;
struct members_stats;
struct activity;

struct community {
    struct node *node;            /* borrowed: the owner */
    struct chat *chat;            /* owned (community/chat.h) */
    struct moderation *mod;       /* owned (community/moderation.h) */
    struct events *events;        /* owned (community/events.h) */
    struct polls *polls;          /* owned (community/polls.h) */
    struct live_react *react;     /* owned (community/live_react.h) */
    struct members_stats *mstats; /* owned (community/members_stats.h) */
    struct activity *activity;    /* owned (community/activity.h) */
};

/* Builds every module and registers its hooks, methods and verbs.
 * 0, or -1 (a module could not start; the log says why). */
int community_init(struct community *c, struct node *node);
/* Stops the modules' timers and closes their handles: server_finish calls
 * it after gate_free() and before the loop runs its last close callbacks;
 * store answers that arrive afterwards are dropped. */
void community_stop(struct community *c);
/* Frees every module (after the gate has answered its held requests). */
void community_free(struct community *c);

#endif
