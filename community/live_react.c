/* community/live_react.c — live_react.h. Rooms and tappers are dict
 * entries this module allocates and frees; the window timer flushes them. */
#include "community/live_react.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/call.h"
#include "community/chat_message.h"
#include "community/moderation.h"
#include "community/publish.h"
#include "config/access.h"
#include "config/config.h"
#include "node/node.h"
#include "protocol/errors.h"
#include "rooms/store.h"

#define SPAN_OF(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})

struct lr_emoji {
    char e[LIVE_REACT_EMOJI_MAX + 1];
    uint32_t window, second;
};

struct lr_room {
    struct dict_entry de;         /* key = name */
    struct lr_emoji emoji[LIVE_REACT_MAX_EMOJI];
    uint32_t nemoji;
    uint32_t window_total, second_total;
    size_t name_len;
    char name[];
};

struct lr_user {
    struct dict_entry de;         /* key = channel\x1fuser */
    uint32_t taps;                /* this second */
    size_t klen;
    char key[];
};

static struct lr_room *room_get(struct live_react *lr, const char *ch, size_t n)
{
    struct dict_entry *e = dict_find(&lr->rooms, ch, n);
    if (e)
        return DICT_CONTAINER(e, struct lr_room, de);
    struct lr_room *r = calloc(1, sizeof(*r) + n + 1);
    if (!r)
        return NULL;
    memcpy(r->name, ch, n);
    r->name_len = n;
    r->de.key = r->name;
    r->de.klen = n;
    if (dict_insert(&lr->rooms, &r->de)) {
        free(r);
        return NULL;
    }
    return r;
}

/* The user's tap budget this second: true when this tap counts. */
static bool user_tap(struct live_react *lr, const char *ch, const char *user)
{
    char key[RECORD_KEY_MAX + 1];
    int kl = snprintf(key, sizeof(key), "%s\x1f%s", ch, user);
    if (kl <= 0 || (size_t)kl >= sizeof(key))
        return false;
    struct dict_entry *e = dict_find(&lr->tappers, key, (size_t)kl);
    struct lr_user *u = e ? DICT_CONTAINER(e, struct lr_user, de) : NULL;
    if (!u) {
        u = calloc(1, sizeof(*u) + (size_t)kl + 1);
        if (!u)
            return false;
        memcpy(u->key, key, (size_t)kl);
        u->klen = (size_t)kl;
        u->de.key = u->key;
        u->de.klen = u->klen;
        if (dict_insert(&lr->tappers, &u->de)) {
            free(u);
            return false;
        }
    }
    if (u->taps >= LIVE_REACT_PER_USER_S)
        return false;
    u->taps++;
    return true;
}

static void m_react(const struct method_call *mc, json_t *params, method_done *done, void *arg)
{
    struct live_react *lr = mc->ctx;
    const char *ch = param_str(params, "channel", 1, 255);
    const char *emoji = param_str(params, "emoji", 1, LIVE_REACT_EMOJI_MAX);
    const struct ns_config *ns = ch ? config_find_ns(mc->node->cfg, ch, strlen(ch)) : NULL;
    if (!ns || !ns->chat || !emoji || !chat_emoji_ok(emoji, strlen(emoji)) ||
        json_object_size(params) != 2)
        return method_error(done, arg, ERR_BAD_REQUEST,
                            "live.react takes {channel (a chat room), emoji (1..32 bytes)}");
    const char *user = mc->origin == METHOD_API ? "api" : mc->user ? mc->user : "";
    if (!*user)
        return method_error(done, arg, ERR_PERMISSION_DENIED, "anonymous users cannot react");
    if (mc->origin == METHOD_RPC && lr->mod && moderation_is_muted(lr->mod, user, span_str(ch)))
        return method_error(done, arg, ERR_PERMISSION_DENIED, "muted");
    struct lr_room *r = room_get(lr, ch, strlen(ch));
    if (!r)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    struct lr_emoji *slot = NULL;
    for (uint32_t i = 0; i < r->nemoji && !slot; i++)
        if (!strcmp(r->emoji[i].e, emoji))
            slot = &r->emoji[i];
    if (!slot) {
        if (r->nemoji == LIVE_REACT_MAX_EMOJI)
            return method_error(done, arg, ERR_LIMIT_EXCEEDED, "too many different reactions");
        slot = &r->emoji[r->nemoji++];
        snprintf(slot->e, sizeof(slot->e), "%s", emoji);
    }
    if (!user_tap(lr, ch, user))
        return method_ok(done, arg, json_pack("{s:b}", "accepted", 0));
    slot->window++;
    slot->second++;
    r->window_total++;
    r->second_total++;
    method_ok(done, arg, json_pack("{s:b}", "accepted", 1));
}

