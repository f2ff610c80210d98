/* tests/unit/test_history.c — the history ring and the memory engine's
 * history/recovery rules: gap-free offsets, size and TTL limits, since/limit/
 * reverse selection, epoch mismatch, and presence bookkeeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "rooms/engine.h"
#include "rooms/history.h"

static struct publication *mkpub(const char *ch, const char *data)
{
    return publication_new(span_str(ch), span_str(data), true, NULL);
}

static void test_offsets_and_size(void **state)
{
    struct history h;
    history_init(&h);
    assert_int_equal(strlen(h.epoch), EPOCH_LEN);
    for (int i = 0; i < 25; i++) {
        struct publication *p = mkpub("c", "1");
        assert_int_equal(history_append(&h, p, 10, INT64_MAX), 0);
        assert_int_equal(p->offset, (uint64_t)i + 1);
        publication_unref(p);
    }
    assert_int_equal(h.top, 25);
    assert_int_equal(h.count, 10);
    struct publication *out[32];
    struct history_query all = {.limit = -1};
    size_t n = history_select(&h, &all, out, 32);
    assert_int_equal(n, 10);
    assert_int_equal(out[0]->offset, 16);
    assert_int_equal(out[9]->offset, 25);
    history_free(&h);
}

static void test_select_rules(void **state)
{
    struct history h;
    history_init(&h);
    for (int i = 0; i < 10; i++) {
        struct publication *p = mkpub("c", "1");
        history_append(&h, p, 100, INT64_MAX);
        publication_unref(p);
    }
    struct publication *out[16];
    struct history_query q = {.limit = 0};
    assert_int_equal(history_select(&h, &q, out, 16), 0); /* limit 0: top only */
    q = (struct history_query){.limit = 3};
    assert_int_equal(history_select(&h, &q, out, 16), 3);
    assert_int_equal(out[0]->offset, 1);
    q = (struct history_query){.limit = 3, .reverse = true};
    assert_int_equal(history_select(&h, &q, out, 16), 3);
    assert_int_equal(out[0]->offset, 10);
    assert_int_equal(out[2]->offset, 8);
    q = (struct history_query){.limit = -1, .has_since = true, .since_offset = 7};
    assert_int_equal(history_select(&h, &q, out, 16), 3); /* strictly after 7 */
    assert_int_equal(out[0]->offset, 8);
    q = (struct history_query){.limit = -1, .has_since = true, .since_offset = 10};
    assert_int_equal(history_select(&h, &q, out, 16), 0); /* since == top: nothing */
    q = (struct history_query){.limit = 2, .has_since = true, .since_offset = 5, .reverse = true};
    assert_int_equal(history_select(&h, &q, out, 16), 2); /* strictly before 5, newest first */
    assert_int_equal(out[0]->offset, 4);
    assert_int_equal(out[1]->offset, 3);
    history_free(&h);
}

static void test_ttl(void **state)
{
    struct history h;
    history_init(&h);
    for (int i = 0; i < 5; i++) {
        struct publication *p = mkpub("c", "1");
        history_append(&h, p, 100, 1000 + i * 10);
        publication_unref(p);
    }
    history_expire(&h, 1015); /* entries expiring at 1000 and 1010 go */
    assert_int_equal(h.count, 3);
    struct publication *out[8];
    struct history_query q = {.limit = -1};
    assert_int_equal(history_select(&h, &q, out, 8), 3);
    assert_int_equal(out[0]->offset, 3);
    history_clear(&h);
    assert_int_equal(h.count, 0);
    assert_int_equal(h.top, 5); /* history_remove keeps the position */
    history_free(&h);
}

/* ---- the memory engine's recovery inputs ---- */

struct seen {
    int pubs;
    int joins;
    struct history_result last;
    uint64_t top;
    char epoch[16];
    int err;
    size_t npubs;
    uint64_t first;
};

static void on_pub(void *arg, struct publication *p) { ((struct seen *)arg)->pubs++; }
static void on_join(void *arg, struct span ch, const struct clientinfo *ci, bool leave)
{
    ((struct seen *)arg)->joins++;
}
static void on_hist(void *arg, const struct history_result *r)
{
    struct seen *s = arg;
    s->err = r->err;
    s->top = r->top;
    s->npubs = r->npubs;
    s->first = r->npubs ? r->pubs[0]->offset : 0;
    strcpy(s->epoch, r->epoch);
}

