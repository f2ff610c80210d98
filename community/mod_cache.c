/* community/mod_cache.c — this node's cache of active sanctions (mutes,
 * bans, kicks, slow-mode overrides), so the publish, subscribe and connect
 * checks cost a hash lookup, never a store round trip.
 *
 * Consistency (docs/chat.md, "Moderation"): the store records are the truth. A
 * method that changes one writes the record first, then sends the control
 * verb "mod.sanction" which every node (this one at once) applies to its
 * cache. Every MOD_RESYNC_MS the cache is rebuilt from a scan of the four
 * kinds, so a control message lost (a Redis hiccup, a node that started
 * late) heals within that period; a change that arrives while a rebuild runs
 * is applied to both the live cache and the one being built. Until the
 * first rebuild has succeeded (a Redis engine still connecting) it is
 * retried every MOD_RETRY_MS and connects are refused with 3004 (moderation.c),
 * so a node that starts does not let a banned user in. Owns the cache
 * entries, the cache being rebuilt and the timer handle. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/mod_internal.h"
#include "rooms/store.h"
#include "util/log.h"

#define VERB "mod.sanction"

/* ---- the cache ---- */

void mod_cache_init(struct mod_cache *c) { dict_init(&c->map); }

void mod_cache_free(struct mod_cache *c)
{
    struct dict_iter it;
    dict_iter_init(&it, &c->map);
    for (struct dict_entry *de; (de = dict_next(&it));) {
        dict_remove(&c->map, de);
        free(DICT_CONTAINER(de, struct mod_entry, de));
    }
    dict_free(&c->map);
}

/* The cache key (kind byte + record key) into buf; 0 if it does not fit. */
static size_t ckey(char *buf, size_t cap, char kind, struct span key)
{
    if (key.n + 1 > cap)
        return 0;
    buf[0] = kind;
    if (key.n)
        memcpy(buf + 1, key.p, key.n);
    return key.n + 1;
}

static struct mod_entry *find(const struct mod_cache *c, char kind, struct span key)
{
    char k[RECORD_KEY_MAX + 1];
    size_t n = ckey(k, sizeof(k), kind, key);
    struct dict_entry *de = n ? dict_find(&c->map, k, n) : NULL;
    return de ? DICT_CONTAINER(de, struct mod_entry, de) : NULL;
}

int mod_cache_set(struct mod_cache *c, char kind, struct span key, int64_t expire_ms,
                  int64_t value)
{
    struct mod_entry *e = find(c, kind, key);
    if (!e) {
        if (key.n > RECORD_KEY_MAX || !(e = malloc(sizeof(*e) + key.n + 1)))
            return -1;
        e->de.klen = ckey(e->k, key.n + 1, kind, key);
        e->de.key = e->k;
        if (dict_insert(&c->map, &e->de) != 0) {
            free(e);
            return -1;
        }
    }
    e->expire_ms = expire_ms;
    e->value = value;
    return 0;
}

void mod_cache_del(struct mod_cache *c, char kind, struct span key)
{
    struct mod_entry *e = find(c, kind, key);
    if (e) {
        dict_remove(&c->map, &e->de);
        free(e);
    }
}

const struct mod_entry *mod_cache_get(const struct mod_cache *c, char kind, struct span key,
                                      int64_t now_ms)
{
    if (!c->map.count)
        return NULL;
    const struct mod_entry *e = find(c, kind, key);
    return e && (!e->expire_ms || e->expire_ms > now_ms) ? e : NULL;
}

size_t mod_key(char *buf, size_t cap, const char *channel, size_t chlen, const char *user,
               size_t ulen)
{
    size_t n = chlen + 1 + ulen;
    if (n > RECORD_KEY_MAX || n > cap)
        return 0;
    if (chlen)
        memcpy(buf, channel, chlen);
    buf[chlen] = 0x1f;
    if (ulen)
        memcpy(buf + chlen + 1, user, ulen);
    return n;
}

