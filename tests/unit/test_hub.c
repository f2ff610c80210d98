/* tests/unit/test_hub.c — the hub (rooms/hub.h) with fake hub_ops and a fake
 * engine that records subscribe/unsubscribe: link/unlink, the engine told on
 * the first and last subscription, fan-out exactly once per sub of the room
 * only, a sub unlinking itself during delivery, pending buffering up to
 * HUB_PENDING_MAX, join/leave encoded once per wire and shared, and the room
 * freed with its last sub (also when that happens inside a fan-out). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rooms/hub.h"

/* ---- fake engine: counts channel interest ---- */

static int g_subscribes, g_unsubscribes;
static char g_last_ch[64];

static void note(struct span ch)
{
    snprintf(g_last_ch, sizeof(g_last_ch), "%.*s", (int)ch.n, (const char *)ch.p);
}
static int fe_subscribe(struct engine *e, struct span ch) { g_subscribes++; note(ch); return 0; }
static int fe_unsubscribe(struct engine *e, struct span ch) { g_unsubscribes++; note(ch); return 0; }
static const struct engine_ops fake_engine_ops = {.name = "fake", .subscribe = fe_subscribe,
                                                  .unsubscribe = fe_unsubscribe};
static struct engine g_engine = {.ops = &fake_engine_ops};

/* ---- fake hub_ops: record deliveries ---- */

#define NSUBS 8
static struct sub *g_subs[NSUBS];
static int g_pubs[NSUBS];            /* publications delivered, by sub */
static int g_frames[NSUBS];          /* frames delivered, by sub */
static struct frame *g_frame_seen[NSUBS]; /* owned ref: the last frame each sub got */
static struct hub *g_hub;
static struct sub *g_unlink_on_deliver; /* this sub unlinks itself when delivered to */

static int idx(struct sub *s)
{
    for (int i = 0; i < NSUBS; i++)
        if (g_subs[i] == s)
            return i;
    fail_msg("unknown sub");
    return -1;
}

static void fo_pub(struct sub *s, struct publication *pub)
{
    assert_false(s->pending);
    g_pubs[idx(s)]++;
    if (s == g_unlink_on_deliver)
        hub_unlink(g_hub, s);
}

static void fo_frame(struct sub *s, struct frame *f)
{
    g_frames[idx(s)]++;
    frame_unref(g_frame_seen[idx(s)]);
    g_frame_seen[idx(s)] = frame_ref(f); /* a client keeping the frame takes its own ref */
    if (s == g_unlink_on_deliver)
        hub_unlink(g_hub, s);
}

static const struct hub_ops fake_hub_ops = {.deliver_pub = fo_pub, .deliver_frame = fo_frame};

static struct sub *mksub(int i, const char *channel, enum wire w)
{
    size_t n = strlen(channel);
    struct sub *s = calloc(1, sizeof(*s) + n + 1);
    memcpy(s->channel, channel, n);
    s->channel_len = n;
    s->wire = w;
    s->push_join_leave = true;
    g_subs[i] = s;
    return s;
}

static int setup(void **state)
{
    static struct hub h;
    hub_init(&h, &fake_hub_ops);
    h.engine = &g_engine;
    g_hub = &h;
    g_subscribes = g_unsubscribes = 0;
    g_unlink_on_deliver = NULL;
    memset(g_subs, 0, sizeof(g_subs));
    memset(g_pubs, 0, sizeof(g_pubs));
    memset(g_frames, 0, sizeof(g_frames));
    memset(g_frame_seen, 0, sizeof(g_frame_seen));
    *state = &h;
    return 0;
}

static int teardown(void **state)
{
    for (int i = 0; i < NSUBS; i++)
        if (g_subs[i]) {
            hub_unlink(g_hub, g_subs[i]);
            free(g_subs[i]);
        }
    for (int i = 0; i < NSUBS; i++)
        frame_unref(g_frame_seen[i]);
    assert_int_equal(hub_room_count(g_hub), 0);
    hub_free(g_hub);
    return 0;
}

static void publish(const char *channel)
{
    struct publication *p = publication_new(span_str(channel), span_str("1"), true, NULL);
    assert_non_null(p);
    hub_on_publication(g_hub, p);
    assert_int_equal(p->refs, 1); /* the hub keeps no reference to a delivered pub */
    publication_unref(p);
}

