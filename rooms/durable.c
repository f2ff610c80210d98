/* rooms/durable.c — the durable store's loop side and writer thread (see
 * durable.h; the SQL is in durable_db.c).
 *
 * Two batches: `acc` accumulates on the loop, `work` is the writer's while
 * it commits. A uv_check_t hands acc over at the end of each loop turn if
 * the writer is idle; the writer's uv_async_t brings the result back,
 * the loop completes it in order and hands over whatever accumulated
 * meanwhile (with what the completions journalled). On a process confined
 * to one CPU the loop yields to the writer at the hand-over and, if the
 * batch is committed when it gets the CPU back, completes it right there
 * (the writer then sends no wake-up): no loop turn per commit. The async handle is
 * referenced only while a batch is with the writer, so an idle store never
 * keeps the loop alive, and a busy one keeps it running until its batch is
 * answered (the shutdown drain relies on it).
 * Owns both batches, the thread, the handles and the struct ddb. */
#include "rooms/durable.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <uv.h>

#include "rooms/durable_db.h"
#include "util/log.h"

#define SWEEP_EVERY_MS 5000
/* Publications one batch may gather while the writer is busy: past it
 * (a disk slower than the publishers) a publish gets ENGINE_ETEMP, so a
 * stalled disk cannot make the queue grow without bound. */
#define BATCH_PUBS_MAX 100000

struct durable {
    struct ddb *db;                 /* owned; the writer's once started */
    uv_loop_t *loop;                /* borrowed */
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cond;                 /* writer: work arrived or quit; loop: work done */
    uv_async_t async;               /* writer → loop: work is done */
    uv_check_t check;               /* end of a loop turn: hand acc over */
    struct batch bufs[2];
    struct batch *acc;              /* loop: accumulating */
    struct batch *work;             /* with the writer (mu), NULL = idle */
    bool busy;                      /* loop: a batch is with the writer */
    bool done;                      /* mu: the writer finished work */
    bool polling;                   /* mu: the loop looks for done itself (no async) */
    bool quit;                      /* mu: the writer should exit */
    bool thread_up, handles_up;
    bool stopping;                  /* durable_shutdown was called */
    bool healthy;
    bool one_cpu;                   /* the process may run on one CPU only (handoff yields) */
    bool failing;                   /* failing batches: new publications are refused */
    bool paused;                    /* after a failed commit: the next try waits for the tick */
    int64_t last_sweep_ms;
    uint64_t commits, changes, failures; /* loop: batches completed */
    durable_pub_done_cb *pub_done;
    void *ctx;
};

/* ---- the writer thread ---- */

static void writer_main(void *arg)
{
    struct durable *d = arg;
    uv_mutex_lock(&d->mu);
    for (;;) {
        while (!d->quit && (!d->work || d->done))
            uv_cond_wait(&d->cond, &d->mu);
        if (d->quit)
            break;
        struct batch *b = d->work;
        uv_mutex_unlock(&d->mu);
        ddb_apply(d->db, b);
        uv_mutex_lock(&d->mu);
        d->done = true;
        bool wake = !d->polling;
        uv_mutex_unlock(&d->mu);
        uv_cond_broadcast(&d->cond); /* durable_free waits on it */
        /* outside mu, so the woken loop does not block on it; the handle
         * outlives this call: it is closed only after the join */
        if (wake)
            uv_async_send(&d->async);
        uv_mutex_lock(&d->mu);
    }
    uv_mutex_unlock(&d->mu);
}

/* ---- batches (loop thread) ---- */

static struct dop *push(struct durable *d, enum dop_kind kind)
{
    struct batch *b = d->acc;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct dop *ops = realloc(b->ops, cap * sizeof(*ops));
        if (!ops)
            return NULL;
        b->ops = ops;
        b->cap = cap;
    }
    struct dop *o = &b->ops[b->n++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    return o;
}

static void op_release(struct dop *o)
{
    publication_unref(o->pub);
    free(o->buf);
    o->pub = NULL;
    o->buf = NULL;
}

/* Runs an op's callback with err; frees what it owns. */
static void op_finish(struct durable *d, struct dop *o, int err)
{
    if (o->kind == DOP_PUB) {
        struct durable_pub dp = {o->pub, o->offset, o->history_size, o->expire_ms, o->cb, o->arg};
        d->pub_done(d->ctx, &dp, err);
    } else if (o->kind == DOP_BARRIER) {
        o->bcb(o->arg, err);
    }
    op_release(o);
}

