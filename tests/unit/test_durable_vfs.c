/* tests/unit/test_durable_vfs.c — the WAL-gathering VFS shim
 * (rooms/durable_vfs.h) on a real file: what a connection through the
 * shim committed is in the WAL when the commit returns (a second,
 * plain connection reads it at once, as the checkpointer's does); a
 * transaction that spills pages and reads them back before its commit, one
 * larger than what the shim gathers at a time, and a rolled-back one leave
 * the database as the same changes would without the shim; a checkpoint
 * through the shim copies it all into the database file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "rooms/durable_vfs.h"

struct fx {
    char dir[64], path[96];
    struct dvfs *vfs;
    sqlite3 *a;     /* through the shim */
    sqlite3 *b;     /* plain: SQLite's default VFS */
};

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : sqlite3_errstr(rc));
}

static int64_t one(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* PRAGMA integrity_check answers the one row "ok" on a sound file. */
static void sound(sqlite3 *db)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hearth-test-vfs-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
    f->vfs = dvfs_new();
    assert_non_null(f->vfs);
    assert_int_equal(sqlite3_open_v2(f->path, &f->a, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     dvfs_name(f->vfs)), SQLITE_OK);
    /* synchronous=NORMAL, as the store: no sync at commit, so the shim alone
     * puts the commit in the file */
    exec_ok(f->a, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                  "PRAGMA wal_autocheckpoint=0; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
    assert_int_equal(sqlite3_open_v2(f->path, &f->b, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    assert_int_equal(sqlite3_close(f->b), SQLITE_OK);
    assert_int_equal(sqlite3_close(f->a), SQLITE_OK);
    dvfs_free(f->vfs);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Inserts rows lo..hi-1 with n-byte values in one transaction. */
static void insert(sqlite3 *db, int lo, int hi, int n)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "WITH RECURSIVE r(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM r "
             "WHERE i < %d) INSERT INTO t SELECT i, randomblob(%d) FROM r", lo, hi - 1, n);
    exec_ok(db, sql);
}

static void test_commits_are_in_the_wal(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 50; i++) { /* small commits: each seen by the other connection at once */
        insert(f->a, i, i + 1, 100);
        assert_int_equal(one(f->b, "SELECT count(*) FROM t"), i + 1);
    }
    /* one commit of ~3 MB: gathered and written in 1 MB pieces */
    insert(f->a, 1000, 1750, 4000);
    assert_int_equal(one(f->b, "SELECT count(*) FROM t"), 800);
    assert_int_equal(one(f->b, "SELECT sum(length(v)) FROM t WHERE k >= 1000"), 750 * 4000);
    sound(f->b);
}

static void test_spills_and_rollback(void **state)
{
    struct fx *f = *state;
    /* a page cache of 10 pages: the transaction spills into the WAL and
     * reads its own pages back before it commits */
    exec_ok(f->a, "PRAGMA cache_size=10; BEGIN");
    insert(f->a, 0, 400, 1000);
    exec_ok(f->a, "UPDATE t SET v = zeroblob(1000) WHERE k % 3 = 0");
    assert_int_equal(one(f->a, "SELECT count(*) FROM t WHERE v = zeroblob(1000)"), 134);
    assert_int_equal(one(f->b, "SELECT count(*) FROM t"), 0); /* not committed */
    exec_ok(f->a, "COMMIT");
    assert_int_equal(one(f->b, "SELECT count(*) FROM t"), 400);
    assert_int_equal(one(f->b, "SELECT count(*) FROM t WHERE v = zeroblob(1000)"), 134);
    /* rolled back, spilled or not: never seen */
    exec_ok(f->a, "BEGIN");
    insert(f->a, 400, 800, 1000);
    exec_ok(f->a, "ROLLBACK");
    insert(f->a, 800, 801, 10);
    assert_int_equal(one(f->b, "SELECT count(*) FROM t"), 401);
    /* a checkpoint through the shim copies everything into the file */
    int frames = -1, copied = -1;
    assert_int_equal(sqlite3_wal_checkpoint_v2(f->a, NULL, SQLITE_CHECKPOINT_TRUNCATE, &frames,
                                               &copied), SQLITE_OK);
    assert_int_equal(frames, 0); /* TRUNCATE: the WAL is empty after */
    sqlite3 *c;
    assert_int_equal(sqlite3_open_v2(f->path, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(one(c, "SELECT count(*) FROM t"), 401);
    sound(c);
    sqlite3_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commits_are_in_the_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spills_and_rollback, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
