/* rooms/durable_vfs.c — a SQLite VFS shim for the durable store (see
 * durable_vfs.h). SQLite writes a WAL commit frame by frame, two pwrite()s
 * per page (the 24-byte frame header, then the page): a small commit of a
 * few publications was ~10 system calls, the writer thread's largest cost
 * on a VM where every call is dear. The shim gathers the WAL's appends in
 * memory and writes them with one call when the commit frame's page
 * arrives (a frame header whose "database size after commit" field is not
 * zero marks it), before SQLite goes on to publish the commit in the
 * wal-index — so no reader (the checkpointer's connection) can see a
 * frame that is not in the file. Anything else done to the WAL file
 * (read, sync, truncate, size, file control, close, a write that is not
 * the next append) writes the gathered bytes first, so the file is always
 * as SQLite believes it to be when it looks. A failed write is reported by
 * the call that made it (the commit's last page write, or the sync):
 * SQLite rolls the transaction back, as for any I/O error. The gathered
 * bytes go down in pieces of at most 124 KB (see WRITE_MAX). Files other
 * than WALs are the default VFS's own objects, untouched.
 * Owns the registered sqlite3_vfs (one per struct dvfs) and each WAL
 * file's buffer. */
#include "rooms/durable_vfs.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GATHER_MAX (1u << 20) /* appends gathered before a write regardless */

struct dvfs {
    sqlite3_vfs vfs;        /* registered; pAppData: the default VFS */
    char name[40];
};

/* A WAL opened through the shim: this header, then the real file object. */
struct wal_file {
    sqlite3_file base;      /* pMethods = &wal_io */
    sqlite3_file *real;     /* the default VFS's file, in the same allocation */
    unsigned char *buf;     /* owned: gathered appends */
    size_t len, cap;
    sqlite3_int64 off;      /* file offset of buf[0] */
    int commit_next;        /* the next page written ends a commit */
};

static sqlite3_vfs *real_vfs(sqlite3_vfs *v) { return v->pAppData; }
static struct wal_file *wf(sqlite3_file *f) { return (struct wal_file *)f; }

/* The unix VFS writes at most 128 KB per call — it masks the length with
 * 0x1ffff rather than capping it, so a longer write loses bytes and fails
 * as "disk full" — and SQLite itself never asks for more than a page. */
#define WRITE_MAX (124u * 1024)

/* Writes what is gathered; SQLITE_OK or the real write's error (the bytes
 * are dropped either way: SQLite treats the transaction as failed). */
static int flush(struct wal_file *w)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; rc == SQLITE_OK && done < w->len;) {
        size_t n = w->len - done < WRITE_MAX ? w->len - done : WRITE_MAX;
        rc = w->real->pMethods->xWrite(w->real, w->buf + done, (int)n,
                                        w->off + (sqlite3_int64)done);
        done += n;
    }
    w->len = 0;
    return rc;
}

static int wal_close(sqlite3_file *f)
{
    struct wal_file *w = wf(f);
    int rc = flush(w);
    int rc2 = w->real->pMethods->xClose(w->real);
    free(w->buf);
    w->buf = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wal_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    struct wal_file *w = wf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, p, n, off);
}

static int gather(struct wal_file *w, const void *p, size_t n)
{
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 64 * 1024;
        while (cap < w->len + n)
            cap *= 2;
        unsigned char *b = realloc(w->buf, cap);
        if (!b)
            return SQLITE_NOMEM;
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    return SQLITE_OK;
}

static int wal_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    struct wal_file *w = wf(f);
    int rc = SQLITE_OK;
    if (w->len && (off != w->off + (sqlite3_int64)w->len || w->len + (size_t)n > GATHER_MAX))
        rc = flush(w); /* not the next append, or enough gathered */
    if (rc != SQLITE_OK)
        return rc;
    if ((size_t)n > GATHER_MAX) /* never gathered (SQLite's writes are a page at most) */
        return w->real->pMethods->xWrite(w->real, p, n, off);
    if (!w->len)
        w->off = off;
    /* a frame header (24 bytes; a page is 512 or more, the WAL header 32):
     * its bytes 4-7 are the database size after a commit, 0 otherwise */
    const unsigned char *h = p;
    int ends_commit = n != 24 && w->commit_next;
    w->commit_next = n == 24 && (h[4] | h[5] | h[6] | h[7]) != 0;
    if (gather(w, p, (size_t)n) != SQLITE_OK) {
        rc = flush(w); /* out of memory: what is gathered, then this, as they come */
        return rc != SQLITE_OK ? rc : w->real->pMethods->xWrite(w->real, p, n, off);
    }
    /* the commit frame's page: the transaction is whole, write it */
    return ends_commit ? flush(w) : SQLITE_OK;
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct wal_file *w = wf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int wal_sync(sqlite3_file *f, int flags)
{
    struct wal_file *w = wf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int wal_size(sqlite3_file *f, sqlite3_int64 *size)
{
    struct wal_file *w = wf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int wal_lock(sqlite3_file *f, int l) { return wf(f)->real->pMethods->xLock(wf(f)->real, l); }
static int wal_unlock(sqlite3_file *f, int l)
{
    return wf(f)->real->pMethods->xUnlock(wf(f)->real, l);
}
static int wal_check_reserved(sqlite3_file *f, int *out)
{
    return wf(f)->real->pMethods->xCheckReservedLock(wf(f)->real, out);
}

static int wal_file_control(sqlite3_file *f, int op, void *arg)
{
    struct wal_file *w = wf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xFileControl(w->real, op, arg);
}

static int wal_sector_size(sqlite3_file *f)
{
    return wf(f)->real->pMethods->xSectorSize(wf(f)->real);
}
static int wal_device_chars(sqlite3_file *f)
{
    return wf(f)->real->pMethods->xDeviceCharacteristics(wf(f)->real);
}

/* A WAL has no shared memory of its own and is not memory-mapped; these
 * pass through for completeness (SQLite checks the method version). */
static int wal_shm_map(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{
    return wf(f)->real->pMethods->xShmMap(wf(f)->real, pg, sz, ext, pp);
}
static int wal_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return wf(f)->real->pMethods->xShmLock(wf(f)->real, off, n, flags);
}
static void wal_shm_barrier(sqlite3_file *f) { wf(f)->real->pMethods->xShmBarrier(wf(f)->real); }
static int wal_shm_unmap(sqlite3_file *f, int del)
{
    return wf(f)->real->pMethods->xShmUnmap(wf(f)->real, del);
}
static int wal_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    struct wal_file *w = wf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xFetch(w->real, off, n, pp);
}
static int wal_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return wf(f)->real->pMethods->xUnfetch(wf(f)->real, off, p);
}

