/* rooms/durable_db.c — the SQL of the durable store (see durable_db.h):
 * SQLite 3.40 (Debian 12), WAL journal. One hearthd per database: an
 * exclusive flock() on "<db>.lock", taken before the database is opened,
 * refuses a second one at start. Checkpoints are not the committing
 * connection's (wal_autocheckpoint=0): a checkpointer thread with its own
 * connection runs a PASSIVE checkpoint every CKPT_EVERY_MS, so a commit —
 * and every acknowledgement waiting for it — never pays for copying the
 * WAL into the database (that cost tens of ms every ~4,096 pages, the
 * store's p99). A WAL starts over only when a transaction begins with all
 * of it copied, which never happens while commits keep coming: once it
 * holds RESTART_FRAMES, the checkpointer copies the last few frames with
 * the writer held off (wal_mu, around every batch), so the next commit
 * starts it over. Both connections open through the WAL shim
 * (durable_vfs.h: one write per commit). Owns both connections, the shim,
 * the lock descriptor, the checkpointer thread, the prepared statements and
 * the per-batch table of channel positions (struct pend). Rows are checked
 * as they load: a value no hearthd writes is reported as corrupt.
 *
 * Per batch the writer inserts each kept publication as it comes, but
 * writes each channel's position (the upsert) and its trim once, when the
 * batch ends: the last top, epoch and meta expiry, and the highest trim
 * position (the trim itself only every TRIM_EVERY publications). A
 * channel's deferred position is written before anything that must see it:
 * a fresh stream's drop or a history removal of that channel, or an expiry
 * sweep (all channels). */
#include "rooms/durable_db.h"
#include "rooms/durable_vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <uv.h>

#include "util/dict.h"

enum {
    ST_CHAN_UPSERT, ST_PUB_INSERT, ST_PUB_TRIM, ST_PUB_DROP, ST_SWEEP_PUBS, ST_SWEEP_CHANS,
    ST_SWEEP_RECS, ST_PROBE, ST_REC_PUT, ST_REC_DEL, ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_CHAN_UPSERT] = "INSERT INTO channels(name, epoch, top, meta_expire_ms) VALUES(?1, ?2, ?3, ?4) "
                       "ON CONFLICT(name) DO UPDATE SET epoch = excluded.epoch, top = excluded.top, "
                       "meta_expire_ms = excluded.meta_expire_ms",
    [ST_PUB_INSERT] = "INSERT OR REPLACE INTO pubs(channel, pos, expire_ms, time_ms, flags, data, "
                      "user, client, conn_info, chan_info) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_PUB_TRIM] = "DELETE FROM pubs WHERE channel = ?1 AND pos <= ?2",
    [ST_PUB_DROP] = "DELETE FROM pubs WHERE channel = ?1",
    [ST_SWEEP_PUBS] = "DELETE FROM pubs WHERE expire_ms <= ?1",
    [ST_SWEEP_CHANS] = "DELETE FROM channels WHERE meta_expire_ms <= ?1 AND NOT EXISTS "
                       "(SELECT 1 FROM pubs WHERE pubs.channel = channels.name)",
    [ST_SWEEP_RECS] = "DELETE FROM records WHERE expire_ms > 0 AND expire_ms <= ?1",
    [ST_PROBE] = "INSERT OR REPLACE INTO meta(k, v) VALUES('written_ms', ?1)",
    [ST_REC_PUT] = "INSERT OR REPLACE INTO records(kind, key, value, expire_ms) VALUES(?1, ?2, ?3, ?4)",
    [ST_REC_DEL] = "DELETE FROM records WHERE kind = ?1 AND key = ?2",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

/* migrations[v] takes a database at schema version v to v + 1; [0] creates
 * it. A new schema version appends one step. */
