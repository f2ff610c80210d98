/* rooms/durable_db.h — the SQL half of the durable store (rooms/durable.h),
 * private to rooms/durable.c: the schema and its migrations, the start-up
 * checks and load, and applying one batch of journalled changes as one
 * transaction. A struct ddb is used by one thread at a time: the loop
 * thread while opening and loading, then only the writer thread. */
#ifndef HEARTH_DURABLE_DB_H
#define HEARTH_DURABLE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rooms/durable.h"
#include "util/rand.h"

#define DURABLE_SCHEMA_VERSION 2

enum dop_kind {
    DOP_PUB,        /* insert a publication; its channel position and trim once per batch */
    DOP_REMOVE,     /* delete a channel's publications (history_remove) */
    DOP_SWEEP,      /* delete expired publications, positions and records */
    DOP_PROBE,      /* write a row: does the disk take writes again? */
    DOP_REC_PUT,    /* upsert a record */
    DOP_REC_DEL,    /* delete a record */
    DOP_BARRIER,    /* nothing to write: its callback runs after the commit */
};

/* One journalled change. */
struct dop {
    enum dop_kind kind;
    bool fresh;                     /* DOP_PUB: the stream is new (drop older rows) */
    char epoch[EPOCH_LEN + 1];      /* DOP_PUB */
    uint32_t history_size;          /* DOP_PUB */
    uint64_t offset;                /* DOP_PUB */
    int64_t expire_ms;              /* DOP_PUB, DOP_REC_PUT */
    int64_t meta_expire_ms;         /* DOP_PUB */
    int64_t now_ms;                 /* DOP_SWEEP, DOP_PROBE */
    struct publication *pub;        /* DOP_PUB: owned ref */
    uint8_t *buf;                   /* owned: channel (REMOVE), kind+key+value (REC_*) */
    uint32_t len_a, len_b, len_c;   /* lengths of buf's parts */
    engine_publish_cb *cb;          /* DOP_PUB: the publisher's */
    void (*bcb)(void *arg, int err); /* DOP_BARRIER */
    void *arg;
};

struct batch {
    struct dop *ops;                /* owned */
    size_t n, cap;
    int err;                        /* set by the writer: 0 or ENGINE_ETEMP */
    char errmsg[256];               /* set by the writer on failure */
};

struct ddb;

/* Opens and checks path (see durable_open), creating the schema or
 * upgrading it, then loads through ld. NULL with a message in err. */
struct ddb *ddb_open(const char *path, bool sync_full, int64_t now_ms,
                     const struct durable_loader *ld, char *err, size_t errlen);
/* Applies b in one transaction; sets b->err (and b->errmsg) on failure,
 * after which nothing of b is stored. */
void ddb_apply(struct ddb *db, struct batch *b);
void ddb_close(struct ddb *db);
/* The checkpointer's figures (any thread): checkpoint rounds that copied
 * frames, rounds that restarted the WAL, frames in it at the last round. */
void ddb_ck_stats(struct ddb *db, uint64_t *checkpoints, uint64_t *restarts, uint32_t *frames);

#endif