static void test_link_unlink_engine_interest(void **state)
{
    struct hub *h = *state;
    struct sub *a = mksub(0, "chat:a", WIRE_JSON), *b = mksub(1, "chat:a", WIRE_JSON);
    assert_int_equal(hub_link(h, a), 0);
    assert_int_equal(g_subscribes, 1);
    assert_string_equal(g_last_ch, "chat:a");
    assert_int_equal(hub_link(h, b), 0); /* second sub: the engine is not told again */
    assert_int_equal(g_subscribes, 1);
    assert_int_equal(hub_room_count(h), 1);
    assert_int_equal(h->nsubs, 2);
    struct hub_room *r = hub_find(h, span_str("chat:a"));
    assert_non_null(r);
    assert_int_equal(r->nsubs, 2);
    assert_ptr_equal(a->room, r);
    assert_null(hub_find(h, span_str("chat:b")));
    hub_unlink(h, a);
    assert_null(a->room);
    assert_int_equal(g_unsubscribes, 0);
    assert_int_equal(b->index, 0);
    hub_unlink(h, a); /* unlinking twice is harmless */
    assert_int_equal(h->nsubs, 1);
    hub_unlink(h, b); /* the last one: room freed, engine told */
    assert_int_equal(g_unsubscribes, 1);
    assert_string_equal(g_last_ch, "chat:a");
    assert_int_equal(hub_room_count(h), 0);
    assert_null(hub_find(h, span_str("chat:a")));
    assert_int_equal(h->nsubs, 0);
    /* relinking makes a new room and tells the engine again */
    assert_int_equal(hub_link(h, a), 0);
    assert_int_equal(g_subscribes, 2);
}

static void test_fanout_once_and_only_the_room(void **state)
{
    struct hub *h = *state;
    for (int i = 0; i < 5; i++)
        assert_int_equal(hub_link(h, mksub(i, "r1", WIRE_JSON)), 0);
    assert_int_equal(hub_link(h, mksub(5, "r2", WIRE_JSON)), 0);
    assert_int_equal(hub_link(h, mksub(6, "r10", WIRE_JSON)), 0);
    publish("r1");
    for (int i = 0; i < 5; i++)
        assert_int_equal(g_pubs[i], 1);
    assert_int_equal(g_pubs[5], 0);
    assert_int_equal(g_pubs[6], 0);
    publish("r2");
    publish("nobody"); /* no room: nothing happens */
    assert_int_equal(g_pubs[5], 1);
    assert_int_equal(g_pubs[0], 1);
    assert_int_equal(g_pubs[6], 0);
}

static void test_unlink_self_during_delivery(void **state)
{
    struct hub *h = *state;
    for (int i = 0; i < 6; i++)
        assert_int_equal(hub_link(h, mksub(i, "r", WIRE_JSON)), 0);
    for (int k = 0; k < 6; k++) { /* each position in the array in turn */
        memset(g_pubs, 0, sizeof(g_pubs));
        g_unlink_on_deliver = g_subs[k];
        publish("r");
        for (int i = 0; i < 6; i++)
            assert_int_equal(g_pubs[i], i < k ? 0 : 1); /* subs 0..k-1 are gone already */
        assert_null(g_subs[k]->room);
    }
    /* the last sub unlinked itself inside the fan-out: the room went after it */
    assert_int_equal(hub_room_count(h), 0);
    assert_int_equal(g_unsubscribes, 1);
    assert_int_equal(h->nsubs, 0);
}