static const char *const migrations[DURABLE_SCHEMA_VERSION] = {
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER);"
    "CREATE TABLE channels(name BLOB PRIMARY KEY, epoch TEXT NOT NULL, top INTEGER NOT NULL,"
    " meta_expire_ms INTEGER NOT NULL);"
    "CREATE TABLE pubs(channel BLOB NOT NULL, pos INTEGER NOT NULL, expire_ms INTEGER NOT NULL,"
    " time_ms INTEGER NOT NULL, flags INTEGER NOT NULL, data BLOB NOT NULL, user BLOB,"
    " client BLOB, conn_info BLOB, chan_info BLOB, PRIMARY KEY(channel, pos));"
    "CREATE INDEX pubs_expire ON pubs(expire_ms);"
    "CREATE TABLE records(kind TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
    " expire_ms INTEGER NOT NULL, PRIMARY KEY(kind, key));"
    "CREATE INDEX records_expire ON records(expire_ms) WHERE expire_ms > 0;",
    /* 1 → 2: channels and pubs become WITHOUT ROWID tables keyed by their
     * primary key, so a publication updates two b-trees (pubs and
     * pubs_expire) instead of three, and a position one instead of two */
    "CREATE TABLE channels2(name BLOB PRIMARY KEY, epoch TEXT NOT NULL, top INTEGER NOT NULL,"
    " meta_expire_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO channels2 SELECT name, epoch, top, meta_expire_ms FROM channels;"
    "DROP TABLE channels;"
    "ALTER TABLE channels2 RENAME TO channels;"
    "CREATE TABLE pubs2(channel BLOB NOT NULL, pos INTEGER NOT NULL, expire_ms INTEGER NOT NULL,"
    " time_ms INTEGER NOT NULL, flags INTEGER NOT NULL, data BLOB NOT NULL, user BLOB,"
    " client BLOB, conn_info BLOB, chan_info BLOB, PRIMARY KEY(channel, pos)) WITHOUT ROWID;"
    "INSERT INTO pubs2 SELECT channel, pos, expire_ms, time_ms, flags, data, user, client,"
    " conn_info, chan_info FROM pubs;"
    "DROP TABLE pubs;"
    "ALTER TABLE pubs2 RENAME TO pubs;"
    "CREATE INDEX pubs_expire ON pubs(expire_ms);",
};

#define PUB_HAS_INFO 1
#define PUB_IS_JSON 2

/* A channel's position not yet written in the batch being applied. */
struct pend {
    struct dict_entry de;           /* key: the channel, borrowed from last's publication */
    const struct dop *last;         /* borrowed: its last kept publication; NULL = written */
    uint64_t trim;                  /* delete rows at or below it (0: none) */
    uint64_t trim_lo;               /* the batch's lowest trim position for it (0: none yet) */
};

struct ddb {
    sqlite3 *db;                    /* owned: the writer's connection */
    struct dvfs *vfs;               /* owned: both connections open through it */
    int lock_fd;                    /* owned: flock()ed "<db>.lock", -1 = none */
    sqlite3 *ck_db;                 /* owned: the checkpointer's connection */
    uv_thread_t ck_thread;
    uv_mutex_t ck_mu;
    uv_cond_t ck_cond;              /* ck_quit was set */
    uv_mutex_t wal_mu;              /* held by the writer for a batch, by the checkpointer to finish */
    bool ck_quit;                   /* ck_mu */
    bool ck_up;                     /* the thread runs (join at close) */
    uint64_t ck_rounds, ck_restarts; /* written by the checkpointer, read by anyone (atomics) */
    uint32_t ck_frames;
    sqlite3_stmt *st[ST_COUNT];     /* owned */
    struct dict chans;              /* the batch's pends by channel (owns its buckets) */
    struct pend *pend;              /* owned: room for one per op of the batch */
    size_t npend, pend_cap;
    size_t pend_room;               /* pends this batch may add (they never move) */
};

/* A bigger page cache than the 2 MB default (the hot pages of many
 * channels' histories stay in it); no checkpoints by the committing
 * connection (the checkpointer thread's). */
#define TUNING "PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=0; PRAGMA temp_store=MEMORY; " \
    "PRAGMA journal_size_limit=" WAL_KEEP_BYTES
#define CKPT_EVERY_MS 200   /* the checkpointer's period */
/* Frames (pages) after which the checkpointer makes the WAL start over:
 * 4 MB of 4 KB pages. A file grown past WAL_KEEP_BYTES by a burst is cut
 * back to it when it starts over. */