/* Hands acc to the writer if it is idle; true if it did. poll: the caller
 * will look for the result itself right after (take_done), so the writer
 * sends no wake-up unless the caller found it still at work. */
static bool handoff_poll(struct durable *d, bool poll)
{
    if (d->busy || d->paused || !d->acc->n || !d->thread_up)
        return false;
    struct batch *b = d->acc;
    d->acc = b == &d->bufs[0] ? &d->bufs[1] : &d->bufs[0];
    d->busy = true;
    uv_ref((uv_handle_t *)&d->async);
    uv_mutex_lock(&d->mu);
    d->work = b;
    d->done = false;
    d->polling = poll;
    uv_mutex_unlock(&d->mu);
    uv_cond_broadcast(&d->cond); /* after the unlock: the writer wakes to a free mutex */
    /* Confined to one CPU (a 1-vCPU host, or pinned), the writer would wait
     * for the busy loop's time slice to end (milliseconds) before it could
     * commit, and every acknowledgement with it: give it the CPU now. */
    if (d->one_cpu)
        sched_yield();
    return true;
}

static void handoff(struct durable *d) { handoff_poll(d, false); }

/* Moves b's history removals and record changes to the accumulating batch
 * (idempotent, so retrying them is safe), in order, and drops its sweeps and
 * probes (the next tick makes new ones); its publications and barriers stay
 * in b, to be failed by fail_rest. */
static void requeue(struct durable *d, struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct dop *o = &b->ops[i];
        if (o->kind == DOP_PUB || o->kind == DOP_BARRIER)
            continue;
        bool keep = o->kind == DOP_REMOVE || o->kind == DOP_REC_PUT || o->kind == DOP_REC_DEL;
        struct dop *r = keep ? push(d, o->kind) : NULL;
        if (r) {
            *r = *o;    /* moves the owned buffer */
            o->buf = NULL;
        } else if (keep) {
            log_error("durable", "out of memory: a change that failed to commit is dropped");
        }
        op_release(o);
        o->kind = DOP_PROBE; /* done with */
    }
}

/* Fails what requeue left in b (ENGINE_ETEMP); b is emptied. */
static void fail_rest(struct durable *d, struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        op_finish(d, &b->ops[i], ENGINE_ETEMP);
    b->n = 0;
}

static void complete(struct durable *d, struct batch *b)
{
    if (b->err == 0) {
        d->commits++;
        d->changes += b->n;
        if (!d->healthy)
            log_info("durable", "writes succeed again: the store is healthy");
        d->healthy = true;
        for (size_t i = 0; i < b->n; i++)
            op_finish(d, &b->ops[i], 0);
        b->n = 0;
        return;
    }
    d->failures++;
    if (d->healthy)
        log_error("durable", "commit failed: %s; publishes get error 100 and /health is 503 "
                  "until a write succeeds", b->errmsg);
    d->healthy = false;
    d->paused = true; /* one try per sweep tick while the disk refuses, not a busy loop */
    /* everything queued behind the failed batch continued its offsets:
     * fail it too (publishers retry), keep its deletions */
    struct batch *behind = d->acc;
    d->acc = b;
    struct batch tmp = *b;  /* b's ops, to fail; b (now acc) starts empty */
    b->ops = NULL;
    b->n = b->cap = 0;
    requeue(d, &tmp);       /* first, so a callback's new change lands after them */
    requeue(d, behind);
    d->failing = true;      /* a publish from a callback must not reuse an offset */
    fail_rest(d, &tmp);
    fail_rest(d, behind);
    d->failing = false;
    free(tmp.ops);
}

/* Finishes every op of b with ENGINE_ETEMP, keeping nothing. */
static void drop_batch(struct durable *d, struct batch *b)
{
    for (size_t k = 0; k < b->n; k++)
        op_finish(d, &b->ops[k], ENGINE_ETEMP);
    b->n = 0;
}

static void finalize(struct durable *d)
{
    if (d->thread_up) {
        uv_mutex_lock(&d->mu);
        d->quit = true;
        uv_cond_broadcast(&d->cond);
        uv_mutex_unlock(&d->mu);
        uv_thread_join(&d->thread);
        d->thread_up = false;
    }
    if (d->handles_up) {
        uv_close((uv_handle_t *)&d->async, NULL);
        uv_close((uv_handle_t *)&d->check, NULL);
        d->handles_up = false;
    }
}

