/* rooms/durable.h — the durable copy of the memory engine's state (issue 10):
 * one SQLite database per node in data_dir, in WAL mode, written by one
 * writer thread and read only at start.
 *
 * The loop appends the changes of its current turn to a batch (a
 * publication, a history removal, an expiry pass); when the writer is idle
 * the batch is handed over, the writer commits it as ONE transaction and
 * wakes the loop (uv_async_t), which completes the batch's operations in
 * order. While the writer commits batch k, batch k+1 accumulates. A
 * publication is completed (appended to the ring, fanned out, acknowledged)
 * only after its commit, so nobody ever sees an offset a crash could reuse.
 *
 * A failed commit (disk full, I/O error) fails that batch's publications
 * and those of the batch accumulating behind it with ENGINE_ETEMP, carries
 * their deletions over to the next batch (they are idempotent), and marks
 * the store unhealthy (durable_health) until a commit succeeds again; while
 * unhealthy, one commit is tried per sweep tick (with a probe write when
 * nothing else waits).
 *
 * Owns the sqlite3 connection, the writer thread and the batches (each
 * journalled publication holds one reference). Loop thread only, except the
 * writer thread, which touches only the connection and the batch handed to
 * it. The SQL lives in rooms/durable_db.c. */
#ifndef HEARTH_DURABLE_H
#define HEARTH_DURABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "rooms/engine.h"
#include "rooms/store.h"

struct durable;
struct uv_loop_s;

/* What start-up loads, in this order: every channel position still within
 * its meta TTL or with live publications, then every unexpired publication
 * (per channel in offset order), then every unexpired record. Spans and
 * publications are borrowed for the call (take a ref to keep p). A nonzero
 * return aborts the start. */
struct durable_loader {
    int (*channel)(void *ctx, struct span name, const char *epoch, uint64_t top,
                   int64_t meta_expire_ms);
    int (*pub)(void *ctx, struct publication *p, int64_t expire_ms);
    int (*record)(void *ctx, struct span kind, const struct record *r);
    void *ctx;
};

/* A journalled publication, handed back when its batch is done. */
struct durable_pub {
    struct publication *pub;   /* borrowed for the call */
    uint64_t offset;           /* assigned at publish */
    uint32_t history_size;
    int64_t expire_ms;
    engine_publish_cb *cb;     /* the publisher's (may be NULL) */
    void *arg;
};

/* Runs on the loop after the publication's batch committed (err 0) or
 * failed (ENGINE_ETEMP: nothing of it is stored). */
typedef void durable_pub_done_cb(void *ctx, const struct durable_pub *dp, int err);

/* Opens (creating if needed) data_dir/hearth.db, checks it, creates or
 * upgrades its schema, loads it through ld (now_ms decides what expired) and
 * starts the writer. On any failure logs a clear error naming the file and
 * returns NULL (nothing is left open). done (with ctx) completes every
 * journalled publication. */
struct durable *durable_open(const struct config *cfg, struct uv_loop_s *loop, int64_t now_ms,
                             const struct durable_loader *ld, durable_pub_done_cb *done,
                             void *ctx);

/* Journals p (takes a ref) at offset in channel p->channel with that epoch;
 * fresh: the channel's stream was just created (rows of an older epoch are
 * dropped). Rows below offset - history_size are deleted in the same
 * transaction. offset 0: nothing is written, p only keeps its place in the
 * order (a publication not kept, behind kept ones of its channel). 0, or
 * ENGINE_ENOMEM / ENGINE_ETEMP (nothing journalled, done will not run). */
int durable_pub(struct durable *d, struct publication *p, const char *epoch, uint64_t offset,
                uint32_t history_size, int64_t expire_ms, int64_t meta_expire_ms, bool fresh,
                engine_publish_cb *cb, void *arg);
/* Journals the removal of channel's history (epoch and top stay). */
int durable_remove(struct durable *d, struct span channel);
/* Journals a record change (the record maps' observer): a put (value and
 * expiry as given) or a delete. */
int durable_record_put(struct durable *d, struct span kind, const struct record *r);
int durable_record_del(struct durable *d, struct span kind, struct span key);
/* Runs f(arg) on the loop once every change journalled so far is committed
 * (err 0) or failed (ENGINE_ETEMP). 0 or ENGINE_ENOMEM. */
int durable_barrier(struct durable *d, void (*f)(void *arg, int err), void *arg);
/* About once a second: every few seconds deletes expired rows; while
 * unhealthy, tries a write so the store notices when the disk is back. */
void durable_sweep(struct durable *d, int64_t now_ms);
/* 0 while the last commit succeeded, else ENGINE_ETEMP. */
int durable_health(const struct durable *d);
/* Its commits and checkpoints so far (loop thread). */
void durable_stats(const struct durable *d, struct store_durable_stats *out);
/* Commits what is queued, then closes the writer and the loop handles; the
 * loop must run until they are closed (server_finish's drain does). */
void durable_shutdown(struct durable *d);
/* Frees d. If durable_shutdown's work has not finished, commits and
 * completes what is queued synchronously first. NULL-safe. */
void durable_free(struct durable *d);

#endif
