/* community/attendance.h — who attends a chat room, counted as it happens
 * (never by scanning history): a node/members.h observer on every chat
 * namespace keeps, per (channel, user), the number of that user's live
 * subscriptions and the instant their current continuous presence began,
 * and per channel the users there now, the peak, and the distinct users
 * ever there. Anonymous subscribers are not counted.
 *
 * All of it is store records (shared by the nodes, kept by the durable
 * store): ATTEND_N_KIND (key channel\x1fuser: live subscriptions, a
 * counter), ATTEND_SINCE_KIND (same key: unix ms the presence began),
 * ATTEND_SEEN_KIND (same key: the user has attended; NX), ATTEND_STAT_KIND
 * (key channel\x1f"c" users now, \x1f"p" peak as "<users>:<unix ms>",
 * \x1f"u" distinct users; in an event occurrence's room "<ns>:<id>.<n>"
 * also \x1f"f" first-timers and \x1f"r" returning from occurrence n-1),
 * ATTEND_EVENT_KIND (key event id\x1fuser, NX: has attended the event).
 * Counters expire ATTEND_TTL_MS after their last change, so a node that
 * died holding subscriptions leaves a stale count for at most that long.
 * The peak is read-then-raised (two nodes raising it at one instant may
 * keep the lower of two new peaks). Loop thread only. */
#ifndef HEARTH_ATTENDANCE_H
#define HEARTH_ATTENDANCE_H

#include <stdint.h>

struct node;

#define ATTEND_N_KIND "attend.n"
#define ATTEND_SINCE_KIND "attend.since"
#define ATTEND_SEEN_KIND "attend.seen"
#define ATTEND_STAT_KIND "attend.stat"
#define ATTEND_EVENT_KIND "attend.event"
#define ATTEND_TTL_MS (24LL * 3600 * 1000)
#define ATTEND_SEEN_TTL_MS (400LL * 24 * 3600 * 1000)

/* Starts observing chat namespaces. 0 or -1 (OOM). */
int attendance_init(struct node *node);

/* How long user has been continuously present in channel (0 when not
 * there). cb runs exactly once. */
typedef void attendance_cb(void *arg, int err, int64_t attended_ms);
void attendance_of(struct node *node, const char *channel, const char *user, attendance_cb *cb,
                   void *arg);

/* Calls each(ctx, user) for every user present in channel for at least
 * min_ms now (pages through the channel's presence records; at most
 * ATTEND_EACH_MAX users), then done(ctx, err). each's user is borrowed. */
#define ATTEND_EACH_MAX 100000
typedef void attendance_each_cb(void *ctx, const char *user);
typedef void attendance_done_cb(void *ctx, int err);
void attendance_each_present(struct node *node, const char *channel, int64_t min_ms,
                             attendance_each_cb *each, attendance_done_cb *done, void *ctx);

/* The channel's figures: users there now, the peak and when it was
 * reached, distinct users; for an event occurrence's room also those for
 * whom it was their first occurrence of the event and those who attended
 * the previous occurrence too. */
struct attendance_stats {
    int64_t concurrent, peak, peak_at_ms, unique, first_time, returning;
};
typedef void attendance_stats_cb(void *arg, int err, const struct attendance_stats *st);
void attendance_stats(struct node *node, const char *channel, attendance_stats_cb *cb, void *arg);

#endif