/* The writer's batch if it is committed (then the loop has it back), else
 * NULL; stops polling either way, so a batch still at work is announced by
 * the async handle. */
static struct batch *take_done(struct durable *d)
{
    uv_mutex_lock(&d->mu);
    bool finished = d->busy && d->done;
    struct batch *b = d->work;
    if (finished)
        d->work = NULL;
    d->polling = false;
    uv_mutex_unlock(&d->mu);
    if (!finished)
        return NULL;
    d->busy = false;
    uv_unref((uv_handle_t *)&d->async);
    return b;
}

static void on_async(uv_async_t *h)
{
    struct durable *d = h->data;
    struct batch *b = take_done(d);
    if (!b)
        return;
    /* completed before the next hand-over: what its callbacks journal (an
     * audit entry after a sanction's commit) goes with the next commit */
    complete(d, b);
    handoff(d);
    if (d->stopping && !d->busy)
        finalize(d);
}

/* Hand-overs completed in the same check callback, at most (what their
 * completions journal goes in the next one); the rest is the async's. */
#define INLINE_ROUNDS 4

static void on_check(uv_check_t *h)
{
    struct durable *d = h->data;
    if (!d->one_cpu || d->stopping) {
        handoff(d);
        return;
    }
    for (int i = 0; i < INLINE_ROUNDS && handoff_poll(d, true); i++) {
        struct batch *b = take_done(d); /* the yield let the writer commit, mostly */
        if (!b)
            return;
        complete(d, b);
        if (d->stopping)
            break;
    }
    handoff(d);
    if (d->stopping && !d->busy)
        finalize(d);
}

/* ---- public ---- */

static int make_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        log_error("durable", "cannot create data_dir \"%s\": %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        log_error("durable", "data_dir \"%s\" is not a directory", dir);
        return -1;
    }
    return 0;
}

struct durable *durable_open(const struct config *cfg, struct uv_loop_s *loop, int64_t now_ms,
                             const struct durable_loader *ld, durable_pub_done_cb *done,
                             void *ctx)
{
    if (make_dir(cfg->data_dir) != 0)
        return NULL;
    struct durable *d = calloc(1, sizeof(*d));
    size_t plen = strlen(cfg->data_dir) + sizeof("/hearth.db");
    char *path = malloc(plen);
    if (!d || !path) {
        log_error("durable", "out of memory");
        free(d);
        free(path);
        return NULL;
    }
    snprintf(path, plen, "%s/hearth.db", cfg->data_dir);
    char err[512];
    d->db = ddb_open(path, cfg->durable_sync_full, now_ms, ld, err, sizeof(err));
    if (!d->db) {
        log_error("durable", "%s", err);
        free(path);
        free(d);
        return NULL;
    }
    log_info("durable", "state in %s (synchronous=%s)", path,
             cfg->durable_sync_full ? "FULL" : "NORMAL");
    free(path);
    d->loop = loop;
    d->acc = &d->bufs[0];
    d->healthy = true;
    cpu_set_t cpus;
    d->one_cpu = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) == 1;
    d->last_sweep_ms = now_ms;
    d->pub_done = done;
    d->ctx = ctx;
    uv_mutex_init(&d->mu);
    uv_cond_init(&d->cond);
    uv_async_init(loop, &d->async, on_async);
    uv_check_init(loop, &d->check);
    d->async.data = d->check.data = d;
    d->handles_up = true;
    uv_unref((uv_handle_t *)&d->async);
    uv_check_start(&d->check, on_check);
    uv_unref((uv_handle_t *)&d->check);
    if (uv_thread_create(&d->thread, writer_main, d) != 0) {
        log_error("durable", "cannot start the writer thread");
        durable_free(d);
        return NULL;
    }
    d->thread_up = true;
    return d;
}

int durable_pub(struct durable *d, struct publication *p, const char *epoch, uint64_t offset,
                uint32_t history_size, int64_t expire_ms, int64_t meta_expire_ms, bool fresh,
                engine_publish_cb *cb, void *arg)
{
    if (d->failing || d->acc->n >= BATCH_PUBS_MAX)
        return ENGINE_ETEMP;
    struct dop *o = push(d, DOP_PUB);
    if (!o)
        return ENGINE_ENOMEM;
    o->fresh = fresh;
    memcpy(o->epoch, epoch, strnlen(epoch, EPOCH_LEN)); /* push zeroed the rest */
    o->history_size = history_size;
    o->offset = offset;
    o->expire_ms = expire_ms;
    o->meta_expire_ms = meta_expire_ms;
    o->pub = publication_ref(p);
    o->cb = cb;
    o->arg = arg;
    return 0;
}

