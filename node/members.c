/* node/members.c — members.h: an array of observers. */
#include "node/members.h"

#include <stdlib.h>
#include <string.h>

void members_init(struct node_members *m) { memset(m, 0, sizeof(*m)); }

void members_free(struct node_members *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->obs[i].ns_name);
    free(m->obs);
    memset(m, 0, sizeof(*m));
}

int members_observe(struct node_members *m, const char *ns_name, member_cb *cb, void *ctx)
{
    struct member_observer *o = realloc(m->obs, sizeof(*o) * (m->n + 1));
    if (!o)
        return -1;
    m->obs = o;
    char *name = ns_name ? strdup(ns_name) : NULL;
    if (ns_name && !name)
        return -1;
    m->obs[m->n++] = (struct member_observer){name, cb, ctx};
    return 0;
}

void members_notify(const struct node_members *m, const struct ns_config *ns, struct span channel,
                    const struct clientinfo *info, bool joined)
{
    for (size_t i = 0; i < m->n; i++)
        if (!m->obs[i].ns_name || !strcmp(m->obs[i].ns_name, ns->name))
            m->obs[i].cb(m->obs[i].ctx, ns, channel, info, joined);
}
