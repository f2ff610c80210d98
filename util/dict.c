/* util/dict.c — intrusive string-keyed hash table (see dict.h). */
#include "util/dict.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t dict_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void dict_init(struct dict *d) { memset(d, 0, sizeof(*d)); }

void dict_free(struct dict *d)
{
    free(d->buckets);
    dict_init(d);
}

struct dict_entry *dict_find(const struct dict *d, const void *key, size_t klen)
{
    if (!d->nbuckets)
        return NULL;
    uint64_t h = dict_hash(key, klen);
    for (struct dict_entry *e = d->buckets[h & (d->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            return e;
    return NULL;
}

static int grow(struct dict *d)
{
    size_t n = d->nbuckets ? d->nbuckets * 2 : 16;
    struct dict_entry **nb = calloc(n, sizeof(*nb));
    if (!nb)
        return -ENOMEM;
    for (size_t i = 0; i < d->nbuckets; i++) {
        struct dict_entry *e = d->buckets[i];
        while (e) {
            struct dict_entry *next = e->next;
            size_t b = e->hash & (n - 1);
            e->next = nb[b];
            nb[b] = e;
            e = next;
        }
    }
    free(d->buckets);
    d->buckets = nb;
    d->nbuckets = n;
    return 0;
}

int dict_insert(struct dict *d, struct dict_entry *e)
{
    if (d->count >= d->nbuckets && grow(d) != 0 && !d->nbuckets)
        return -ENOMEM;
    e->hash = dict_hash(e->key, e->klen);
    size_t b = e->hash & (d->nbuckets - 1);
    e->next = d->buckets[b];
    d->buckets[b] = e;
    d->count++;
    return 0;
}

void dict_remove(struct dict *d, struct dict_entry *e)
{
    struct dict_entry **pp = &d->buckets[e->hash & (d->nbuckets - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = e->next;
        d->count--;
    }
}

void dict_iter_init(struct dict_iter *it, const struct dict *d)
{
    it->d = d;
    it->bucket = 0;
    it->next = NULL;
}

struct dict_entry *dict_next(struct dict_iter *it)
{
    while (!it->next) {
        if (it->bucket >= it->d->nbuckets)
            return NULL;
        it->next = it->d->buckets[it->bucket++];
    }
    struct dict_entry *e = it->next;
    it->next = e->next;
    return e;
}