/* An op owning a copy of up to three spans laid end to end. */
static struct dop *push_bytes(struct durable *d, enum dop_kind kind, struct span a, struct span b,
                              struct span c)
{
    uint8_t *buf = malloc(a.n + b.n + c.n + 1);
    struct dop *o = buf ? push(d, kind) : NULL;
    if (!o) {
        free(buf);
        return NULL;
    }
    if (a.n)
        memcpy(buf, a.p, a.n);
    if (b.n)
        memcpy(buf + a.n, b.p, b.n);
    if (c.n)
        memcpy(buf + a.n + b.n, c.p, c.n);
    o->buf = buf;
    o->len_a = (uint32_t)a.n;
    o->len_b = (uint32_t)b.n;
    o->len_c = (uint32_t)c.n;
    return o;
}

int durable_remove(struct durable *d, struct span channel)
{
    struct span none = {NULL, 0};
    return push_bytes(d, DOP_REMOVE, channel, none, none) ? 0 : ENGINE_ENOMEM;
}

int durable_record_put(struct durable *d, struct span kind, const struct record *r)
{
    struct dop *o = push_bytes(d, DOP_REC_PUT, kind, r->key, r->value);
    if (!o)
        return ENGINE_ENOMEM;
    o->expire_ms = r->expire_ms;
    return 0;
}

int durable_record_del(struct durable *d, struct span kind, struct span key)
{
    struct span none = {NULL, 0};
    return push_bytes(d, DOP_REC_DEL, kind, key, none) ? 0 : ENGINE_ENOMEM;
}

int durable_barrier(struct durable *d, void (*f)(void *arg, int err), void *arg)
{
    struct dop *o = push(d, DOP_BARRIER);
    if (!o)
        return ENGINE_ENOMEM;
    o->bcb = f;
    o->arg = arg;
    return 0;
}

void durable_sweep(struct durable *d, int64_t now_ms)
{
    struct dop *o = NULL;
    if (now_ms - d->last_sweep_ms >= SWEEP_EVERY_MS) {
        d->last_sweep_ms = now_ms;
        o = push(d, DOP_SWEEP);
    } else if (!d->healthy && !d->busy && !d->acc->n) {
        o = push(d, DOP_PROBE);
    }
    if (o)
        o->now_ms = now_ms;
    if (d->paused) { /* try again: what accumulated, or the probe */
        d->paused = false;
        handoff(d);
    }
}

int durable_health(const struct durable *d) { return d->healthy ? 0 : ENGINE_ETEMP; }

void durable_stats(const struct durable *d, struct store_durable_stats *out)
{
    out->commits = d->commits;
    out->changes = d->changes;
    out->commit_failures = d->failures;
    ddb_ck_stats(d->db, &out->checkpoints, &out->wal_restarts, &out->wal_frames);
}

void durable_shutdown(struct durable *d)
{
    if (!d || d->stopping)
        return;
    d->stopping = true;
    d->paused = false;
    handoff(d);
    if (!d->busy)
        finalize(d);
}

void durable_free(struct durable *d)
{
    if (!d)
        return;
    /* not shut down through the loop: finish the queued work here */
    d->paused = false;
    while (d->thread_up && (d->busy || d->acc->n)) {
        if (!d->busy)
            handoff(d);
        uv_mutex_lock(&d->mu);
        while (!d->done)
            uv_cond_wait(&d->cond, &d->mu);
        struct batch *b = d->work;
        d->work = NULL;
        uv_mutex_unlock(&d->mu);
        d->busy = false;
        int failed = b->err;
        complete(d, b);
        if (failed) /* the disk refuses: what is left cannot be stored */
            break;
    }
    finalize(d);
    for (int i = 0; i < 2; i++) {
        drop_batch(d, &d->bufs[i]);
        free(d->bufs[i].ops);
    }
    ddb_close(d->db);
    uv_cond_destroy(&d->cond);
    uv_mutex_destroy(&d->mu);
    free(d);
}