static const sqlite3_io_methods wal_io = {
    3, wal_close, wal_read, wal_write, wal_truncate, wal_sync, wal_size, wal_lock, wal_unlock,
    wal_check_reserved, wal_file_control, wal_sector_size, wal_device_chars, wal_shm_map,
    wal_shm_lock, wal_shm_barrier, wal_shm_unmap, wal_fetch, wal_unfetch,
};

static int vfs_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    sqlite3_vfs *r = real_vfs(v);
    if (!(flags & SQLITE_OPEN_WAL)) /* the real object, in place: untouched */
        return r->xOpen(r, name, f, flags, out_flags);
    struct wal_file *w = wf(f);
    memset(w, 0, sizeof(*w));
    w->real = (sqlite3_file *)(w + 1);
    int rc = r->xOpen(r, name, w->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        w->base.pMethods = NULL; /* SQLite calls no xClose then */
        return rc;
    }
    /* the real file speaks version 3 (unix VFS); ours too */
    if (w->real->pMethods->iVersion < 3) {
        w->real->pMethods->xClose(w->real);
        w->base.pMethods = NULL;
        return SQLITE_CANTOPEN;
    }
    w->base.pMethods = &wal_io;
    return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs *v, const char *n, int sync)
{
    return real_vfs(v)->xDelete(real_vfs(v), n, sync);
}
static int vfs_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
    return real_vfs(v)->xAccess(real_vfs(v), n, flags, out);
}
static int vfs_full_pathname(sqlite3_vfs *v, const char *n, int len, char *out)
{
    return real_vfs(v)->xFullPathname(real_vfs(v), n, len, out);
}
static void *vfs_dlopen(sqlite3_vfs *v, const char *n) { return real_vfs(v)->xDlOpen(real_vfs(v), n); }
static void vfs_dlerror(sqlite3_vfs *v, int n, char *out)
{
    real_vfs(v)->xDlError(real_vfs(v), n, out);
}
static void (*vfs_dlsym(sqlite3_vfs *v, void *h, const char *s))(void)
{
    return real_vfs(v)->xDlSym(real_vfs(v), h, s);
}
static void vfs_dlclose(sqlite3_vfs *v, void *h) { real_vfs(v)->xDlClose(real_vfs(v), h); }
static int vfs_randomness(sqlite3_vfs *v, int n, char *out)
{
    return real_vfs(v)->xRandomness(real_vfs(v), n, out);
}
static int vfs_sleep(sqlite3_vfs *v, int us) { return real_vfs(v)->xSleep(real_vfs(v), us); }
static int vfs_current_time(sqlite3_vfs *v, double *t)
{
    return real_vfs(v)->xCurrentTime(real_vfs(v), t);
}
static int vfs_last_error(sqlite3_vfs *v, int n, char *out)
{
    return real_vfs(v)->xGetLastError(real_vfs(v), n, out);
}
static int vfs_current_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
    return real_vfs(v)->xCurrentTimeInt64(real_vfs(v), t);
}

struct dvfs *dvfs_new(void)
{
    sqlite3_vfs *r = sqlite3_vfs_find(NULL);
    if (!r || r->iVersion < 2)
        return NULL;
    struct dvfs *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    snprintf(d->name, sizeof(d->name), "hearth-wal-%p", (void *)d);
    d->vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(struct wal_file) + r->szOsFile,
        .mxPathname = r->mxPathname,
        .zName = d->name,
        .pAppData = r,
        .xOpen = vfs_open,
        .xDelete = vfs_delete,
        .xAccess = vfs_access,
        .xFullPathname = vfs_full_pathname,
        .xDlOpen = vfs_dlopen,
        .xDlError = vfs_dlerror,
        .xDlSym = vfs_dlsym,
        .xDlClose = vfs_dlclose,
        .xRandomness = vfs_randomness,
        .xSleep = vfs_sleep,
        .xCurrentTime = vfs_current_time,
        .xGetLastError = vfs_last_error,
        .xCurrentTimeInt64 = vfs_current_time64,
    };
    if (sqlite3_vfs_register(&d->vfs, 0) != SQLITE_OK) {
        free(d);
        return NULL;
    }
    return d;
}

const char *dvfs_name(const struct dvfs *v) { return v->name; }

void dvfs_free(struct dvfs *v)
{
    if (!v)
        return;
    sqlite3_vfs_unregister(&v->vfs);
    free(v);
}
