/* community/audit.c — audit.h: builds one entry's JSON and puts it; and
 * the query method mod.audit (registered by the moderation module). */
#include "community/audit.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "community/mod_internal.h"
#include "node/node.h"
#include "protocol/errors.h"
#include "rooms/store.h"
#include "util/log.h"

struct put_wait {
    audit_done *done;
    void *arg;
};

static void on_put(void *arg, int err, const struct record *recs, size_t n)
{
    (void)recs;
    (void)n;
    if (err)
        log_emit(LOG_WARN, "audit", "an audit entry was not stored (error %d)", err);
    struct put_wait *w = arg;
    if (w) {
        w->done(w->arg, err);
        free(w);
    }
}

static int set_str(json_t *o, const char *k, const char *v)
{
    return v ? json_object_set_new(o, k, json_string(v)) : 0;
}

int audit_record(struct node *node, const struct audit_entry *e, audit_done *done, void *arg)
{
    int64_t ts = node_now_ms(node);
    json_t *o = json_object();
    if (!o)
        return -1;
    int bad = set_str(o, "actor", e->actor ? e->actor : "") |
              set_str(o, "action", e->action ? e->action : "") | set_str(o, "channel", e->channel) |
              set_str(o, "target_user", e->target_user) | set_str(o, "reason", e->reason);
    if (e->target)
        bad |= json_object_set_new(o, "target", json_integer((json_int_t)e->target));
    if (e->has_duration)
        bad |= json_object_set_new(o, "duration", json_integer((json_int_t)e->duration));
    bad |= json_object_set_new(o, "ts", json_integer((json_int_t)ts));
    char *val = bad ? NULL : json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!val)
        return -1;
    char key[32];
    /* entries of one millisecond keep their order on a node: the monotonic
     * clock in 256 ns steps (two entries are never that close) */
    uint32_t r = (uint32_t)(uv_hrtime() >> 8);
    int klen = snprintf(key, sizeof(key), "%016" PRIx64 "-%08" PRIx32, (uint64_t)ts, r);
    struct put_wait *w = NULL;
    if (done && !(w = malloc(sizeof(*w)))) {
        free(val);
        return -1;
    }
    if (w)
        *w = (struct put_wait){.done = done, .arg = arg};
    struct record rec = {.key = {(const uint8_t *)key, (size_t)klen},
                         .value = {(const uint8_t *)val, strlen(val)},
                         .expire_ms = ts + AUDIT_RETENTION_MS};
    int err = node->store->ops->record_put(node->store, (struct span){(const uint8_t *)AUDIT_KIND,
                                                                      sizeof(AUDIT_KIND) - 1},
                                           &rec, 0, on_put, w);
    free(val);
    if (err) {
        free(w); /* the store took nothing: on_put will not run */
        log_emit(LOG_WARN, "audit", "an audit entry was not stored (error %d)", err);
    }
    return err;
}

/* ---- mod.audit {channel?, user?, limit?} ----
 * Newest first: a reverse scan of the audit records, filtered by channel
 * (exact) and user (the actor or the target user), up to limit entries
 * (default AUDIT_QUERY_DEFAULT, at most RECORD_SCAN_MAX); a filtered query
 * reads at most AUDIT_QUERY_PAGES scan pages, so it costs a bounded amount
 * even on a long log (older matches are then not returned). */

#define AUDIT_QUERY_DEFAULT 100
#define AUDIT_QUERY_PAGES 10

static const struct mod_param audit_params[] = {
    {"channel", MP_STR, false, 1, 1024},
    {"user", MP_STR, false, 1, MOD_USER_MAX},
    {"limit", MP_INT, false, 1, RECORD_SCAN_MAX},
};

static bool str_is(json_t *o, const char *k, const char *want)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v && !strcmp(v, want);
}

static void audit_scan(struct mod_op *op, struct span after);

static void on_audit(void *arg, int err, const struct record *recs, size_t n)
{
    struct mod_op *op = arg;
    if (err)
        return mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
    json_t *entries = json_object_get(op->extra, "entries");
    size_t limit = (size_t)op->duration;
    for (size_t i = 0; i < n && json_array_size(entries) < limit; i++) {
        json_t *e = json_loadb((const char *)recs[i].value.p, recs[i].value.n, 0, NULL);
        if (e && (!op->channel || str_is(e, "channel", op->channel)) &&
            (!op->user || str_is(e, "actor", op->user) || str_is(e, "target_user", op->user)))
            json_array_append(entries, e);
        json_decref(e);
    }
    if (json_array_size(entries) < limit && n == RECORD_SCAN_MAX &&
        ++op->pages < AUDIT_QUERY_PAGES) {
        char after[RECORD_KEY_MAX];
        size_t an = recs[n - 1].key.n;
        memcpy(after, recs[n - 1].key.p, an);
        return audit_scan(op, (struct span){(const uint8_t *)after, an});
    }
    mod_op_finish(op, 0, NULL, json_pack("{s:O}", "entries", entries));
}

static void audit_scan(struct mod_op *op, struct span after)
{
    struct store *st = op->m->node->store;
    /* unfiltered: exactly limit records; filtered: whole pages */
    uint32_t lim = op->channel || op->user ? RECORD_SCAN_MAX : (uint32_t)op->duration;
    struct record_scan q = {.after = after, .limit = lim, .reverse = true};
    int e = st->ops->record_scan ? st->ops->record_scan(st, span_str(AUDIT_KIND), &q, on_audit, op)
                                 : ENGINE_ETEMP;
    if (e)
        mod_op_finish(op, proto_error_from_errno(e), NULL, NULL);
}

static void m_audit(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct moderation *m = call->ctx;
    json_t *f[3];
    const char *msg;
    uint32_t code = mod_params(m, params, audit_params, 3, f, &msg);
    if (code)
        return method_error(done, arg, code, msg);
    struct mod_op *op = mod_op_new(m, call, done, arg, "mod.audit");
    if (!op)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    op->channel = f[0] ? strdup(json_string_value(f[0])) : NULL;
    op->user = f[1] ? strdup(json_string_value(f[1])) : NULL;
    op->duration = f[2] ? json_integer_value(f[2]) : AUDIT_QUERY_DEFAULT; /* the limit */
    op->extra = json_pack("{s:[]}", "entries");
    if ((f[0] && !op->channel) || (f[1] && !op->user) || !op->extra)
        return mod_op_finish(op, ERR_INTERNAL, NULL, NULL);
    audit_scan(op, (struct span){0});
}

int mod_audit_register(struct moderation *m)
{
    return mod_method(m, "mod.audit", m_audit, 0, 0);
}