/* ---- the window ---- */

static void flush_window(struct live_react *lr, struct lr_room *r)
{
    json_t *counts = json_object();
    for (uint32_t i = 0; i < r->nemoji; i++)
        if (r->emoji[i].window)
            json_object_set_new(counts, r->emoji[i].e, json_integer(r->emoji[i].window));
    for (uint32_t i = 0; i < r->nemoji; i++)
        r->emoji[i].window = 0;
    r->window_total = 0;
    community_publish(lr->node, r->name,
                      json_pack("{s:s,s:i,s:o}", "type", "reaction_totals", "window_ms",
                                LIVE_REACT_WINDOW_MS, "counts", counts),
                      false);
}

static void flush_second(struct live_react *lr, struct lr_room *r, int64_t second)
{
    char key[RECORD_KEY_MAX + 1];
    int kl = snprintf(key, sizeof(key), "%s\x1f%013" PRId64, r->name, second);
    struct store *st = lr->node->store;
    if (kl > 0 && (size_t)kl < sizeof(key))
        st->ops->record_incr(st, SPAN_OF(ENERGY_KIND), (struct span){(const uint8_t *)key, (size_t)kl},
                             r->second_total, second * 1000 + LIVE_REACT_ENERGY_TTL_MS, NULL, NULL);
}

static void on_timer(uv_timer_t *t)
{
    struct live_react *lr = t->data;
    /* Seconds follow the clock, not a count of ticks: under load the
     * repeating timer runs late, and four late windows would stretch a
     * member's per-second budget. */
    int64_t now_s = node_now_ms(lr->node) / 1000;
    bool second = now_s != lr->second;
    int64_t sec = lr->second; /* the second just over */
    if (second)
        lr->second = now_s;
    struct dict_iter it;
    dict_iter_init(&it, &lr->rooms);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        struct lr_room *r = DICT_CONTAINER(e, struct lr_room, de);
        if (r->window_total)
            flush_window(lr, r);
        if (!second)
            continue;
        if (r->second_total)
            flush_second(lr, r, sec);
        dict_remove(&lr->rooms, e); /* a quiet second frees the room */
        free(r);
    }
    if (second) {
        dict_iter_init(&it, &lr->tappers);
        for (struct dict_entry *e; (e = dict_next(&it));) {
            dict_remove(&lr->tappers, e);
            free(DICT_CONTAINER(e, struct lr_user, de));
        }
    }
}

/* ---- the module ---- */

struct live_react *live_react_new(struct node *node, const struct moderation *mod)
{
    struct live_react *lr = calloc(1, sizeof(*lr));
    if (!lr)
        return NULL;
    lr->node = node;
    lr->mod = mod;
    lr->second = node_now_ms(node) / 1000;
    dict_init(&lr->rooms);
    dict_init(&lr->tappers);
    struct method_spec spec = {"live.react", m_react, lr, ROLE_USER, true, 1};
    if (methods_register(&node->methods, &spec) != 0) {
        free(lr);
        return NULL;
    }
    uv_timer_init(node->loop, &lr->timer);
    lr->timer.data = lr;
    uv_timer_start(&lr->timer, on_timer, LIVE_REACT_WINDOW_MS, LIVE_REACT_WINDOW_MS);
    uv_unref((uv_handle_t *)&lr->timer);
    return lr;
}

static void on_closed(uv_handle_t *h) { (void)h; }

void live_react_stop(struct live_react *lr)
{
    if (!lr || lr->stopped)
        return;
    lr->stopped = true;
    uv_close((uv_handle_t *)&lr->timer, on_closed);
}

void live_react_free(struct live_react *lr)
{
    if (!lr)
        return;
    struct dict *ds[2] = {&lr->rooms, &lr->tappers};
    for (int i = 0; i < 2; i++) {
        struct dict_iter it;
        dict_iter_init(&it, ds[i]);
        for (struct dict_entry *e; (e = dict_next(&it));) {
            dict_remove(ds[i], e);
            /* both entry types begin with their dict_entry */
            free(e);
        }
        dict_free(ds[i]);
    }
    free(lr);
}
