/* clients/commands_internal.h — what commands.c and subscribe.c share:
 * small helpers on a client and the command handlers each implements. Not
 * for use outside clients/. */
#ifndef HEARTH_COMMANDS_INTERNAL_H
#define HEARTH_COMMANDS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "config/access.h"
#include "clients/client.h"

static inline bool span_eq(struct span a, const char *s, size_t n)
{
    return a.n == n && memcmp(a.p, s, n) == 0;
}

/* commands.c */
/* The client's ClientInfo; with s, the subscription's chan_info too. Spans
 * borrow from c and s. */
struct clientinfo cmd_my_info(const struct client *c, const struct sub *s);
/* The role bits c brings to permission checks (access.h). */
uint32_t cmd_subject(const struct client *c);
/* Checks a command's channel name and namespace: the namespace, or NULL
 * after replying 107/102 or disconnecting 3501 (empty name). */
const struct ns_config *cmd_check_channel(struct client *c, const struct cmd *cmd);
int64_t cmd_now_s(const struct client *c);
/* Can c's wire format carry ns's payloads? False for a JSON-wire client in
 * a binary namespace: it may not subscribe (108) or read history (108). */
bool cmd_wire_carries(const struct client *c, const struct ns_config *ns);

/* subscribe.c */
int cmd_subscribe(struct client *c, struct cmd *cmd);
int cmd_unsubscribe(struct client *c, struct cmd *cmd);
int cmd_sub_refresh(struct client *c, struct cmd *cmd);
/* A server-side subscription (plain pub/sub, presence, join/leave) of c to
 * channel, linked but not yet announced: the caller tells the client (connect
 * result subs or a subscribe push) and then calls after_subscribed(). NULL if
 * the channel is malformed, in no namespace, already subscribed or over the
 * limit. */
struct sub *server_sub_new(struct client *c, const char *channel);
/* Presence and join for a subscription the client now knows about. */
void after_subscribed(struct client *c, struct sub *s);

#endif
