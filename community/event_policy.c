/* community/event_policy.c — event_policy.h: the per-node cache (one
 * struct pol_entry per event, owned, with its hosts) and the two hooks. */
#include "community/event_policy.h"

#include <stdlib.h>
#include <string.h>

#include "config/access.h"
#include "node/gate.h"
#include "node/node.h"
#include "protocol/errors.h"

struct pol_entry {
    struct dict_entry de;                 /* key = id */
    uint64_t gen;                         /* the last scan that saw it */
    uint32_t current;                     /* current occurrence; 0 = none left */
    enum event_state state;               /* of the current occurrence */
    struct room_policy by_state[EV_STATES];
    char **hosts;                         /* owned array of owned strings */
    size_t nhosts;
    char id[EVENT_ID_LEN + 1];
};

static void entry_free(struct pol_entry *e)
{
    for (size_t i = 0; i < e->nhosts; i++)
        free(e->hosts[i]);
    free(e->hosts);
    free(e);
}

struct room_policy event_policy_of(json_t *doc, enum event_state st)
{
    struct room_policy p = {0, false, false};
    switch (st) {
    case EV_GREEN_ROOM: p.hosts_only = true; break;
    case EV_LIVE: p.slow_mode = 3; break;
    case EV_ENDED:
    case EV_CANCELLED: p.read_only = true; break;
    default: break;
    }
    json_t *o = json_object_get(json_object_get(doc, "policies"), event_state_name(st));
    json_t *sm = json_object_get(o, "slow_mode"), *ro = json_object_get(o, "read_only");
    if (json_is_integer(sm))
        p.slow_mode = (uint32_t)json_integer_value(sm);
    if (json_is_boolean(ro))
        p.read_only = json_is_true(ro);
    return p;
}

void event_policy_scan_begin(struct event_policy *p) { p->generation++; }

void event_policy_saw(struct event_policy *p, json_t *doc)
{
    const char *id = json_string_value(json_object_get(doc, "id"));
    struct schedule s;
    if (!id || strlen(id) != EVENT_ID_LEN || event_schedule(doc, &s))
        return;
    struct dict_entry *de = dict_find(&p->events, id, EVENT_ID_LEN);
    struct pol_entry *e = de ? DICT_CONTAINER(de, struct pol_entry, de) : NULL;
    if (e) {
        dict_remove(&p->events, &e->de);
        entry_free(e);
    }
    json_t *hosts = json_object_get(doc, "hosts");
    e = calloc(1, sizeof(*e));
    if (!e || !(e->hosts = calloc(json_array_size(hosts) + 1, sizeof(char *)))) {
        free(e);
        return;
    }
    memcpy(e->id, id, EVENT_ID_LEN + 1);
    e->de.key = e->id;
    e->de.klen = EVENT_ID_LEN;
    e->gen = p->generation;
    size_t i;
    json_t *h;
    json_array_foreach(hosts, i, h) {
        if (json_is_string(h) && (e->hosts[e->nhosts] = strdup(json_string_value(h))))
            e->nhosts++;
    }
    uint32_t n;
    if (event_current(doc, &s, &n) == 0) {
        e->current = n;
        e->state = event_occ_state(doc, n);
    }
    for (int st = 0; st < EV_STATES; st++)
        e->by_state[st] = event_policy_of(doc, (enum event_state)st);
    if (dict_insert(&p->events, &e->de))
        entry_free(e);
}

void event_policy_scan_end(struct event_policy *p)
{
    struct dict_iter it;
    dict_iter_init(&it, &p->events);
    for (struct dict_entry *de; (de = dict_next(&it));) {
        struct pol_entry *e = DICT_CONTAINER(de, struct pol_entry, de);
        if (e->gen != p->generation) { /* deleted meanwhile */
            dict_remove(&p->events, de);
            entry_free(e);
        }
    }
}

