/* community/chat_typing.c — chat.typing {channel}: who is typing, shared by
 * every node as chat.typing records (key C\x1fU, expiring 10 s after the
 * user's last call), and the coalesced {"type":"typing","users":[..]}
 * publication: not stored, no offset, droppable.
 *
 * A call puts the record and marks the room on this node. A 1 s timer
 * scans each marked room's records and publishes the list when a call came
 * since the last tick or the list changed (a user expired); a room whose
 * list is empty and unchanged is forgotten. So a room gets at most one
 * typing publication a second from each node, and the last one after a
 * user stops lists them no more. At most CHAT_DIRTY_MAX rooms are tracked
 * per node (a call past that is answered 111 and changes nothing).
 *
 * Ownership: struct chat_typing_room entries are the module's (in
 * c->typing_rooms); a scan holds a room (busy) until its callback. */
#include "community/chat_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/errors.h"

struct chat_typing_room {
    struct dict_entry de;      /* key = channel */
    struct chat *c;
    bool called;               /* a chat.typing since the last tick */
    bool busy;                 /* a scan is in flight */
    bool gone;                 /* forgotten while busy: the scan frees it */
    char *last;                /* owned: the users list last published (JSON), or NULL */
    size_t chlen;
    char channel[];
};

static void room_free(struct chat_typing_room *r)
{
    free(r->last);
    free(r);
}

static void on_users(void *arg, int err, const struct record *recs, size_t n)
{
    struct chat_typing_room *r = arg;
    struct chat *c = r->c;
    r->busy = false;
    if (r->gone || c->stopped) {
        if (r->gone)
            room_free(r);
        return;
    }
    if (err)
        return;
    json_t *users = json_array();
    for (size_t i = 0; users && i < n; i++) {
        const struct record *rec = &recs[i];
        if (rec->key.n > r->chlen + 1)
            json_array_append_new(users, json_stringn((const char *)rec->key.p + r->chlen + 1,
                                                      rec->key.n - r->chlen - 1));
    }
    char *text = users ? json_dumps(users, JSON_COMPACT) : NULL;
    if (!text) {
        json_decref(users);
        return;
    }
    bool changed = !r->last || strcmp(r->last, text) != 0;
    bool called = r->called;
    r->called = false;
    if (called || changed) {
        json_t *ev = json_pack("{s:s,s:o}", "type", "typing", "users", users);
        users = NULL;
        if (ev)
            chat_publish_event(c, r->channel, NULL, ev, false, NULL, NULL);
    }
    json_decref(users);
    free(r->last);
    r->last = text;
    if (!called && !strcmp(text, "[]")) { /* nobody types: forget the room */
        dict_remove(&c->typing_rooms, &r->de);
        room_free(r);
    }
}

static void on_typing_tick(uv_timer_t *t)
{
    struct chat *c = t->data;
    struct store *st = c->node->store;
    struct dict_iter it;
    dict_iter_init(&it, &c->typing_rooms);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        struct chat_typing_room *r = DICT_CONTAINER(e, struct chat_typing_room, de);
        if (r->busy)
            continue;
        char prefix[RECORD_KEY_MAX + 1];
        memcpy(prefix, r->channel, r->chlen);
        prefix[r->chlen] = 0x1f;
        struct record_scan q = {.prefix = {(const uint8_t *)prefix, r->chlen + 1},
                                .limit = RECORD_SCAN_MAX};
        r->busy = true;
        /* the memory store answers at once and may forget r (removal of the
         * entry just returned is allowed during the walk) */
        if (st->ops->record_scan(st, chat_kind(CHAT_KIND_TYPING), &q, on_users, r) != 0)
            r->busy = false;
    }
    if (!c->typing_rooms.count)
        uv_timer_stop(t);
}

void chat_typing_stop(struct chat *c)
{
    if (c->timers)
        uv_timer_stop(&c->typing_timer);
}

void chat_typing_free(struct chat *c)
{
    struct dict_iter it;
    dict_iter_init(&it, &c->typing_rooms);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        dict_remove(&c->typing_rooms, e);
        struct chat_typing_room *r = DICT_CONTAINER(e, struct chat_typing_room, de);
        if (r->busy)
            r->gone = true; /* its scan frees it (store teardown runs before this) */
        else
            room_free(r);
    }
}

void chat_m_typing(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct chat *c = call->ctx;
    struct chat_target t;
    if (chat_params_target(c, params, false, &t, done, arg))
        return;
    if (!chat_may_publish(call, t.ns))
        return method_error(done, arg, ERR_PERMISSION_DENIED, NULL);
    static const char *const keys[] = {"channel", NULL};
    if (!chat_params_only(params, keys))
        return method_error(done, arg, ERR_BAD_REQUEST, "typing takes {channel}");
    if (c->stopped || !c->timers)
        return method_error(done, arg, ERR_NOT_AVAILABLE, NULL);
    size_t chlen = strlen(t.channel);
    struct dict_entry *e = dict_find(&c->typing_rooms, t.channel, chlen);
    struct chat_typing_room *r = e ? DICT_CONTAINER(e, struct chat_typing_room, de) : NULL;
    if (!r && c->typing_rooms.count >= CHAT_DIRTY_MAX)
        return method_error(done, arg, ERR_TOO_MANY_REQUESTS, NULL);
    char key[RECORD_KEY_MAX + 1];
    int kn = snprintf(key, sizeof(key), "%s\x1f%s", t.channel, call->user ? call->user : "");
    if (kn < 0 || (size_t)kn >= RECORD_KEY_MAX)
        return method_error(done, arg, ERR_BAD_REQUEST, NULL);
    if (!r) {
        r = calloc(1, sizeof(*r) + chlen + 1);
        if (!r)
            return method_error(done, arg, ERR_INTERNAL, NULL);
        r->c = c;
        r->chlen = chlen;
        memcpy(r->channel, t.channel, chlen + 1);
        r->de.key = r->channel;
        r->de.klen = chlen;
        if (dict_insert(&c->typing_rooms, &r->de) != 0) {
            free(r);
            return method_error(done, arg, ERR_INTERNAL, NULL);
        }
    }
    r->called = true;
    struct store *st = c->node->store;
    struct record rec = {.key = {(const uint8_t *)key, (size_t)kn}, .value = {(const uint8_t *)"", 0},
                         .expire_ms = node_now_ms(c->node) + CHAT_TYPING_TTL_MS};
    if (st->ops->record_put(st, chat_kind(CHAT_KIND_TYPING), &rec, 0, NULL, NULL) != 0)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    if (!uv_is_active((uv_handle_t *)&c->typing_timer))
        uv_timer_start(&c->typing_timer, on_typing_tick, CHAT_TYPING_TICK_MS, CHAT_TYPING_TICK_MS);
    method_ok(done, arg, NULL);
}
