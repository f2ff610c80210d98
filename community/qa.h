/* community/qa.h — Q&A in a ritual's chat (docs/rituals.md, "Q&A"):
 * qa.ask, qa.upvote, qa.unvote, qa.answer, qa.pin, qa.dismiss, qa.list on
 * the method table (rpc and /api); every change is published into the
 * channel as {"type":"qa","action":..,"question":{..}}.
 *
 * Store records: QA_KIND (key channel\x1fquestion id: the question), a
 * question id being 13 digits of its unix ms and 4 hex digits (ids sort
 * oldest first); QA_VOTE_KIND (key question id\x1fuser, NX: one vote per
 * user); QA_COUNT_KIND counters (key channel\x1fquestion id: its votes, so
 * one prefix scan gives a room's votes); QA_RATE_KIND (key
 * channel\x1fuser, NX with a QA_ASK_INTERVAL_S expiry: one question per
 * user per 30 s, else 111); QA_STAT_KIND counters (key channel\x1f"q"
 * questions asked, \x1f"a" answered) for the event's figures. Loop thread
 * only. */
#ifndef HEARTH_QA_H
#define HEARTH_QA_H

struct node;

#define QA_KIND "qa"
#define QA_VOTE_KIND "qa.vote"
#define QA_COUNT_KIND "qa.count"
#define QA_RATE_KIND "qa.rate"
#define QA_STAT_KIND "qa.stat"
#define QA_ASK_INTERVAL_S 30
#define QA_TEXT_MAX 1000          /* bytes of a question */
#define QA_ID_LEN 17

struct moderation;
/* Registers the methods. mod (borrowed, may be NULL): a muted or banned
 * member may not ask. 0 or -1. No state of its own. */
int qa_init(struct node *node, const struct moderation *mod);

#endif
