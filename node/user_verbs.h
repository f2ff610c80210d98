/* node/user_verbs.h — actions on a user's connections wherever they are:
 * disconnect, unsubscribe (with a code and reason), server-side subscribe,
 * refresh, and a personal message push. Each is a cross-node control verb
 * (node/control.h): node_user_*() encodes the verb's payload and sends it, so
 * it runs on this node and on every other. What a verb DOES to a client is
 * the transport's business (server/cluster.c registers the handlers and
 * decodes with user_verb_decode()); the API and the community layer only
 * call the senders here. Payloads are msgpack fixarrays of scalars, decoded
 * without letting msgpack-c allocate from an untrusted header. Loop thread
 * only; no state. */
#ifndef HEARTH_USER_VERBS_H
#define HEARTH_USER_VERBS_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/publication.h"

struct node;

enum user_verb {
    USER_DISCONNECT,   /* [user, client, code, reason] */
    USER_UNSUBSCRIBE,  /* [user, channel, client, code, reason] (old 3-field form: 2000) */
    USER_SUBSCRIBE,    /* [user, channel, client] */
    USER_REFRESH,      /* [user, client, expired, expire_at] */
    USER_MESSAGE,      /* [user, client, data]: a Centrifuge "message" push of data (JSON text) */
    USER_VERB_COUNT
};

#define USER_REASON_MAX 100  /* bytes of a disconnect/unsubscribe reason a verb carries */

/* A verb's fields. Strings are NUL-terminated; "" = absent. After
 * user_verb_decode() the strings are owned (user_verb_args_free()); for the
 * senders they are borrowed. */
struct user_verb_args {
    const char *user, *client, *channel, *reason, *data;
    uint32_t code;
    bool expired;
    int64_t expire_at;         /* unix seconds, 0 = unchanged */
    unsigned owned;            /* decode(): a bit per string it allocated */
};

/* The verb's registry name ("disconnect", "unsubscribe", ...). */
const char *user_verb_name(enum user_verb v);
/* Decodes an untrusted payload into a (strings copied). 0, or -1 when it is
 * not exactly the verb's shape (a then holds nothing to free). */
int user_verb_decode(enum user_verb v, struct span payload, struct user_verb_args *a);
void user_verb_args_free(struct user_verb_args *a);

/* The senders: 0, or an engine error when the other nodes could not be told
 * (this node's part is done either way). user "" = anonymous connections;
 * client NULL or "" = all of the user's connections. */
int node_user_disconnect(struct node *n, const char *user, const char *client, uint16_t code,
                         const char *reason);
/* code 0 = 2000 "server unsubscribe"; reason NULL = the code's words. */
int node_user_unsubscribe(struct node *n, const char *user, const char *channel,
                          const char *client, uint32_t code, const char *reason);
int node_user_subscribe(struct node *n, const char *user, const char *channel, const char *client);
/* expire_at: unix seconds, 0 = leave as is. */
int node_user_refresh(struct node *n, const char *user, const char *client, bool expired,
                      int64_t expire_at);
/* data: one JSON value (text), pushed as {"push":{"message":{"data":..}}}. */
int node_user_message(struct node *n, const char *user, const char *client, const char *data);

#endif