/* "<ns>:<16 hex>.<n>" -> the id's position and n, else -1. */
static int parse_room(const char *ch, size_t len, const char **id, uint32_t *n)
{
    const char *colon = memchr(ch, ':', len);
    if (!colon)
        return -1;
    size_t at = (size_t)(colon + 1 - ch);
    if (len < at + EVENT_ID_LEN + 2 || ch[at + EVENT_ID_LEN] != '.')
        return -1;
    uint64_t v = 0;
    for (size_t i = at + EVENT_ID_LEN + 1; i < len; i++) {
        if (ch[i] < '0' || ch[i] > '9' || v > SCHEDULE_MAX_OCCURRENCES)
            return -1;
        v = v * 10 + (uint64_t)(ch[i] - '0');
    }
    *id = ch + at;
    *n = (uint32_t)v;
    return 0;
}

int event_policy_lookup(struct event_policy *p, const char *channel, size_t len, const char *user,
                        size_t ulen, struct room_policy *out, bool *is_host)
{
    const char *id;
    uint32_t n;
    if (!p->events.count || parse_room(channel, len, &id, &n))
        return -1;
    struct dict_entry *de = dict_find(&p->events, id, EVENT_ID_LEN);
    if (!de)
        return -1;
    struct pol_entry *e = DICT_CONTAINER(de, struct pol_entry, de);
    enum event_state st = !e->current || n < e->current ? EV_ENDED
                          : n == e->current              ? e->state
                                                         : EV_SCHEDULED;
    *out = e->by_state[st];
    *is_host = false;
    for (size_t i = 0; i < e->nhosts && ulen; i++)
        if (strlen(e->hosts[i]) == ulen && !memcmp(e->hosts[i], user, ulen))
            *is_host = true;
    return 0;
}

bool event_policy_slow(void *ctx, struct span channel, uint32_t *seconds)
{
    struct room_policy pol;
    bool host;
    if (event_policy_lookup(ctx, (const char *)channel.p, channel.n, "", 0, &pol, &host))
        return false;
    *seconds = pol.slow_mode;
    return true;
}

/* ---- hooks ---- */

static struct gate_verdict deny(const char *msg)
{
    return (struct gate_verdict){.kind = GATE_DENY, .code = ERR_PERMISSION_DENIED, .message = msg};
}

static struct gate_verdict on_subscribe(void *ctx, const struct gate_sub *req,
                                        const struct ns_config *ns)
{
    struct event_policy *p = ctx;
    struct room_policy pol;
    bool host;
    (void)ns;
    if (req->origin != GATE_CLIENT ||
        event_policy_lookup(p, (const char *)req->channel.p, req->channel.n, req->user,
                            strlen(req->user), &pol, &host) ||
        !pol.hosts_only || host || (req->subject & ROLE_ADMIN))
        return (struct gate_verdict){.kind = GATE_ALLOW};
    return deny("the green room is open to the event's hosts only");
}

static struct gate_verdict on_publish(void *ctx, struct gate_req *req)
{
    struct event_policy *p = ctx;
    struct publication *pub = gate_req_publication(req);
    struct room_policy pol;
    bool host;
    if (gate_req_origin(req) != GATE_CLIENT ||
        event_policy_lookup(p, (const char *)pub->channel.p, pub->channel.n,
                            (const char *)pub->info.user.p, pub->has_info ? pub->info.user.n : 0,
                            &pol, &host))
        return (struct gate_verdict){.kind = GATE_ALLOW};
    if (pol.hosts_only && !host)
        return deny("the green room is open to the event's hosts only");
    if (pol.read_only)
        return deny("this room is read-only now");
    return (struct gate_verdict){.kind = GATE_ALLOW};
}

static bool is_chat(const struct ns_config *ns) { return ns->chat; }

struct event_policy *event_policy_new(struct node *node)
{
    struct event_policy *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->node = node;
    dict_init(&p->events);
    /* every chat namespace, in whatever config runs (reloads are followed) */
    if (gate_sub_hook_add_where(&node->gate, is_chat, on_subscribe, p) ||
        gate_hook_add_where(&node->gate, is_chat, on_publish, p)) {
        event_policy_free(p);
        return NULL;
    }
    return p;
}

void event_policy_free(struct event_policy *p)
{
    if (!p)
        return;
    struct dict_iter it;
    dict_iter_init(&it, &p->events);
    for (struct dict_entry *de; (de = dict_next(&it));) {
        dict_remove(&p->events, de);
        entry_free(DICT_CONTAINER(de, struct pol_entry, de));
    }
    dict_free(&p->events);
    free(p);
}
