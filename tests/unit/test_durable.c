/* tests/unit/test_durable.c — the durable store (rooms/durable.h) under the
 * memory engine, on a real loop and a temporary data_dir, with a frozen
 * clock: record puts, counters and deletes are answered only after their
 * commit and survive close + reopen; records and publications whose expiry
 * passed while closed are gone; publications come back with their offsets
 * and epoch, and the next one continues the offsets; a history_remove
 * covers publications still waiting for their commit. The store itself
 * (rooms/durable.h), with one batch mixing publications, a history
 * removal and fresh epochs on the same channels, reloads what the same
 * changes made one by one would have left. A file of schema version 1 is
 * upgraded and its data found; a newer one is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <uv.h>

#include "rooms/durable.h"
#include "rooms/engine.h"
#include "util/clock.h"

#define T0 1800000000000LL

struct fx {
    uv_loop_t loop;
    uv_timer_t tick;       /* keeps the loop alive while waiting, as a server's handles do */
    struct config cfg;
    struct clock clk;
    struct engine *e;
    struct store *st;
    char dir[64];
    int answers;           /* record callbacks run */
    int last_err;
    char last_value[64];   /* "" when the answer had no record */
    int pubs;              /* on_publication calls */
    uint64_t order[8];     /* offsets of the first on_publication calls */
    uint64_t top;
    char epoch[16];
};

static void on_pub(void *arg, struct publication *p)
{
    struct fx *f = arg;
    if (f->pubs < 8)
        f->order[f->pubs] = p->offset;
    f->pubs++;
}
static void on_join(void *arg, struct span ch, const struct clientinfo *i, bool leave) {}

static void on_rec(void *arg, int err, const struct record *recs, size_t n)
{
    struct fx *f = arg;
    f->answers++;
    f->last_err = err;
    f->last_value[0] = 0;
    if (n)
        snprintf(f->last_value, sizeof(f->last_value), "%.*s", (int)recs[0].value.n,
                 (const char *)recs[0].value.p);
}

static void on_hist(void *arg, const struct history_result *r)
{
    struct fx *f = arg;
    f->top = r->top;
    snprintf(f->epoch, sizeof(f->epoch), "%s", r->epoch);
    f->pubs = (int)r->npubs;
}

static void on_published(void *arg, const struct publish_result *r)
{
    struct fx *f = arg;
    f->answers++;
    f->last_err = r->err;
    f->top = r->offset;
}

static void open_engine(struct fx *f)
{
    struct engine_events ev = {.on_publication = on_pub, .on_join = on_join, .arg = f};
    f->e = engine_memory_durable_new(&f->cfg, &ev, &f->loop, &f->clk, &f->st);
    assert_non_null(f->e);
}

static void close_engine(struct fx *f)
{
    f->e->ops->shutdown(f->e);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* the last batch commits, the handles close */
    f->e->ops->destroy(f->e);
    f->e = NULL;
}

static void on_tick(uv_timer_t *t) {}

