/* util/omap.h — an ordered map from byte-string keys to caller pointers: a
 * skip list (as Redis's sorted sets use) with a backward link at the bottom
 * level, so ranges can be walked in either direction.
 *
 * The map owns its nodes and a copy of each key; the values are the
 * caller's (omap_free hands each one to a callback). Keys compare bytewise
 * (memcmp, then the shorter first). O(log n) get/put/del/seek. Loop thread
 * only; no globals (the level generator's state lives in the map). */
#ifndef HEARTH_OMAP_H
#define HEARTH_OMAP_H

#include <stddef.h>
#include <stdint.h>

#define OMAP_MAX_LEVEL 24

struct omap_node {
    void *val;                  /* the caller's */
    struct omap_node *prev;     /* bottom level, NULL at the first node */
    uint32_t klen;
    uint8_t level;              /* entries in next[] */
    struct omap_node *next[];   /* then the key bytes */
};

struct omap {
    struct omap_node *head;     /* owned sentinel with OMAP_MAX_LEVEL links */
    struct omap_node *tail;     /* last node or NULL */
    size_t count;
    uint8_t level;              /* highest level in use */
    uint64_t rng;               /* level generator state */
};

static inline const uint8_t *omap_key(const struct omap_node *n)
{
    return (const uint8_t *)&n->next[n->level];
}

int omap_init(struct omap *m);                          /* 0 or -ENOMEM */
void omap_free(struct omap *m, void (*free_val)(void *val)); /* free_val may be NULL */
/* The node with exactly this key, or NULL. */
struct omap_node *omap_get(const struct omap *m, const void *key, size_t klen);
/* Sets key -> val. *old (if old != NULL) gets the value it replaced, or NULL
 * when the key was new. 0 or -ENOMEM (nothing changed). */
int omap_put(struct omap *m, const void *key, size_t klen, void *val, void **old);
/* Removes key; returns its value, or NULL when absent. */
void *omap_del(struct omap *m, const void *key, size_t klen);
/* Removes node n (from omap_get / a walk); returns its value. */
void *omap_del_node(struct omap *m, struct omap_node *n);
/* The first node whose key is >= key (klen 0: the first node), or NULL. */
struct omap_node *omap_seek_ge(const struct omap *m, const void *key, size_t klen);
/* The last node whose key is <= key, or NULL. */
struct omap_node *omap_seek_le(const struct omap *m, const void *key, size_t klen);
static inline struct omap_node *omap_first(const struct omap *m) { return m->head->next[0]; }
static inline struct omap_node *omap_last(const struct omap *m) { return m->tail; }
static inline struct omap_node *omap_next(const struct omap_node *n) { return n->next[0]; }
static inline struct omap_node *omap_prev(const struct omap_node *n) { return n->prev; }
/* memcmp order of two byte strings. */
int omap_cmp(const void *a, size_t alen, const void *b, size_t blen);

#endif
