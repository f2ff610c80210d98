/* node/users.c — the user → clients index (see users.h). Owns one struct
 * user_clients per indexed user and its array; borrows the clients. */
#include "node/users.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct user_clients {
    struct dict_entry de;      /* key = user */
    struct client **v;         /* owned array of borrowed clients */
    uint32_t n, cap;
    char user[];
};

static struct user_clients *find(const struct node_users *u, const char *user)
{
    struct dict_entry *de = dict_find(&u->users, user, strlen(user));
    return de ? DICT_CONTAINER(de, struct user_clients, de) : NULL;
}

int node_users_add(struct node_users *u, const char *user, struct client *c)
{
    if (!*user)
        return 0;
    struct user_clients *uc = find(u, user);
    bool fresh = !uc;
    if (fresh) {
        size_t len = strlen(user);
        uc = calloc(1, sizeof(*uc) + len + 1);
        if (!uc)
            return -1;
        memcpy(uc->user, user, len + 1);
        uc->de.key = uc->user;
        uc->de.klen = len;
    } else {
        for (uint32_t i = 0; i < uc->n; i++)
            if (uc->v[i] == c)
                return 0;
    }
    if (uc->n == uc->cap) {
        uint32_t cap = uc->cap ? uc->cap * 2 : 2;
        struct client **v = realloc(uc->v, sizeof(*v) * cap);
        if (!v)
            goto oom;
        uc->v = v;
        uc->cap = cap;
    }
    if (fresh && dict_insert(&u->users, &uc->de) != 0)
        goto oom;
    uc->v[uc->n++] = c;
    return 0;
oom:
    if (fresh) {
        free(uc->v);
        free(uc);
    }
    return -1;
}

void node_users_remove(struct node_users *u, const char *user, struct client *c)
{
    struct user_clients *uc = *user ? find(u, user) : NULL;
    if (!uc)
        return;
    for (uint32_t i = 0; i < uc->n; i++)
        if (uc->v[i] == c) {
            uc->v[i] = uc->v[--uc->n];
            break;
        }
    if (!uc->n) {
        dict_remove(&u->users, &uc->de);
        free(uc->v);
        free(uc);
    }
}

size_t node_users_find(const struct node_users *u, const char *user, struct client *const **out)
{
    struct user_clients *uc = *user ? find(u, user) : NULL;
    *out = uc ? uc->v : NULL;
    return uc ? uc->n : 0;
}

size_t node_users_count(const struct node_users *u) { return u->users.count; }

void node_users_free(struct node_users *u)
{
    struct dict_iter it;
    dict_iter_init(&it, &u->users);
    for (struct dict_entry *de; (de = dict_next(&it));) {
        struct user_clients *uc = DICT_CONTAINER(de, struct user_clients, de);
        dict_remove(&u->users, de);
        free(uc->v);
        free(uc);
    }
    dict_free(&u->users);
}
