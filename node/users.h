/* node/users.h — the user → live clients index: for each user id, the
 * clients of this node that user has connected (from the moment a client
 * becomes connected until it is closed). Anonymous clients (user "") are not
 * indexed. Lets cross-node verbs (server/cluster.c) reach a user's
 * connections without scanning every client. The index owns its entries and
 * arrays; the client pointers in them are borrowed (clients/ removes a
 * client before it is freed). Loop thread only. */
#ifndef HEARTH_NODE_USERS_H
#define HEARTH_NODE_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "util/dict.h"

struct client;

struct node_users {
    struct dict users;         /* of struct user_clients (users.c), owned */
};

/* Adds c under user (copied). user "" is not indexed (returns 0). A client
 * added twice is there once. 0, or -1 on OOM (nothing changed). */
int node_users_add(struct node_users *u, const char *user, struct client *c);
/* Removes c from user's clients (a no-op when it is not there). */
void node_users_remove(struct node_users *u, const char *user, struct client *c);
/* user's clients into *out (borrowed: valid until the index next changes);
 * returns how many (0 for "" or an unknown user). */
size_t node_users_find(const struct node_users *u, const char *user, struct client *const **out);
/* Distinct users indexed. */
size_t node_users_count(const struct node_users *u);
void node_users_free(struct node_users *u);

#endif