#define RESTART_FRAMES 1024
#define WAL_KEEP_BYTES "16777216"
#define BUSY_MS 1000        /* either connection waits this long for the other's lock */

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

static const uint8_t empty[1];

static void bind_span(sqlite3_stmt *s, int i, struct span v)
{
    sqlite3_bind_blob(s, i, v.n ? (const void *)v.p : (const void *)empty, (int)v.n, SQLITE_STATIC);
}

static struct span col_span(sqlite3_stmt *s, int i)
{
    struct span v = {sqlite3_column_blob(s, i), (size_t)sqlite3_column_bytes(s, i)};
    if (!v.p)
        v.n = 0;
    return v;
}

/* SQLite's message for db's last error, with the system's when there is
 * one (a full disk, a read-only directory), into buf. */
static const char *why(sqlite3 *db, char *buf, size_t n)
{
    int e = sqlite3_system_errno(db);
    if (e)
        snprintf(buf, n, "%s: %s", sqlite3_errmsg(db), strerror(e));
    else
        snprintf(buf, n, "%s", sqlite3_errmsg(db));
    return buf;
}

static int exec1(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* The single text a pragma answers into out; SQLITE_OK or an error. */
static int pragma_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    out[0] = 0;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(out, n, "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

/* The stored schema version (0: new file) or a negative SQLite error. */
static int64_t schema_version(sqlite3 *db)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &s, NULL) != SQLITE_OK)
        return -1;
    int64_t v = 0;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    else if (rc != SQLITE_DONE)
        v = -1;
    sqlite3_finalize(s);
    return v;
}

