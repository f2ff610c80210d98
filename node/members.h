/* node/members.h — who is in a room, as it changes: modules observe a
 * namespace's subscriptions starting and ending on this node (a client's
 * subscribe that became active, its unsubscribe, its disconnect) to count
 * attendance. clients/ reports each change once (members_notify); the
 * observers registered for that namespace (or for all) are told in
 * registration order. Observers must not call back into the client (they
 * run inside its subscribe/unsubscribe). A namespace nobody observes costs
 * one compare per observer. Loop thread only; lives in struct node. */
#ifndef HEARTH_MEMBERS_H
#define HEARTH_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "protocol/publication.h"

/* joined: true on subscribe, false when the subscription ends. info (user,
 * client, ...) and channel are borrowed for the call. */
typedef void member_cb(void *ctx, const struct ns_config *ns, struct span channel,
                       const struct clientinfo *info, bool joined);

struct member_observer {
    char *ns_name;          /* owned; NULL = every namespace */
    member_cb *cb;
    void *ctx;              /* borrowed: the registering module's */
};

struct node_members {
    struct member_observer *obs;  /* owned array */
    size_t n;
};

void members_init(struct node_members *m);
void members_free(struct node_members *m);
/* 0 or -1 (OOM). */
int members_observe(struct node_members *m, const char *ns_name, member_cb *cb, void *ctx);
void members_notify(const struct node_members *m, const struct ns_config *ns, struct span channel,
                    const struct clientinfo *info, bool joined);

#endif
