/* rooms/durable_vfs.h — a SQLite VFS shim that writes each WAL commit with
 * one system call (see durable_vfs.c). The durable store opens both its
 * connections through it; nothing else in hearthd uses SQLite. */
#ifndef HEARTH_ROOMS_DURABLE_VFS_H
#define HEARTH_ROOMS_DURABLE_VFS_H

struct dvfs;

/* Registers a shim over SQLite's default VFS under a name of its own (not
 * the default); NULL when out of memory or SQLite refuses. */
struct dvfs *dvfs_new(void);
/* The name to give sqlite3_open_v2. */
const char *dvfs_name(const struct dvfs *v);
/* Unregisters and frees v; every connection opened through it must be
 * closed first. NULL is ignored. */
void dvfs_free(struct dvfs *v);

#endif