static int load_channels(sqlite3 *db, int64_t now, const struct durable_loader *ld)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db,
        "SELECT name, epoch, top, meta_expire_ms FROM channels c WHERE meta_expire_ms > ?1 OR "
        "EXISTS (SELECT 1 FROM pubs p WHERE p.channel = c.name AND p.expire_ms > ?1)", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(s, 1, now);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct span name = col_span(s, 0);
        const char *epoch = (const char *)sqlite3_column_text(s, 1);
        int64_t top = sqlite3_column_int64(s, 2);
        if (!name.n || !epoch || !*epoch || strlen(epoch) > EPOCH_LEN || top < 0) {
            rc = SQLITE_CORRUPT;
            break;
        }
        if (ld->channel(ld->ctx, name, epoch, (uint64_t)top, sqlite3_column_int64(s, 3)) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int load_pubs(sqlite3 *db, int64_t now, const struct durable_loader *ld)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db,
        "SELECT channel, pos, expire_ms, time_ms, flags, data, user, client, conn_info, chan_info "
        "FROM pubs WHERE expire_ms > ?1 ORDER BY channel, pos", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(s, 1, now);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct span ch = col_span(s, 0);
        int64_t pos = sqlite3_column_int64(s, 1);
        int64_t flags = sqlite3_column_int64(s, 4);
        if (!ch.n || pos < 1 || flags < 0 || flags > (PUB_HAS_INFO | PUB_IS_JSON)) {
            rc = SQLITE_CORRUPT;
            break;
        }
        struct clientinfo ci = {col_span(s, 6), col_span(s, 7), col_span(s, 8), col_span(s, 9)};
        struct publication *p = publication_new(ch, col_span(s, 5), flags & PUB_IS_JSON,
                                                flags & PUB_HAS_INFO ? &ci : NULL);
        if (!p) {
            rc = SQLITE_NOMEM;
            break;
        }
        p->offset = (uint64_t)pos;
        p->time_ms = sqlite3_column_int64(s, 3);
        int lr = ld->pub(ld->ctx, p, sqlite3_column_int64(s, 2));
        publication_unref(p);
        if (lr != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int load_records(sqlite3 *db, int64_t now, const struct durable_loader *ld)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db,
        "SELECT kind, key, value, expire_ms FROM records WHERE expire_ms = 0 OR expire_ms > ?1 "
        "ORDER BY kind, key", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(s, 1, now);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct span kind = col_span(s, 0);
        struct record r = {col_span(s, 1), col_span(s, 2), sqlite3_column_int64(s, 3)};
        if (!kind.n || kind.n > RECORD_KIND_MAX || !r.key.n || r.key.n > RECORD_KEY_MAX ||
            r.value.n > RECORD_VALUE_MAX || r.expire_ms < 0) {
            rc = SQLITE_CORRUPT;
            break;
        }
        if (ld->record && ld->record(ld->ctx, kind, &r) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The checkpointer thread: a PASSIVE checkpoint every CKPT_EVERY_MS on its
 * own connection. It copies what the WAL holds into the database and syncs
 * it while the writer keeps committing (PASSIVE takes no lock a writer
 * needs). Frames committed meanwhile stay behind, so under a steady load
 * the WAL would never start over and grow without end: once it holds
 * RESTART_FRAMES, a second PASSIVE copies that rest (little: what was
 * committed during the first) with the writer held off, and the writer's
 * next transaction starts the WAL over. BUSY and I/O errors are left for
 * the next round (a full disk shows in the writer's commits, which answer
 * 100). */
static void ck_main(void *arg)
{
    struct ddb *d = arg;
    int last_copied = 0; /* frames the WAL had backfilled at the last round */
    uv_mutex_lock(&d->ck_mu);
    while (!d->ck_quit) {
        uv_cond_timedwait(&d->ck_cond, &d->ck_mu, (uint64_t)CKPT_EVERY_MS * 1000000u);
        if (d->ck_quit)
            break;
        uv_mutex_unlock(&d->ck_mu);
        int frames = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(d->ck_db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
                                           &copied);
        if (rc == SQLITE_OK && copied > 0 && copied != last_copied) /* else: nothing new */
            __atomic_add_fetch(&d->ck_rounds, 1, __ATOMIC_RELAXED);
        if (rc == SQLITE_OK)
            last_copied = copied;
        if (rc == SQLITE_OK)
            __atomic_store_n(&d->ck_frames, (uint32_t)(frames > 0 ? frames : 0), __ATOMIC_RELAXED);
        if (rc == SQLITE_OK && frames >= RESTART_FRAMES) {
            uv_mutex_lock(&d->wal_mu);
            rc = sqlite3_wal_checkpoint_v2(d->ck_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
            uv_mutex_unlock(&d->wal_mu);
            if (rc == SQLITE_OK)
                __atomic_add_fetch(&d->ck_restarts, 1, __ATOMIC_RELAXED);
        }
        uv_mutex_lock(&d->ck_mu);
    }
    uv_mutex_unlock(&d->ck_mu);
}

static int ck_start(struct ddb *d, const char *path)
{
    if (sqlite3_open_v2(path, &d->ck_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        dvfs_name(d->vfs)) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(d->ck_db, BUSY_MS);
    /* a first read opens the WAL: until then the connection does not know
     * the database is in WAL mode and its checkpoints do nothing */
    if (exec1(d->ck_db, "PRAGMA wal_autocheckpoint=0; SELECT 1 FROM schema_version LIMIT 1") !=
        SQLITE_OK)
        return -1;
    if (uv_mutex_init(&d->ck_mu) != 0)
        return -1;
    if (uv_mutex_init(&d->wal_mu) != 0) {
        uv_mutex_destroy(&d->ck_mu);
        return -1;
    }
    if (uv_cond_init(&d->ck_cond) != 0) {
        uv_mutex_destroy(&d->wal_mu);
        uv_mutex_destroy(&d->ck_mu);
        return -1;
    }
    if (uv_thread_create(&d->ck_thread, ck_main, d) != 0) {
        uv_cond_destroy(&d->ck_cond);
        uv_mutex_destroy(&d->wal_mu);
        uv_mutex_destroy(&d->ck_mu);
        return -1;
    }
    d->ck_up = true;
    return 0;
}

/* One hearthd per database: an exclusive, non-blocking flock() on
 * "<path>.lock", held until ddb_close (the kernel drops it if the process
 * dies). 0, or -1 with err set. */
static int take_lock(struct ddb *d, const char *path, char *err, size_t errlen)
{
    char lp[4096];
    snprintf(lp, sizeof(lp), "%s.lock", path);
    d->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lock_fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", lp, strerror(errno));
        return -1;
    }
    if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            snprintf(err, errlen, "%s is in use by another process (another hearthd with the "
                     "same data_dir?)", path);
        else
            snprintf(err, errlen, "cannot lock %s: %s", lp, strerror(errno));
        return -1;
    }
    return 0;
}

struct ddb *ddb_open(const char *path, bool sync_full, int64_t now_ms,
                     const struct durable_loader *ld, char *err, size_t errlen)
{
    struct ddb *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->lock_fd = -1;
    dict_init(&d->chans);
    char text[64], wb[256];
    if (take_lock(d, path, err, errlen) != 0)
        goto fail;
    if (!(d->vfs = dvfs_new()))
        FAIL("cannot open %s: out of memory", path);
    int rc = sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX, dvfs_name(d->vfs));
    if (rc != SQLITE_OK)
        FAIL("cannot open %s: %s", path, d->db ? why(d->db, wb, sizeof(wb)) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(d->db, 1);
    sqlite3_busy_timeout(d->db, BUSY_MS);
    if ((rc = pragma_text(d->db, "PRAGMA journal_mode=WAL", text, sizeof(text))) != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
            FAIL("%s is in use by another process (another hearthd with the same data_dir?)",
                 path);
        FAIL("cannot use %s: %s", path, why(d->db, wb, sizeof(wb)));
    }
    if (strcmp(text, "wal") != 0)
        FAIL("cannot use %s: WAL journal refused (journal_mode is \"%s\")", path, text);
    if ((rc = exec1(d->db, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")) ||
        (rc = exec1(d->db, TUNING)))
        FAIL("cannot use %s: %s", path, why(d->db, wb, sizeof(wb)));
    if ((rc = pragma_text(d->db, "PRAGMA quick_check", text, sizeof(text))) != SQLITE_OK)
        FAIL("%s is unreadable or corrupt: %s", path, why(d->db, wb, sizeof(wb)));
    if (strcmp(text, "ok") != 0)
        FAIL("%s is corrupt (integrity check: %s); restore it from a backup or move it away",
             path, text);
    /* the schema, and a first write: a read-only directory or a full disk
     * is found now, at start, not at the first publish */
    if ((rc = exec1(d->db, "BEGIN IMMEDIATE")) != SQLITE_OK ||
        (rc = exec1(d->db, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)")))
        FAIL("cannot write %s: %s", path, why(d->db, wb, sizeof(wb)));
    int64_t v = schema_version(d->db);
    if (v < 0)
        FAIL("%s is unreadable: %s", path, why(d->db, wb, sizeof(wb)));
    if (v > DURABLE_SCHEMA_VERSION)
        FAIL("%s has schema version %lld, newer than this hearthd knows (%d): it was written by a "
             "newer hearthd; refusing to open it", path, (long long)v, DURABLE_SCHEMA_VERSION);
    for (int64_t i = v; i < DURABLE_SCHEMA_VERSION; i++)
        if ((rc = exec1(d->db, migrations[i])) != SQLITE_OK)
            FAIL("cannot upgrade %s from schema version %lld: %s", path, (long long)i,
                 why(d->db, wb, sizeof(wb)));
    if (v < DURABLE_SCHEMA_VERSION) {
        char sql[96];
        snprintf(sql, sizeof(sql), "DELETE FROM schema_version; INSERT INTO schema_version "
                 "VALUES(%d)", DURABLE_SCHEMA_VERSION);
        if ((rc = exec1(d->db, sql)) != SQLITE_OK)
            FAIL("cannot write %s: %s", path, why(d->db, wb, sizeof(wb)));
    }
    for (int i = 0; i < ST_COUNT; i++)
        if ((rc = sqlite3_prepare_v3(d->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &d->st[i],
                                     NULL)) != SQLITE_OK)
            FAIL("%s: unexpected schema: %s", path, why(d->db, wb, sizeof(wb)));
    sqlite3_bind_int64(d->st[ST_PROBE], 1, now_ms);
    rc = sqlite3_step(d->st[ST_PROBE]);
    sqlite3_reset(d->st[ST_PROBE]);
    if (rc != SQLITE_DONE || (rc = exec1(d->db, "COMMIT")) != SQLITE_OK)
        FAIL("cannot write %s: %s", path, why(d->db, wb, sizeof(wb)));
    if ((rc = load_channels(d->db, now_ms, ld)) != SQLITE_OK ||
        (rc = load_pubs(d->db, now_ms, ld)) != SQLITE_OK ||
        (rc = load_records(d->db, now_ms, ld)) != SQLITE_OK)
        FAIL("cannot load %s: %s", path, rc == SQLITE_CORRUPT ? "a row holds values no hearthd "
             "writes (corrupt file)" : rc == SQLITE_NOMEM ? "out of memory" : why(d->db, wb, sizeof(wb)));
    if (ck_start(d, path) != 0)
        FAIL("cannot open %s for checkpoints: %s", path,
             d->ck_db ? why(d->ck_db, wb, sizeof(wb)) : "out of memory");
    return d;
fail:
    ddb_close(d);
    return NULL;
}

static int step1(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc;
}

/* Writes the position of channel as o (the last publication there). */
static int chan_upsert(struct ddb *d, struct span channel, const struct dop *o)
{
    sqlite3_stmt *s = d->st[ST_CHAN_UPSERT];
    bind_span(s, 1, channel);
    sqlite3_bind_text(s, 2, o->epoch, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (int64_t)o->offset);
    sqlite3_bind_int64(s, 4, o->meta_expire_ms);
    return step1(s);
}

/* Deletes channel's rows at or below pos (0: none). */
static int pub_trim(struct ddb *d, struct span channel, uint64_t pos)
{
    if (pos == 0)
        return SQLITE_DONE;
    sqlite3_stmt *s = d->st[ST_PUB_TRIM];
    bind_span(s, 1, channel);
    sqlite3_bind_int64(s, 2, (int64_t)pos);
    return step1(s);
}

static int pub_drop(struct ddb *d, struct span channel)
{
    sqlite3_stmt *s = d->st[ST_PUB_DROP];
    bind_span(s, 1, channel);
    return step1(s);
}

static int pub_insert(struct ddb *d, const struct dop *o)
{
    const struct publication *p = o->pub;
    sqlite3_stmt *s = d->st[ST_PUB_INSERT];
    bind_span(s, 1, p->channel);
    sqlite3_bind_int64(s, 2, (int64_t)o->offset);
    sqlite3_bind_int64(s, 3, o->expire_ms);
    sqlite3_bind_int64(s, 4, p->time_ms);
    sqlite3_bind_int(s, 5, (p->has_info ? PUB_HAS_INFO : 0) | (p->data_is_json ? PUB_IS_JSON : 0));
    bind_span(s, 6, p->data);
    const struct span *info[4] = {&p->info.user, &p->info.client, &p->info.conn_info,
                                  &p->info.chan_info};
    for (int i = 0; i < 4; i++)
        if (p->has_info)
            bind_span(s, 7 + i, *info[i]);
        else
            sqlite3_bind_null(s, 7 + i);
    return step1(s);
}

/* The highest row o's trim deletes (0: none). */
static uint64_t trim_pos(const struct dop *o)
{
    return o->offset > o->history_size ? o->offset - o->history_size : 0;
}

/* Rows past history_size are deleted once every TRIM_EVERY publications of
 * a channel, not with each: a trim writes the b-tree pages of the oldest
 * rows and their expiry index, which per publication was about a third of
 * what a commit wrote. The loader keeps the newest history_size rows of a
 * channel, so the (at most TRIM_EVERY - 1) rows left behind are never
 * seen. Stateless: the trim runs in the batch whose trim positions lo..hi
 * reach a multiple of TRIM_EVERY, and every position is committed once. */
#define TRIM_EVERY 16

static bool trim_due(uint64_t lo, uint64_t hi)
{
    return hi && hi / TRIM_EVERY > (lo ? lo - 1 : 0) / TRIM_EVERY;
}

/* Writes e's deferred position and trim, if any. */
static int pend_flush(struct ddb *d, struct pend *e)
{
    if (!e || !e->last)
        return SQLITE_DONE;
    struct span ch = e->last->pub->channel;
    int rc = chan_upsert(d, ch, e->last);
    if (rc == SQLITE_DONE && trim_due(e->trim_lo, e->trim))
        rc = pub_trim(d, ch, e->trim);
    e->last = NULL;
    e->trim = e->trim_lo = 0;
    return rc;
}

static int pend_flush_all(struct ddb *d)
{
    int rc = SQLITE_DONE;
    for (size_t i = 0; rc == SQLITE_DONE && i < d->npend; i++)
        rc = pend_flush(d, &d->pend[i]);
    return rc;
}

static struct pend *pend_find(struct ddb *d, struct span channel)
{
    struct dict_entry *e = dict_find(&d->chans, channel.p, channel.n);
    return e ? DICT_CONTAINER(e, struct pend, de) : NULL;
}

/* channel's pend, added if new; NULL when out of memory (then the
 * publication is written on its own). */
static struct pend *pend_get(struct ddb *d, struct span channel)
{
    struct pend *e = pend_find(d, channel);
    if (e || d->npend == d->pend_room)
        return e;
    e = &d->pend[d->npend];
    *e = (struct pend){.de = {.key = (const char *)channel.p, .klen = channel.n}};
    if (dict_insert(&d->chans, &e->de) != 0)
        return NULL;
    d->npend++;
    return e;
}

/* Room for one pend per op of a batch of n, so pends never move while
 * the dict points at them. Out of memory: the room stays as it was. */
static void pend_reserve(struct ddb *d, size_t n)
{
    if (n <= d->pend_cap)
        return;
    struct pend *p = realloc(d->pend, n * sizeof(*p));
    if (!p)
        return;
    d->pend = p;
    d->pend_cap = n;
}

/* Forgets the batch's pends (the dict keeps its buckets). */
static void pend_reset(struct ddb *d)
{
    for (size_t i = 0; i < d->npend; i++)
        dict_remove(&d->chans, &d->pend[i].de);
    d->npend = 0;
}

/* A kept publication: a fresh stream drops the channel's older rows first
 * (after writing what is deferred for it); the row is inserted now, the
 * position and trim are deferred to its channel's pend. */
static int apply_pub(struct ddb *d, const struct dop *o)
{
    struct span ch = o->pub->channel;
    struct pend *e = pend_get(d, ch);
    int rc = SQLITE_DONE;
    if (o->fresh && (rc = pend_flush(d, e)) == SQLITE_DONE)
        rc = pub_drop(d, ch);
    if (rc == SQLITE_DONE)
        rc = pub_insert(d, o);
    if (rc != SQLITE_DONE)
        return rc;
    uint64_t t = trim_pos(o);
    if (!e) { /* no pend: written at once, as it comes */
        rc = chan_upsert(d, ch, o);
        return rc == SQLITE_DONE && trim_due(t, t) ? pub_trim(d, ch, t) : rc;
    }
    e->last = o;
    if (t && (!e->trim_lo || t < e->trim_lo))
        e->trim_lo = t;
    if (t > e->trim)
        e->trim = t;
    return SQLITE_DONE;
}

/* One op's statements; SQLITE_DONE or the failing code. */
static int apply_op(struct ddb *d, const struct dop *o)
{
    sqlite3_stmt *s;
    int rc;
    switch (o->kind) {
    case DOP_PUB:
        /* offset 0: not kept, only its place in the order */
        return o->offset ? apply_pub(d, o) : SQLITE_DONE;
    case DOP_REMOVE: {
        struct span ch = {o->buf, o->len_a};
        rc = pend_flush(d, pend_find(d, ch));
        return rc == SQLITE_DONE ? pub_drop(d, ch) : rc;
    }
    case DOP_SWEEP:
        rc = pend_flush_all(d); /* the sweep must see every position */
        for (int i = ST_SWEEP_PUBS; rc == SQLITE_DONE && i <= ST_SWEEP_RECS; i++) {
            sqlite3_bind_int64(d->st[i], 1, o->now_ms);
            rc = step1(d->st[i]);
        }
        return rc;
    case DOP_PROBE:
        s = d->st[ST_PROBE];
        sqlite3_bind_int64(s, 1, o->now_ms);
        break;
    case DOP_REC_PUT:
        s = d->st[ST_REC_PUT];
        sqlite3_bind_text(s, 1, (const char *)o->buf, (int)o->len_a, SQLITE_STATIC);
        bind_span(s, 2, (struct span){o->buf + o->len_a, o->len_b});
        bind_span(s, 3, (struct span){o->buf + o->len_a + o->len_b, o->len_c});
        sqlite3_bind_int64(s, 4, o->expire_ms);
        break;
    case DOP_REC_DEL:
        s = d->st[ST_REC_DEL];
        sqlite3_bind_text(s, 1, (const char *)o->buf, (int)o->len_a, SQLITE_STATIC);
        bind_span(s, 2, (struct span){o->buf + o->len_a, o->len_b});
        break;
    case DOP_BARRIER:
    default:
        return SQLITE_DONE;
    }
    return step1(s);
}

/* b's ops, then the deferred positions, in one transaction; SQLITE_DONE
 * or the failing code. */
static int apply_batch(struct ddb *d, const struct batch *b)
{
    /* out of memory: fewer pends (or none), the others written as they come */
    pend_reserve(d, b->n);
    d->pend_room = b->n < d->pend_cap ? b->n : d->pend_cap;
    int rc = step1(d->st[ST_BEGIN]);
    for (size_t i = 0; rc == SQLITE_DONE && i < b->n; i++)
        rc = apply_op(d, &b->ops[i]);
    if (rc == SQLITE_DONE)
        rc = pend_flush_all(d);
    if (rc == SQLITE_DONE)
        rc = step1(d->st[ST_COMMIT]);
    pend_reset(d);
    return rc;
}

void ddb_apply(struct ddb *d, struct batch *b)
{
    b->err = 0;
    if (d->ck_up)
        uv_mutex_lock(&d->wal_mu);
    int rc = apply_batch(d, b);
    if (rc != SQLITE_DONE) {
        b->err = ENGINE_ETEMP;
        char wb[200];
        snprintf(b->errmsg, sizeof(b->errmsg), "%s", why(d->db, wb, sizeof(wb)));
        if (!sqlite3_get_autocommit(d->db))
            step1(d->st[ST_ROLLBACK]);
    }
    if (d->ck_up)
        uv_mutex_unlock(&d->wal_mu);
}

void ddb_ck_stats(struct ddb *d, uint64_t *checkpoints, uint64_t *restarts, uint32_t *frames)
{
    *checkpoints = __atomic_load_n(&d->ck_rounds, __ATOMIC_RELAXED);
    *restarts = __atomic_load_n(&d->ck_restarts, __ATOMIC_RELAXED);
    *frames = __atomic_load_n(&d->ck_frames, __ATOMIC_RELAXED);
}

void ddb_close(struct ddb *d)
{
    if (!d)
        return;
    if (d->ck_up) {
        uv_mutex_lock(&d->ck_mu);
        d->ck_quit = true;
        uv_cond_signal(&d->ck_cond);
        uv_mutex_unlock(&d->ck_mu);
        uv_thread_join(&d->ck_thread);
        uv_cond_destroy(&d->ck_cond);
        uv_mutex_destroy(&d->wal_mu);
        uv_mutex_destroy(&d->ck_mu);
    }
    sqlite3_close(d->ck_db);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(d->st[i]);
    sqlite3_close(d->db); /* the last connection: checkpoints what is left */
    dvfs_free(d->vfs);    /* after both connections */
    dict_free(&d->chans);
    free(d->pend);
    if (d->lock_fd >= 0)
        close(d->lock_fd); /* releases the flock */
    free(d);
}