/* Runs the loop until n answers arrived. */
static void wait_answers(struct fx *f, int n)
{
    uv_timer_start(&f->tick, on_tick, 1, 1);
    for (int i = 0; f->answers < n && i < 10000; i++)
        uv_run(&f->loop, UV_RUN_ONCE);
    uv_timer_stop(&f->tick);
    assert_int_equal(f->answers, n);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256];
    assert_int_equal(config_load(&f->cfg, NULL, err, sizeof(err)), 0);
    snprintf(f->dir, sizeof(f->dir), "/tmp/hearth-test-durable-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    free(f->cfg.data_dir);
    f->cfg.data_dir = strdup(f->dir);
    uv_loop_init(&f->loop);
    uv_timer_init(&f->loop, &f->tick);
    clock_set(&f->clk, T0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    uv_close((uv_handle_t *)&f->tick, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    config_free(&f->cfg);
    free(f);
    return 0;
}

static struct record rec(const char *key, const char *value, int64_t expire_ms)
{
    return (struct record){span_str(key), span_str(value), expire_ms};
}

static void test_records_survive(void **state)
{
    struct fx *f = *state;
    struct span ban = span_str("ban"), cnt = span_str("count");
    open_engine(f);
    struct record r1 = rec("u1", "forever", 0), r2 = rec("u2", "briefly", T0 + 1000),
                  r3 = rec("u3", "gone", 0), r4 = rec("u4", "later", T0 + 60000);
    assert_int_equal(f->st->ops->record_put(f->st, ban, &r1, 0, on_rec, f), 0);
    assert_int_equal(f->answers, 0); /* answered after the commit, not before */
    assert_int_equal(f->st->ops->record_put(f->st, ban, &r2, 0, on_rec, f), 0);
    assert_int_equal(f->st->ops->record_put(f->st, ban, &r3, 0, on_rec, f), 0);
    assert_int_equal(f->st->ops->record_put(f->st, ban, &r4, 0, on_rec, f), 0);
    assert_int_equal(f->st->ops->record_incr(f->st, cnt, span_str("k"), 5, 0, on_rec, f), 0);
    assert_int_equal(f->st->ops->record_incr(f->st, cnt, span_str("k"), 2, 0, on_rec, f), 0);
    assert_int_equal(f->answers, 0);
    wait_answers(f, 6);
    assert_int_equal(f->last_err, 0);
    assert_string_equal(f->last_value, "7");
    /* reads see memory at once */
    f->st->ops->record_get(f->st, ban, span_str("u3"), on_rec, f);
    assert_int_equal(f->answers, 7);
    assert_string_equal(f->last_value, "gone");
    assert_int_equal(f->st->ops->record_del(f->st, ban, span_str("u3"), on_rec, f), 0);
    struct record dup = rec("u1", "again", 0);
    assert_int_equal(f->st->ops->record_put(f->st, ban, &dup, RECORD_NX, on_rec, f), 0);
    wait_answers(f, 9);
    assert_string_equal(f->last_value, "forever"); /* NX refused: the existing one */
    close_engine(f);

    /* reopen 5 s later: u2 expired while closed, u3 deleted, the rest kept */
    clock_set(&f->clk, T0 + 5000);
    open_engine(f);
    f->answers = 0;
    f->st->ops->record_get(f->st, ban, span_str("u1"), on_rec, f);
    assert_string_equal(f->last_value, "forever");
    f->st->ops->record_get(f->st, ban, span_str("u2"), on_rec, f);
    assert_string_equal(f->last_value, "");
    f->st->ops->record_get(f->st, ban, span_str("u3"), on_rec, f);
    assert_string_equal(f->last_value, "");
    f->st->ops->record_get(f->st, ban, span_str("u4"), on_rec, f);
    assert_string_equal(f->last_value, "later");
    f->st->ops->record_get(f->st, cnt, span_str("k"), on_rec, f);
    assert_string_equal(f->last_value, "7");
    /* a counter back to 0 is deleted, on disk too */
    assert_int_equal(f->st->ops->record_incr(f->st, cnt, span_str("k"), -7, 0, on_rec, f), 0);
    wait_answers(f, 6);
    close_engine(f);

    /* and after u4's expiry */
    clock_set(&f->clk, T0 + 61000);
    open_engine(f);
    f->st->ops->record_get(f->st, ban, span_str("u4"), on_rec, f);
    assert_string_equal(f->last_value, "");
    f->st->ops->record_get(f->st, cnt, span_str("k"), on_rec, f);
    assert_string_equal(f->last_value, "");
    f->st->ops->record_get(f->st, ban, span_str("u1"), on_rec, f);
    assert_string_equal(f->last_value, "forever");
    close_engine(f);
}

static void test_publications_survive(void **state)
{
    struct fx *f = *state;
    const struct ns_config *ns = config_find_ns(&f->cfg, "chat:a", 6);
    assert_non_null(ns);
    struct publish_opts o = publish_opts_of(ns); /* 100 kept, 600 s */
    open_engine(f);
    for (int i = 0; i < 3; i++) {
        struct publication *p = publication_new(span_str("chat:a"), span_str("{}"), true, NULL);
        assert_int_equal(f->e->ops->publish(f->e, p, &o, on_published, f), 0);
        publication_unref(p);
    }
    assert_int_equal(f->pubs, 0); /* nobody sees an offset before its commit */
    wait_answers(f, 3);
    assert_int_equal(f->pubs, 3);
    assert_int_equal(f->top, 3);
    struct history_query all = {.limit = -1};
    f->st->ops->history(f->st, span_str("chat:a"), ns, &all, on_hist, f);
    char epoch[16];
    snprintf(epoch, sizeof(epoch), "%s", f->epoch);
    close_engine(f);

    clock_set(&f->clk, T0 + 10000);
    open_engine(f);
    f->st->ops->history(f->st, span_str("chat:a"), ns, &all, on_hist, f);
    assert_int_equal(f->top, 3);
    assert_int_equal(f->pubs, 3);
    assert_string_equal(f->epoch, epoch);
    f->answers = 0;
    struct publication *p = publication_new(span_str("chat:a"), span_str("{}"), true, NULL);
    assert_int_equal(f->e->ops->publish(f->e, p, &o, on_published, f), 0);
    publication_unref(p);
    wait_answers(f, 1);
    assert_int_equal(f->top, 4);
    close_engine(f);

    /* past the history TTL: the publications are gone, the position stays */
    clock_set(&f->clk, T0 + 700000);
    open_engine(f);
    f->st->ops->history(f->st, span_str("chat:a"), ns, &all, on_hist, f);
    assert_int_equal(f->pubs, 0);
    assert_int_equal(f->top, 4);
    assert_string_equal(f->epoch, epoch);
    close_engine(f);
}

/* history_remove while publications wait for their commit: they are
 * acknowledged and fanned out but not kept, in memory as on disk. */
static void test_remove_while_pending(void **state)
{
    struct fx *f = *state;
    const struct ns_config *ns = config_find_ns(&f->cfg, "chat:r", 6);
    struct publish_opts o = publish_opts_of(ns);
    struct history_query all = {.limit = -1};
    open_engine(f);
    for (int i = 0; i < 3; i++) {
        struct publication *p = publication_new(span_str("chat:r"), span_str("{}"), true, NULL);
        assert_int_equal(f->e->ops->publish(f->e, p, &o, on_published, f), 0);
        publication_unref(p);
    }
    assert_int_equal(f->st->ops->history_remove(f->st, span_str("chat:r")), 0);
    wait_answers(f, 3);
    assert_int_equal(f->last_err, 0);
    f->st->ops->history(f->st, span_str("chat:r"), ns, &all, on_hist, f);
    assert_int_equal(f->pubs, 0);
    assert_int_equal(f->top, 3);
    struct publication *p = publication_new(span_str("chat:r"), span_str("{}"), true, NULL);
    assert_int_equal(f->e->ops->publish(f->e, p, &o, on_published, f), 0);
    publication_unref(p);
    wait_answers(f, 4);
    close_engine(f);
    open_engine(f);
    f->st->ops->history(f->st, span_str("chat:r"), ns, &all, on_hist, f);
    assert_int_equal(f->pubs, 1);
    assert_int_equal(f->top, 4);
    close_engine(f);
}

/* A publication that is not kept (skip_history) does not overtake kept ones
 * of its channel still waiting for their commit; in another channel it
 * goes out at once. */
static void test_unkept_keeps_order(void **state)
{
    struct fx *f = *state;
    const struct ns_config *ns = config_find_ns(&f->cfg, "chat:o", 6);
    struct publish_opts kept = publish_opts_of(ns), unkept = {0, 0};
    open_engine(f);
    struct publication *p = publication_new(span_str("chat:o"), span_str("{}"), true, NULL);
    assert_int_equal(f->e->ops->publish(f->e, p, &kept, on_published, f), 0);
    publication_unref(p);
    p = publication_new(span_str("chat:o"), span_str("{}"), true, NULL);
    assert_int_equal(f->e->ops->publish(f->e, p, &unkept, on_published, f), 0);
    publication_unref(p);
    p = publication_new(span_str("chat:other"), span_str("{}"), true, NULL);
    assert_int_equal(f->e->ops->publish(f->e, p, &unkept, on_published, f), 0);
    publication_unref(p);
    assert_int_equal(f->pubs, 1); /* only the other channel's, at once */
    wait_answers(f, 3);
    assert_int_equal(f->pubs, 3);
    assert_int_equal(f->order[1], 1); /* the kept one, then the one not kept */
    assert_int_equal(f->order[2], 0);
    assert_int_equal(f->answers, 3);
    close_engine(f);
}

/* The disk refuses writes (RLIMIT_FSIZE, as a full disk): record changes
 * are answered with ENGINE_ETEMP and the store is unhealthy; they stay in
 * memory and are retried, so once the disk takes writes again (a probe
 * from the sweep) they reach it and survive a reopen. */
static void test_disk_full_records(void **state)
{
    struct fx *f = *state;
    struct span kind = span_str("audit");
    signal(SIGXFSZ, SIG_IGN);
    open_engine(f);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 256 << 10;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    static char big[16000];
    memset(big, 'v', sizeof(big) - 1);
    int failed_at = -1;
    char key[16];
    for (int i = 0; i < 200 && failed_at < 0; i++) {
        snprintf(key, sizeof(key), "k%03d", i);
        struct record r = {span_str(key), span_str(big), 0};
        assert_int_equal(f->st->ops->record_put(f->st, kind, &r, 0, on_rec, f), 0);
        wait_answers(f, i + 1);
        if (f->last_err)
            failed_at = i;
    }
    assert_true(failed_at > 0);
    assert_int_equal(f->last_err, ENGINE_ETEMP);
    assert_int_equal(f->st->ops->health(f->st), ENGINE_ETEMP);
    /* still in memory: reads see it */
    f->st->ops->record_get(f->st, kind, span_str(key), on_rec, f);
    assert_int_equal(f->last_err, 0);
    assert_int_equal(strlen(f->last_value), sizeof(f->last_value) - 1);
    /* space is back: the sweep's probe commits, with the retried change */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    f->answers = 0;
    f->st->ops->sweep(f->st, T0);
    uv_timer_start(&f->tick, on_tick, 1, 1);
    for (int i = 0; i < 10000 && f->st->ops->health(f->st) != 0; i++)
        uv_run(&f->loop, UV_RUN_ONCE);
    uv_timer_stop(&f->tick);
    assert_int_equal(f->st->ops->health(f->st), 0);
    assert_int_equal(f->st->ops->record_del(f->st, kind, span_str("k000"), on_rec, f), 0);
    wait_answers(f, 1);
    assert_int_equal(f->last_err, 0);
    close_engine(f);

    open_engine(f);
    f->st->ops->record_get(f->st, kind, span_str(key), on_rec, f);
    assert_int_equal(strlen(f->last_value), sizeof(f->last_value) - 1); /* the failed one */
    f->st->ops->record_get(f->st, kind, span_str("k000"), on_rec, f);
    assert_string_equal(f->last_value, "");
    f->st->ops->record_get(f->st, kind, span_str("k001"), on_rec, f);
    assert_int_equal(strlen(f->last_value), sizeof(f->last_value) - 1);
    close_engine(f);
}

/* What a reopened store loads (test_batch_orderings). keep: rows kept per
 * channel, the newest, as the engine's ring keeps history_size of them (the
 * store trims only every TRIM_EVERY publications); 0 keeps all. */
struct loaded {
    int nchans, npubs, nrecs, done, errs, keep;
    struct { char name[8], epoch[8]; uint64_t top; } chans[8];
    struct { char name[8], data[8]; uint64_t offset; } pubs[16];
};

static int ld_channel(void *ctx, struct span name, const char *epoch, uint64_t top,
                      int64_t meta_expire_ms)
{
    struct loaded *l = ctx;
    assert_true(l->nchans < 8);
    snprintf(l->chans[l->nchans].name, 8, "%.*s", (int)name.n, (const char *)name.p);
    snprintf(l->chans[l->nchans].epoch, 8, "%s", epoch);
    l->chans[l->nchans++].top = top;
    return 0;
}

static int ld_pub(void *ctx, struct publication *p, int64_t expire_ms)
{
    struct loaded *l = ctx;
    /* rows come by channel and position: a channel's last `keep` are at the end */
    int same = 0;
    while (same < l->npubs && strlen(l->pubs[l->npubs - 1 - same].name) == p->channel.n &&
           !memcmp(l->pubs[l->npubs - 1 - same].name, p->channel.p, p->channel.n))
        same++;
    if (l->keep && same >= l->keep) { /* drop the oldest of them */
        int first = l->npubs - same;
        memmove(&l->pubs[first], &l->pubs[first + 1], (size_t)(same - 1) * sizeof(l->pubs[0]));
        l->npubs--;
    }
    assert_true(l->npubs < 16);
    snprintf(l->pubs[l->npubs].name, 8, "%.*s", (int)p->channel.n, (const char *)p->channel.p);
    snprintf(l->pubs[l->npubs].data, 8, "%.*s", (int)p->data.n, (const char *)p->data.p);
    l->pubs[l->npubs++].offset = p->offset;
    return 0;
}

static int ld_record(void *ctx, struct span kind, const struct record *r)
{
    ((struct loaded *)ctx)->nrecs++;
    return 0;
}

static void ld_done(void *ctx, const struct durable_pub *dp, int err)
{
    struct loaded *l = ctx;
    l->done++;
    l->errs += err != 0;
}

static struct durable *store_open_keep(struct fx *f, struct loaded *l, int keep)
{
    memset(l, 0, sizeof(*l));
    l->keep = keep;
    struct durable_loader ld = {.channel = ld_channel, .pub = ld_pub, .record = ld_record,
                                .ctx = l};
    struct durable *d = durable_open(&f->cfg, &f->loop, T0 + 1000, &ld, ld_done, l);
    assert_non_null(d);
    return d;
}

static struct durable *store_open(struct fx *f, struct loaded *l) { return store_open_keep(f, l, 0); }

/* Commits what is queued (as one batch: nothing was handed over yet). */
static void store_close(struct fx *f, struct durable *d)
{
    durable_shutdown(d);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    durable_free(d);
}

static void jpub(struct durable *d, const char *ch, const char *data, const char *epoch,
                 uint64_t offset, uint32_t history_size, bool fresh)
{
    struct publication *p = publication_new(span_str(ch), span_str(data), false, NULL);
    assert_non_null(p);
    assert_int_equal(durable_pub(d, p, epoch, offset, history_size, T0 + 600000, T0 + 600000,
                                 fresh, NULL, NULL), 0);
    publication_unref(p);
}

static void expect_chan(const struct loaded *l, const char *name, const char *epoch, uint64_t top)
{
    for (int i = 0; i < l->nchans; i++)
        if (strcmp(l->chans[i].name, name) == 0) {
            assert_string_equal(l->chans[i].epoch, epoch);
            assert_int_equal(l->chans[i].top, top);
            return;
        }
    fail_msg("channel %s not loaded", name);
}

/* One batch: x gets 1-3, a removal, then 4-5; y gets 1-5 keeping 2; z gets
 * 1-3 of epoch e1 keeping 2, then a fresh epoch e2 with 1-2 (its rows are
 * not trimmed by e1's deferred trim, and e1's rows are dropped). */
static void test_batch_orderings(void **state)
{
    struct fx *f = *state;
    struct loaded l;
    struct durable *d = store_open(f, &l);
    char data[8];
    for (uint64_t i = 1; i <= 5; i++) {
        snprintf(data, sizeof(data), "x%d", (int)i);
        jpub(d, "x", data, "e1", i, 100, i == 1);
        if (i == 3)
            assert_int_equal(durable_remove(d, span_str("x")), 0);
        snprintf(data, sizeof(data), "y%d", (int)i);
        jpub(d, "y", data, "e1", i, 2, i == 1);
    }
    for (uint64_t i = 1; i <= 3; i++)
        jpub(d, "z", "z1", "e1", i, 2, i == 1);
    jpub(d, "z", "z2-1", "e2", 1, 2, true);
    jpub(d, "z", "z2-2", "e2", 2, 2, false);
    store_close(f, d);
    assert_int_equal(l.done, 15);
    assert_int_equal(l.errs, 0);

    d = store_open_keep(f, &l, 2);
    assert_int_equal(l.nchans, 3);
    expect_chan(&l, "x", "e1", 5);
    expect_chan(&l, "y", "e1", 5);
    expect_chan(&l, "z", "e2", 2);
    const char *want[6][2] = {{"x", "x4"}, {"x", "x5"}, {"y", "y4"}, {"y", "y5"},
                              {"z", "z2-1"}, {"z", "z2-2"}};
    const uint64_t offs[6] = {4, 5, 4, 5, 1, 2};
    assert_int_equal(l.npubs, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(l.pubs[i].name, want[i][0]);
        assert_string_equal(l.pubs[i].data, want[i][1]);
        assert_int_equal(l.pubs[i].offset, offs[i]);
    }
    /* the next batch continues on top of what was loaded */
    jpub(d, "y", "y6", "e1", 6, 2, false);
    store_close(f, d);
    d = store_open_keep(f, &l, 2);
    expect_chan(&l, "y", "e1", 6);
    assert_int_equal(l.npubs, 6); /* y4 trimmed, y6 added */
    assert_string_equal(l.pubs[2].data, "y5");
    assert_string_equal(l.pubs[3].data, "y6");
    store_close(f, d);
}

/* The schema of version 1, as hearthd 0.1 wrote it, with a channel "v" at
 * 7 (publications 6 and 7 kept) and one record. */
static const char v1_file[] =
    "CREATE TABLE schema_version(version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES(1);"
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER);"
    "CREATE TABLE channels(name BLOB PRIMARY KEY, epoch TEXT NOT NULL, top INTEGER NOT NULL,"
    " meta_expire_ms INTEGER NOT NULL);"
    "CREATE TABLE pubs(channel BLOB NOT NULL, pos INTEGER NOT NULL, expire_ms INTEGER NOT NULL,"
    " time_ms INTEGER NOT NULL, flags INTEGER NOT NULL, data BLOB NOT NULL, user BLOB,"
    " client BLOB, conn_info BLOB, chan_info BLOB, PRIMARY KEY(channel, pos));"
    "CREATE INDEX pubs_expire ON pubs(expire_ms);"
    "CREATE TABLE records(kind TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
    " expire_ms INTEGER NOT NULL, PRIMARY KEY(kind, key));"
    "CREATE INDEX records_expire ON records(expire_ms) WHERE expire_ms > 0;"
    "INSERT INTO channels VALUES(x'76', 'e1', 7, 1800000600000);"
    "INSERT INTO pubs VALUES(x'76', 6, 1800000600000, 1800000000000, 0, x'6436', NULL, NULL,"
    " NULL, NULL);"
    "INSERT INTO pubs VALUES(x'76', 7, 1800000600000, 1800000000000, 0, x'6437', NULL, NULL,"
    " NULL, NULL);"
    "INSERT INTO records VALUES('ban', x'7531', x'666f7265766572', 0);";

/* Runs sql on the test's database file; returns the first column of its
 * last row as an integer (0 without rows). */
static int64_t db_exec(struct fx *f, const char *sql)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/hearth.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *s;
    int64_t v = 0;
    const char *rest = sql;
    while (rest && *rest) {
        assert_int_equal(sqlite3_prepare_v2(db, rest, -1, &s, &rest), SQLITE_OK);
        if (!s)
            break;
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        assert_int_equal(rc, SQLITE_DONE);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

/* The WAL's checkpoint sequence (its header's bytes 12-15): how many times
 * it started over. */
static uint32_t wal_restarts(struct fx *f)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/hearth.db-wal", f->dir);
    FILE *fp = fopen(path, "rb");
    uint8_t h[16] = {0};
    if (fp) {
        if (fread(h, 1, sizeof(h), fp) != sizeof(h))
            memset(h, 0, sizeof(h));
        fclose(fp);
    }
    return (uint32_t)h[12] << 24 | (uint32_t)h[13] << 16 | (uint32_t)h[14] << 8 | h[15];
}

/* Commits back to back, with no pause for the WAL to be copied between
 * them: the checkpointer still makes it start over (before, it grew by
 * every commit for as long as they kept coming), and what it copied is in
 * the database file. */
static void test_wal_starts_over(void **state)
{
    struct fx *f = *state;
    struct loaded l;
    struct durable *d = store_open(f, &l);
    char ch[8], data[200];
    memset(data, 'w', sizeof(data) - 1);
    data[sizeof(data) - 1] = 0;
    uint64_t off[8] = {0};
    int sent = 0;
    uv_timer_start(&f->tick, on_tick, 1, 1);
    /* about a second of commits is enough here; a slow machine gets 120 */
    uint64_t until = uv_hrtime() + 120 * (uint64_t)1000000000;
    while (wal_restarts(f) < 2 && uv_hrtime() < until) {
        for (int c = 0; c < 8; c++) {
            snprintf(ch, sizeof(ch), "c%d", c);
            off[c]++;
            jpub(d, ch, data, "e1", off[c], 1, off[c] == 1);
            sent++;
        }
        while (l.done < sent)
            uv_run(&f->loop, UV_RUN_ONCE);
    }
    uv_timer_stop(&f->tick);
    assert_int_equal(l.errs, 0);
    assert_true(wal_restarts(f) >= 2);
    /* what was copied is in the database file, not only in the WAL */
    char path[128];
    struct stat st;
    snprintf(path, sizeof(path), "%s/hearth.db", f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 4 * 4096);
    store_close(f, d);
    /* trims run every 16 publications of a channel: at most 15 rows behind */
    int64_t rows = db_exec(f, "SELECT count(*) FROM pubs WHERE channel = x'6330'");
    assert_true(rows >= 1 && rows <= 16);
    d = store_open_keep(f, &l, 1);
    assert_int_equal(l.nchans, 8);
    for (int c = 0; c < 8; c++) {
        snprintf(ch, sizeof(ch), "c%d", c);
        expect_chan(&l, ch, "e1", off[c]);
    }
    store_close(f, d);
}

static void test_upgrade_v1(void **state)
{
    struct fx *f = *state;
    struct loaded l;
    db_exec(f, v1_file);
    struct durable *d = store_open(f, &l);
    assert_int_equal(l.nchans, 1);
    expect_chan(&l, "v", "e1", 7);
    assert_int_equal(l.npubs, 2);
    assert_string_equal(l.pubs[0].data, "d6");
    assert_int_equal(l.pubs[0].offset, 6);
    assert_string_equal(l.pubs[1].data, "d7");
    assert_int_equal(l.nrecs, 1);
    jpub(d, "v", "d8", "e1", 8, 2, false); /* keeps 7 and 8 */
    store_close(f, d);
    assert_int_equal(db_exec(f, "SELECT version FROM schema_version"), 2);
    assert_int_equal(db_exec(f, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                "('pubs', 'channels') AND sql LIKE '%WITHOUT ROWID'"), 2);

    d = store_open_keep(f, &l, 2);
    expect_chan(&l, "v", "e1", 8);
    assert_int_equal(l.npubs, 2);
    assert_string_equal(l.pubs[0].data, "d7");
    assert_string_equal(l.pubs[1].data, "d8");
    assert_int_equal(l.nrecs, 1);
    store_close(f, d);

    /* written by a newer hearthd: refused, and left as it is */
    db_exec(f, "UPDATE schema_version SET version = 3");
    struct durable_loader ld = {.channel = ld_channel, .pub = ld_pub, .ctx = &l};
    assert_null(durable_open(&f->cfg, &f->loop, T0 + 1000, &ld, ld_done, &l));
    assert_int_equal(db_exec(f, "SELECT version FROM schema_version"), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records_survive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publications_survive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_while_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unkept_keeps_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_orderings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_starts_over, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