bool mod_sanctioned(const struct moderation *m, char kind, struct span channel, struct span user,
                    bool any_room)
{
    if (!user.n || !m->live.map.count)
        return false;
    char k[RECORD_KEY_MAX];
    int64_t now = node_now_ms(m->node);
    size_t n;
    if (channel.n && (n = mod_key(k, sizeof(k), (const char *)channel.p, channel.n,
                                  (const char *)user.p, user.n)) &&
        mod_cache_get(&m->live, kind, (struct span){(const uint8_t *)k, n}, now))
        return true;
    return any_room && (n = mod_key(k, sizeof(k), "", 0, (const char *)user.p, user.n)) &&
           mod_cache_get(&m->live, kind, (struct span){(const uint8_t *)k, n}, now);
}

bool moderation_is_muted(const struct moderation *m, const char *user, struct span channel)
{
    return m && user &&
           (mod_sanctioned(m, MODK_MUTE, channel, span_str(user), true) ||
            mod_sanctioned(m, MODK_BAN, channel, span_str(user), true));
}

/* ---- the control verb ----
 * Payload (text, untrusted from other nodes): "<kind> <0|1> <expire_ms>
 * <value>\n<record key bytes>". */

static void apply(struct moderation *m, char kind, struct span key, bool set, int64_t exp,
                  int64_t value)
{
    struct mod_cache *cs[2] = {&m->live, m->next};
    for (int i = 0; i < 2; i++) {
        if (!cs[i])
            continue;
        if (set) {
            if (mod_cache_set(cs[i], kind, key, exp, value) != 0)
                log_warn("moderation", "sanction cache: out of memory (the resync retries)");
        } else {
            mod_cache_del(cs[i], kind, key);
        }
    }
}

static bool kind_ok(char k)
{
    return k == MODK_MUTE || k == MODK_BAN || k == MODK_KICK || k == MODK_SLOW;
}

static void on_verb(struct node *n, void *ctx, struct span payload)
{
    (void)n;
    struct moderation *m = ctx;
    const uint8_t *nl = payload.n ? memchr(payload.p, '\n', payload.n < 80 ? payload.n : 80)
                                  : NULL;
    if (!nl)
        return;
    char head[81];
    size_t hn = (size_t)(nl - payload.p);
    memcpy(head, payload.p, hn);
    head[hn] = 0;
    char kind;
    int set;
    int64_t exp, value;
    int used = 0;
    if (sscanf(head, "%c %d %" SCNd64 " %" SCNd64 "%n", &kind, &set, &exp, &value, &used) != 4 ||
        (size_t)used != hn || !kind_ok(kind) || (set != 0 && set != 1) || exp < 0)
        return;
    struct span key = {nl + 1, payload.n - hn - 1};
    if (!key.n || key.n > RECORD_KEY_MAX)
        return;
    apply(m, kind, key, set, exp, value);
}

int mod_sanction_send(struct moderation *m, char kind, struct span key, bool set,
                      int64_t expire_ms, int64_t value)
{
    if (m->stopped) /* shutting down: the engine is going */
        return -1;
    char buf[80 + RECORD_KEY_MAX];
    int hn = snprintf(buf, 80, "%c %d %" PRId64 " %" PRId64 "\n", kind, set ? 1 : 0, expire_ms,
                      value);
    if (hn <= 0 || hn >= 80 || key.n > RECORD_KEY_MAX)
        return -1;
    memcpy(buf + hn, key.p, key.n);
    return node_control_send(m->node, VERB, (const uint8_t *)buf, (size_t)hn + key.n);
}

/* ---- the periodic resync ---- */

static const struct {
    const char *kind;
    char k;
} kinds[] = {{"mod.mute", MODK_MUTE}, {"mod.ban", MODK_BAN}, {"mod.kick", MODK_KICK},
             {"mod.slow", MODK_SLOW}};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

struct scan_ctx {
    struct moderation *m;
    size_t which;
    char after[RECORD_KEY_MAX];
    size_t nafter;
};

static void scan_next(struct scan_ctx *s);
static void on_timer(uv_timer_t *t);

