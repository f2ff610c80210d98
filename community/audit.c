/* community/audit.c — audit.h: builds one entry's JSON and puts it. */
#include "community/audit.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "rooms/store.h"
#include "util/log.h"
#include "util/rand.h"

static void on_put(void *arg, int err, const struct record *recs, size_t n)
{
    (void)arg;
    (void)recs;
    (void)n;
    if (err)
        log_emit(LOG_WARN, "audit", "an audit entry was not stored (error %d)", err);
}

static int set_str(json_t *o, const char *k, const char *v)
{
    return v ? json_object_set_new(o, k, json_string(v)) : 0;
}

int audit_record(struct node *node, const struct audit_entry *e)
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
    uint32_t r;
    rand_bytes(&r, sizeof(r));
    int klen = snprintf(key, sizeof(key), "%016" PRIx64 "-%08" PRIx32, (uint64_t)ts, r);
    struct record rec = {.key = {(const uint8_t *)key, (size_t)klen},
                         .value = {(const uint8_t *)val, strlen(val)},
                         .expire_ms = ts + AUDIT_RETENTION_MS};
    int err = node->store->ops->record_put(node->store, (struct span){(const uint8_t *)AUDIT_KIND,
                                                                      sizeof(AUDIT_KIND) - 1},
                                           &rec, 0, on_put, NULL);
    free(val);
    if (err)
        log_emit(LOG_WARN, "audit", "an audit entry was not stored (error %d)", err);
    return err;
}
