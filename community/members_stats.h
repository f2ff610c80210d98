/* community/members_stats.h — the community manager's numbers
 * (docs/rituals.md, "Numbers"): stats.community {} → {members,
 * new_members_7d, dau, wau, mau, stickiness, churned_30d, nps_last} and
 * stats.series {metric, from, to, step} for charts (admins and the API).
 *
 * A member is a user who has joined a room at least once; active on a day
 * (UTC) = joined a room that day. Counted as it happens by a node/members.h
 * observer on every namespace, each (day, user) once per node (a bounded
 * memo; past it the store's NX decides): MSTAT_DAY_KIND (key
 * "<day>\x1f<user>", NX, 35-day expiry: the day's actives), MSTAT_COUNT_KIND
 * counters (key "a<day>" actives, "n<day>" new members, "m<day>" chat
 * messages — the latter from community/activity.c), MSTAT_MEMBER_KIND (key
 * user, NX: first seen) and MSTAT_KIND (key "members": the total,
 * "nps_last": the latest closed NPS poll's score). <day> is 7 digits of days
 * since 1970-01-01. WAU/MAU count distinct users over the days' records
 * (a bounded scan: at most MSTAT_SCAN_MAX records, beyond which the figure
 * is marked "approximate"). Loop thread only. */
#ifndef HEARTH_MEMBERS_STATS_H
#define HEARTH_MEMBERS_STATS_H

#include <stdint.h>

struct node;

#define MSTAT_DAY_KIND "act.day"
#define MSTAT_COUNT_KIND "act.count"
#define MSTAT_MEMBER_KIND "member"
#define MSTAT_KIND "community.stat"
#define MSTAT_DAY_TTL_MS (35LL * 24 * 3600 * 1000)
#define MSTAT_COUNT_TTL_MS (800LL * 24 * 3600 * 1000)
#define MSTAT_MEMO_MAX 100000
#define MSTAT_SCAN_MAX 200000      /* act.day records one WAU/MAU figure reads */
#define MSTAT_SERIES_MAX_DAYS 400

struct members_stats;

/* Registers the observer and the methods. NULL on OOM. */
struct members_stats *members_stats_new(struct node *node);
void members_stats_free(struct members_stats *ms);

/* Counts n chat messages on day (days since 1970-01-01, UTC;
 * community/activity.c calls it). */
void members_stats_messages(struct node *node, int64_t day, int64_t n);
/* Records the latest NPS score (community/polls.c, when an NPS poll closes). */
void members_stats_nps(struct node *node, int64_t nps);

#endif
