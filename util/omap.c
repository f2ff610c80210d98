/* util/omap.c — the skip list behind util/omap.h. Each node is one
 * allocation: header, forward links, key bytes. Levels are drawn with
 * probability 1/4 per step from a xorshift generator kept in the map. */
#include "util/omap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int omap_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int node_cmp(const struct omap_node *n, const void *key, size_t klen)
{
    return omap_cmp(omap_key(n), n->klen, key, klen);
}

int omap_init(struct omap *m)
{
    memset(m, 0, sizeof(*m));
    m->head = calloc(1, sizeof(struct omap_node) + OMAP_MAX_LEVEL * sizeof(struct omap_node *));
    if (!m->head)
        return -ENOMEM;
    m->head->level = OMAP_MAX_LEVEL;
    m->level = 1;
    m->rng = 0x9e3779b97f4a7c15ull;
    return 0;
}

void omap_free(struct omap *m, void (*free_val)(void *val))
{
    if (!m->head)
        return;
    for (struct omap_node *n = m->head->next[0], *nx; n; n = nx) {
        nx = n->next[0];
        if (free_val)
            free_val(n->val);
        free(n);
    }
    free(m->head);
    memset(m, 0, sizeof(*m));
}

static uint8_t random_level(struct omap *m)
{
    uint8_t lvl = 1;
    for (;;) {
        m->rng ^= m->rng << 13;
        m->rng ^= m->rng >> 7;
        m->rng ^= m->rng << 17;
        if ((m->rng & 3) != 0 || lvl >= OMAP_MAX_LEVEL)
            return lvl;
        lvl++;
    }
}

/* Fills upd[i] with the last node at level i whose key is < key. */
static void find_path(const struct omap *m, const void *key, size_t klen,
                      struct omap_node **upd)
{
    struct omap_node *x = m->head;
    for (int i = m->level - 1; i >= 0; i--) {
        while (x->next[i] && node_cmp(x->next[i], key, klen) < 0)
            x = x->next[i];
        upd[i] = x;
    }
}

struct omap_node *omap_get(const struct omap *m, const void *key, size_t klen)
{
    struct omap_node *n = omap_seek_ge(m, key, klen);
    return n && node_cmp(n, key, klen) == 0 ? n : NULL;
}

struct omap_node *omap_seek_ge(const struct omap *m, const void *key, size_t klen)
{
    struct omap_node *x = m->head;
    for (int i = m->level - 1; i >= 0; i--)
        while (x->next[i] && node_cmp(x->next[i], key, klen) < 0)
            x = x->next[i];
    return x->next[0];
}

struct omap_node *omap_seek_le(const struct omap *m, const void *key, size_t klen)
{
    struct omap_node *x = m->head;
    for (int i = m->level - 1; i >= 0; i--)
        while (x->next[i] && node_cmp(x->next[i], key, klen) <= 0)
            x = x->next[i];
    return x == m->head ? NULL : x;
}

int omap_put(struct omap *m, const void *key, size_t klen, void *val, void **old)
{
    struct omap_node *upd[OMAP_MAX_LEVEL];
    find_path(m, key, klen, upd);
    struct omap_node *x = upd[0]->next[0];
    if (x && node_cmp(x, key, klen) == 0) {
        if (old)
            *old = x->val;
        x->val = val;
        return 0;
    }
    if (klen > UINT32_MAX)
        return -ENOMEM;
    uint8_t lvl = random_level(m);
    struct omap_node *n = malloc(sizeof(*n) + lvl * sizeof(n->next[0]) + klen);
    if (!n)
        return -ENOMEM;
    n->val = val;
    n->klen = (uint32_t)klen;
    n->level = lvl;
    if (klen)
        memcpy((uint8_t *)&n->next[lvl], key, klen);
    if (lvl > m->level) {
        for (int i = m->level; i < lvl; i++)
            upd[i] = m->head;
        m->level = lvl;
    }
    for (int i = 0; i < lvl; i++) {
        n->next[i] = upd[i]->next[i];
        upd[i]->next[i] = n;
    }
    n->prev = upd[0] == m->head ? NULL : upd[0];
    if (n->next[0])
        n->next[0]->prev = n;
    else
        m->tail = n;
    m->count++;
    if (old)
        *old = NULL;
    return 0;
}

void *omap_del_node(struct omap *m, struct omap_node *n)
{
    struct omap_node *upd[OMAP_MAX_LEVEL];
    find_path(m, omap_key(n), n->klen, upd);
    for (int i = 0; i < m->level; i++)
        if (upd[i]->next[i] == n)
            upd[i]->next[i] = n->next[i];
    if (n->next[0])
        n->next[0]->prev = n->prev;
    else
        m->tail = n->prev;
    while (m->level > 1 && !m->head->next[m->level - 1])
        m->level--;
    m->count--;
    void *val = n->val;
    free(n);
    return val;
}

void *omap_del(struct omap *m, const void *key, size_t klen)
{
    struct omap_node *n = omap_get(m, key, klen);
    return n ? omap_del_node(m, n) : NULL;
}
