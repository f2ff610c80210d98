/* util/dict.h — an intrusive, string-keyed hash table (chained, power-of-two
 * buckets, grows at load factor 1).
 *
 * The table owns only its bucket array. Entries are embedded in the caller's
 * structs (struct dict_entry), and the key bytes they point at belong to the
 * caller and must stay put while the entry is in the table. Removal during
 * iteration is allowed for the entry just returned by dict_next(). */
#ifndef HEARTH_DICT_H
#define HEARTH_DICT_H

#include <stddef.h>
#include <stdint.h>

struct dict_entry {
    struct dict_entry *next;
    uint64_t hash;
    const char *key;   /* borrowed from the containing struct */
    size_t klen;
};

struct dict {
    struct dict_entry **buckets; /* owned */
    size_t nbuckets;             /* 0 or a power of two */
    size_t count;
};

struct dict_iter {
    const struct dict *d;
    size_t bucket;
    struct dict_entry *next;
};

uint64_t dict_hash(const void *key, size_t len); /* FNV-1a 64 */
void dict_init(struct dict *d);
void dict_free(struct dict *d);                 /* frees buckets, not entries */
struct dict_entry *dict_find(const struct dict *d, const void *key, size_t klen);
/* e->key/klen must be set; the key must not be present. 0 or -ENOMEM. */
int dict_insert(struct dict *d, struct dict_entry *e);
void dict_remove(struct dict *d, struct dict_entry *e);
void dict_iter_init(struct dict_iter *it, const struct dict *d);
struct dict_entry *dict_next(struct dict_iter *it);

#define DICT_CONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
