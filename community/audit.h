/* community/audit.h — the audit log: every moderation action (and every
 * chat.delete of another member's message) as one store record of kind
 * "audit", shared by every node (rooms/store.h records). This file owns the
 * record format; the query method (mod.audit) reads it back.
 *
 * Record: key = 16 hex digits of the entry's unix ms, '-', 8 hex digits of
 * the process's monotonic clock in 256 ns steps (uv_hrtime() >> 8, mod 2^32:
 * entries of one millisecond on one node keep their order; two nodes in one
 * millisecond are in either order), so keys sort by time and newest first
 * is a reverse scan; value = the
 * entry as a JSON object {actor, action, channel?, target_user?, target?,
 * reason?, duration?, ts}; expires AUDIT_RETENTION_MS after ts. Loop thread
 * only; no state of its own. */
#ifndef HEARTH_AUDIT_H
#define HEARTH_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

struct node;

#define AUDIT_KIND "audit"
#define AUDIT_RETENTION_MS (90LL * 24 * 3600 * 1000)

/* One entry. Strings are borrowed for the call; NULL = absent. */
struct audit_entry {
    const char *actor;        /* user id, or "api" for the HTTP API */
    const char *action;       /* the method name, e.g. "mod.ban", "chat.delete" */
    const char *channel;
    const char *target_user;
    uint64_t target;          /* a message offset; 0 = absent */
    const char *reason;
    int64_t duration;         /* seconds, when has_duration */
    bool has_duration;
};

/* Writes e with ts = the node clock's now. A store error is logged (the
 * action it records has already happened). done (may be NULL) runs once
 * the store answered the write (err 0 = stored; on the durable store:
 * committed), never before return; it does not run when audit_record
 * returns an error: 0, or a negative error when the record could not even
 * be started. */
typedef void audit_done(void *arg, int err);
int audit_record(struct node *node, const struct audit_entry *e, audit_done *done, void *arg);

#endif