static void test_pending_buffers_up_to_max(void **state)
{
    struct hub *h = *state;
    struct sub *p = mksub(0, "r", WIRE_JSON), *a = mksub(1, "r", WIRE_JSON);
    p->pending = true;
    assert_int_equal(hub_link(h, p), 0);
    assert_int_equal(hub_link(h, a), 0);
    struct publication *first = NULL;
    for (int i = 0; i < HUB_PENDING_MAX + 10; i++) {
        struct publication *pub = publication_new(span_str("r"), span_str("1"), true, NULL);
        hub_on_publication(h, pub);
        if (i == 0)
            first = publication_ref(pub);
        publication_unref(pub);
    }
    assert_int_equal(g_pubs[0], 0); /* pending: nothing delivered */
    assert_int_equal(g_pubs[1], HUB_PENDING_MAX + 10);
    assert_int_equal(p->nbuf, HUB_PENDING_MAX);
    assert_ptr_equal(p->buf[0], first);
    assert_int_equal(first->refs, 2); /* the buffer holds its own reference */
    uint32_t n;
    struct publication **b = sub_take_buffer(p, &n);
    assert_int_equal(n, HUB_PENDING_MAX);
    assert_false(p->pending);
    assert_null(p->buf);
    for (uint32_t i = 0; i < n; i++)
        publication_unref(b[i]);
    free(b);
    assert_int_equal(first->refs, 1);
    publish("r"); /* active now */
    assert_int_equal(g_pubs[0], 1);
    /* unlinking a pending sub drops its buffered references */
    p->pending = true;
    hub_on_publication(h, first);
    assert_int_equal(first->refs, 2);
    hub_unlink(h, p);
    assert_int_equal(first->refs, 1);
    assert_int_equal(p->nbuf, 0);
    publication_unref(first);
}

static void test_join_leave_encoded_once_per_wire(void **state)
{
    struct hub *h = *state;
    const enum wire w[7] = {WIRE_JSON, WIRE_MSGPACK, WIRE_JSON, WIRE_MSGPACK,
                            WIRE_JSON, WIRE_JSON, WIRE_JSON};
    for (int i = 0; i < 7; i++)
        assert_int_equal(hub_link(h, mksub(i, i == 5 ? "other" : "r", w[i])), 0);
    g_subs[4]->push_join_leave = false; /* did not ask for join/leave */
    g_subs[2]->pending = true;          /* subscribe reply not out yet: no join/leave */
    struct clientinfo ci = {span_str("u"), span_str("c"), {0}, {0}};
    hub_on_join(h, span_str("r"), &ci, false);
    const int want[7] = {1, 1, 0, 1, 0, 0, 1};
    for (int i = 0; i < 7; i++)
        assert_int_equal(g_frames[i], want[i]);
    /* one frame per wire, shared by every sub of that wire; the hub kept no
     * reference of its own: the refs are exactly the subs holding it */
    struct frame *json = g_frame_seen[0], *mp = g_frame_seen[1];
    assert_ptr_equal(g_frame_seen[6], json);
    assert_ptr_equal(g_frame_seen[3], mp);
    assert_ptr_not_equal(json, mp);
    assert_int_equal(json->refs, 2);
    assert_int_equal(mp->refs, 2);
    assert_int_equal(frame_data(json)[0], '{');
    assert_int_not_equal(frame_data(mp)[0], '{');
    /* a leave is a new encoding, again shared */
    g_subs[2]->pending = false;
    hub_on_join(h, span_str("r"), &ci, true);
    assert_int_equal(g_frames[0], 2);
    assert_int_equal(g_frames[2], 1);
    assert_int_equal(g_frames[4], 0);
    assert_ptr_equal(g_frame_seen[0], g_frame_seen[2]);
    assert_ptr_equal(g_frame_seen[0], g_frame_seen[6]);
    assert_int_equal(g_frame_seen[0]->refs, 3);
    hub_on_join(h, span_str("nobody"), &ci, false); /* no room: nothing */
    assert_int_equal(g_frames[5], 0);
}

static void test_room_freed_by_last_unlink_in_fanout(void **state)
{
    struct hub *h = *state;
    assert_int_equal(hub_link(h, mksub(0, "solo", WIRE_JSON)), 0);
    g_unlink_on_deliver = g_subs[0];
    struct clientinfo ci = {span_str("u"), span_str("c"), {0}, {0}};
    hub_on_join(h, span_str("solo"), &ci, false); /* unlinks itself while the room is busy */
    assert_int_equal(g_frames[0], 1);
    assert_int_equal(hub_room_count(h), 0);
    assert_int_equal(g_unsubscribes, 1);
    /* same through a publication */
    assert_int_equal(hub_link(h, g_subs[0]), 0);
    publish("solo");
    assert_int_equal(hub_room_count(h), 0);
    assert_int_equal(g_unsubscribes, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_link_unlink_engine_interest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fanout_once_and_only_the_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlink_self_during_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_buffers_up_to_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_leave_encoded_once_per_wire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_room_freed_by_last_unlink_in_fanout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