static void test_memory_engine(void **state)
{
    struct config cfg = {.history_meta_ttl = 3600};
    struct seen s = {0};
    struct engine_events ev = {.on_publication = on_pub, .on_join = on_join, .arg = &s};
    struct store *st;
    struct engine *e = engine_memory_new(&cfg, &ev, &st);
    struct ns_config ns = {.name = "chat", .history_size = 5, .history_ttl = 60};
    struct history_query top = {.limit = 0};
    /* a read makes no state: the empty stream, epoch "" at offset 0 */
    assert_int_equal(st->ops->history(st, span_str("chat:a"), &ns, &top, on_hist, &s), 0);
    assert_string_equal(s.epoch, "");
    assert_int_equal(s.top, 0);
    assert_int_equal(st->ops->channel_count(st), 0);
    struct history_query pos = {.has_since = true, .since_epoch = span_str("abcdefgh"), .limit = 10};
    st->ops->history(st, span_str("chat:a"), &ns, &pos, on_hist, &s);
    assert_int_equal(s.err, ENGINE_EUNRECOVERABLE);
    assert_int_equal(st->ops->channel_count(st), 0);
    /* the first publish creates the epoch */
    for (int i = 0; i < 8; i++) {
        struct publication *p = mkpub("chat:a", "{}");
        assert_int_equal(e->ops->publish(e, p, &(struct publish_opts){ns.history_size, ns.history_ttl}, NULL, NULL), 0);
        publication_unref(p);
    }
    assert_int_equal(s.pubs, 8);
    assert_int_equal(st->ops->channel_count(st), 1);
    st->ops->history(st, span_str("chat:a"), &ns, &top, on_hist, &s);
    char epoch[16];
    strcpy(epoch, s.epoch);
    assert_int_equal(strlen(epoch), EPOCH_LEN);
    /* recovering from the empty position matches it (ring of 5: from 4) */
    struct history_query from0 = {.has_since = true, .since_epoch = span_str(""), .limit = 300};
    st->ops->history(st, span_str("chat:a"), &ns, &from0, on_hist, &s);
    assert_int_equal(s.err, 0);
    assert_int_equal(s.first, 4);
    struct history_query since = {.has_since = true, .since_offset = 5, .since_epoch = span_str(epoch), .limit = 300};
    st->ops->history(st, span_str("chat:a"), &ns, &since, on_hist, &s);
    assert_int_equal(s.err, 0);
    assert_string_equal(s.epoch, epoch);
    assert_int_equal(s.top, 8);
    assert_int_equal(s.npubs, 3);
    assert_int_equal(s.first, 6);
    /* missed more than the ring holds: the first offset shows the gap */
    since.since_offset = 1;
    st->ops->history(st, span_str("chat:a"), &ns, &since, on_hist, &s);
    assert_int_equal(s.first, 4);
    /* wrong epoch: unrecoverable */
    since.since_epoch = span_str("XXXXXXXX");
    st->ops->history(st, span_str("chat:a"), &ns, &since, on_hist, &s);
    assert_int_equal(s.err, ENGINE_EUNRECOVERABLE);
    /* no history namespace: no offsets, still delivered */
    struct ns_config plain = {.name = ""};
    struct publication *p = mkpub("x", "1");
    e->ops->publish(e, p, &(struct publish_opts){plain.history_size, plain.history_ttl}, NULL, NULL);
    assert_int_equal(p->offset, 0);
    publication_unref(p);
    assert_int_equal(st->ops->channel_count(st), 1);
    /* expiry: the publications go with history_ttl, the epoch/top with
     * history_meta_ttl, then the channel is gone */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000;
    st->ops->sweep(st, now + 61 * 1000);
    st->ops->history(st, span_str("chat:a"), &ns, &top, on_hist, &s);
    assert_int_equal(s.top, 8);
    assert_string_equal(s.epoch, epoch);
    assert_int_equal(st->ops->channel_count(st), 1);
    struct publication *p9 = mkpub("chat:a", "{}"); /* the freed ring grows again */
    assert_int_equal(e->ops->publish(e, p9, &(struct publish_opts){ns.history_size, ns.history_ttl}, NULL, NULL), 0);
    assert_int_equal(p9->offset, 9);
    publication_unref(p9);
    st->ops->sweep(st, now + 3602 * 1000 + 61 * 1000);
    st->ops->sweep(st, now + 3602 * 1000 + 62 * 1000);
    assert_int_equal(st->ops->channel_count(st), 0);
    e->ops->destroy(e);
}

static uint32_t g_clients, g_users;
static size_t g_n;
static void on_stats(void *arg, int err, uint32_t c, uint32_t u) { g_clients = c; g_users = u; }
static void on_pres(void *arg, int err, const struct clientinfo *e, size_t n) { g_n = n; }

static void test_presence(void **state)
{
    struct config cfg = {.history_meta_ttl = 3600};
    struct seen s = {0};
    struct engine_events ev = {.on_publication = on_pub, .on_join = on_join, .arg = &s};
    struct store *st;
    struct engine *e = engine_memory_new(&cfg, &ev, &st);
    struct clientinfo a = {span_str("u1"), span_str("c1"), {0}, {0}};
    struct clientinfo b = {span_str("u1"), span_str("c2"), {0}, {0}};
    struct clientinfo c = {span_str(""), span_str("c3"), {0}, {0}};
    st->ops->presence_add(st, span_str("r"), &a);
    st->ops->presence_add(st, span_str("r"), &b);
    st->ops->presence_add(st, span_str("r"), &c);
    st->ops->presence_add(st, span_str("r"), &c); /* refresh, not a second entry */
    st->ops->presence_stats(st, span_str("r"), on_stats, NULL);
    assert_int_equal(g_clients, 3);
    assert_int_equal(g_users, 2);
    st->ops->presence_remove(st, span_str("r"), span_str("c1"));
    st->ops->presence_get(st, span_str("r"), on_pres, NULL);
    assert_int_equal(g_n, 2);
    st->ops->presence_remove(st, span_str("r"), span_str("c2"));
    st->ops->presence_remove(st, span_str("r"), span_str("c3"));
    st->ops->presence_stats(st, span_str("r"), on_stats, NULL);
    assert_int_equal(g_clients, 0);
    assert_int_equal(g_users, 0);
    e->ops->destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_and_size),
        cmocka_unit_test(test_select_rules),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_memory_engine),
        cmocka_unit_test(test_presence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