static void kind_done(struct moderation *m)
{
    if (--m->resync_left)
        return;
    if (m->resync_failed) {
        mod_cache_free(m->next);
    } else {
        mod_cache_free(&m->live);
        m->live = *m->next; /* the dict moves with its buckets */
        m->loaded = true;
    }
    free(m->next);
    m->next = NULL;
    /* not loaded yet (the store is still connecting): try again soon */
    if (!m->loaded && m->timer_on && !m->stopped)
        uv_timer_start(&m->timer, on_timer, MOD_RETRY_MS, MOD_RESYNC_MS);
}

static int64_t slow_value(const struct record *r)
{
    json_t *v = json_loadb((const char *)r->value.p, r->value.n, 0, NULL);
    json_t *s = json_object_get(v, "seconds");
    int64_t out = json_is_integer(s) ? (int64_t)json_integer_value(s) : -1;
    json_decref(v);
    return out;
}

static void on_scan(void *arg, int err, const struct record *recs, size_t n)
{
    struct scan_ctx *s = arg;
    struct moderation *m = s->m;
    if (m->stopped || err || !m->next) {
        if (err && !m->stopped) /* quiet while the store is still connecting */
            log_emit(m->loaded ? LOG_WARN : LOG_DEBUG, "moderation",
                     "sanction resync: %s scan failed (error %d)", kinds[s->which].kind, err);
        m->resync_failed = true;
        free(s);
        kind_done(m);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t v = kinds[s->which].k == MODK_SLOW ? slow_value(&recs[i]) : 0;
        if (v >= 0 && mod_cache_set(m->next, kinds[s->which].k, recs[i].key, recs[i].expire_ms,
                                    v) != 0)
            m->resync_failed = true;
    }
    if (n < RECORD_SCAN_MAX || m->resync_failed) {
        free(s);
        kind_done(m);
        return;
    }
    s->nafter = recs[n - 1].key.n;
    memcpy(s->after, recs[n - 1].key.p, s->nafter);
    scan_next(s);
}

static void scan_next(struct scan_ctx *s)
{
    struct store *st = s->m->node->store;
    struct record_scan q = {.after = {(const uint8_t *)s->after, s->nafter},
                            .limit = RECORD_SCAN_MAX};
    int err = st->ops->record_scan ? st->ops->record_scan(st, span_str(kinds[s->which].kind), &q,
                                                          on_scan, s)
                                   : ENGINE_ETEMP;
    if (err)
        on_scan(s, err, NULL, 0);
}

void mod_cache_resync(struct moderation *m)
{
    if (m->next || m->stopped)
        return; /* one at a time */
    if (!(m->next = malloc(sizeof(*m->next))))
        return;
    mod_cache_init(m->next);
    m->resync_failed = false;
    m->resync_left = NKINDS;
    for (size_t i = 0; i < NKINDS && m->next; i++) {
        struct scan_ctx *s = calloc(1, sizeof(*s));
        if (!s) {
            m->resync_failed = true;
            kind_done(m);
            continue;
        }
        s->m = m;
        s->which = i;
        scan_next(s);
    }
}

static void on_timer(uv_timer_t *t) { mod_cache_resync(t->data); }

int mod_cache_start(struct moderation *m)
{
    if (node_control_register(m->node, VERB, on_verb, m) != 0)
        return -1;
    uv_timer_init(m->node->loop, &m->timer);
    m->timer.data = m;
    m->timer_on = true;
    uv_timer_start(&m->timer, on_timer, MOD_RESYNC_MS, MOD_RESYNC_MS);
    mod_cache_resync(m); /* the memory store answers at once: loaded now */
    return 0;
}

static void on_closed(uv_handle_t *h) { (void)h; }

void mod_cache_stop(struct moderation *m)
{
    m->stopped = true;
    if (m->timer_on && !uv_is_closing((uv_handle_t *)&m->timer))
        uv_close((uv_handle_t *)&m->timer, on_closed);
    m->timer_on = false;
}
