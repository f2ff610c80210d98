/* community/reports.c — chat.report {channel, offset, reason}: any member
 * (a connection with a user id; the API reports as "api") reports a
 * message. The message must still be in the channel's history (else 107
 * "bad request: no such message"); the queue item (queue.c) carries the
 * reporter as "user" and, for the moderators, the message's "author" and
 * "text". One report per member per message per day: a mod.report record
 * put NX (key channel \x1f offset \x1f reporter); a repeat answers
 * {"duplicate": true} and queues nothing. At most MOD_REPORT_QUOTA reports
 * per member per hour of reporting (mod_quota): more is 111. Owns each
 * call's struct mod_op. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/mod_internal.h"
#include "protocol/errors.h"
#include "rooms/store.h"

#define REPORT_DEDUP_MS (24LL * 3600 * 1000)

static const struct mod_param report_params[] = {
    {"channel", MP_CHANNEL, true, 1, 1 << 20},
    {"offset", MP_INT, true, 1, INT64_MAX},
    {"reason", MP_STR, true, 0, MOD_REASON_MAX},
};

static void on_put(void *arg, int err, const struct record *recs, size_t n)
{
    (void)recs;
    (void)n;
    struct mod_op *op = arg;
    if (err)
        return mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
    mod_queue_live_item(op->m, json_object_get(op->extra, "rec"));
    mod_op_finish(op, 0, NULL, json_pack("{s:s}", "id", op->id));
}

static void on_quota(void *arg, int err, bool within)
{
    struct mod_op *op = arg;
    if (err)
        return mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
    if (!within)
        return mod_op_finish(op, ERR_TOO_MANY_REQUESTS, "too many reports", NULL);
    int e = mod_queue_put(op->m, json_object_get(op->extra, "rec"), on_put, op);
    if (e)
        mod_op_finish(op, proto_error_from_errno(e), NULL, NULL);
}

static void on_dedup(void *arg, int err, const struct record *recs, size_t n)
{
    (void)recs;
    struct mod_op *op = arg;
    if (err)
        return mod_op_finish(op, proto_error_from_errno(err), NULL, NULL);
    if (n == 1) /* this member already reported this message today */
        return mod_op_finish(op, 0, NULL, json_pack("{s:b}", "duplicate", 1));
    if (op->api) /* the back end is not a member: no quota */
        return on_quota(op, 0, true);
    mod_quota(op->m, "mod.repn", span_str(op->actor), MOD_REPORT_QUOTA, on_quota, op);
}

/* The message is there: note its author and text, then the NX put. */
static void on_history(void *arg, const struct history_result *res)
{
    struct mod_op *op = arg;
    if (res->err == ENGINE_EUNRECOVERABLE) /* older than what history keeps */
        return mod_op_finish(op, ERR_BAD_REQUEST, "bad request: no such message", NULL);
    if (res->err)
        return mod_op_finish(op, proto_error_from_errno(res->err), NULL, NULL);
    json_t *rec = json_object_get(op->extra, "rec");
    uint64_t off = (uint64_t)json_integer_value(json_object_get(rec, "offset"));
    const struct publication *p = res->npubs ? res->pubs[0] : NULL;
    if (!p || p->offset != off)
        return mod_op_finish(op, ERR_BAD_REQUEST, "bad request: no such message", NULL);
    json_object_set_new(rec, "author", json_stringn(p->info.user.n ? (const char *)p->info.user.p
                                                                  : "", p->info.user.n));
    json_t *data = json_loadb((const char *)p->data.p, p->data.n, 0, NULL);
    json_t *text = json_object_get(data, "text");
    if (json_is_string(text))
        json_object_set(rec, "text", text);
    json_decref(data);
    /* key: channel \x1f offset \x1f reporter */
    char key[RECORD_KEY_MAX], mid[48];
    snprintf(mid, sizeof(mid), "%llu\x1f%s", (unsigned long long)off, "");
    size_t kn = mod_key(key, sizeof(key), op->channel, strlen(op->channel), mid, strlen(mid));
    size_t an = strlen(op->actor);
    if (!kn || kn + an > RECORD_KEY_MAX)
        return mod_op_finish(op, ERR_BAD_REQUEST, NULL, NULL);
    memcpy(key + kn, op->actor, an);
    int64_t ts = json_integer_value(json_object_get(rec, "ts"));
    struct record r = {.key = {(const uint8_t *)key, kn + an}, .value = span_str("1"),
                       .expire_ms = ts + REPORT_DEDUP_MS};
    struct store *st = op->m->node->store;
    int e = st->ops->record_put(st, span_str("mod.report"), &r, RECORD_NX, on_dedup, op);
    if (e)
        mod_op_finish(op, proto_error_from_errno(e), NULL, NULL);
}

static void m_report(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct moderation *m = call->ctx;
    json_t *f[3];
    const char *msg;
    uint32_t code = mod_params(m, params, report_params, 3, f, &msg);
    if (code)
        return method_error(done, arg, code, msg);
    struct mod_op *op = mod_op_new(m, call, done, arg, "chat.report");
    if (!op)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    char id[MOD_ID_LEN + 1];
    int64_t ts;
    mod_queue_new_id(m, id, &ts);
    json_int_t off = json_integer_value(f[1]);
    json_t *rec = json_pack("{s:s,s:s,s:O,s:s,s:I,s:O,s:I}", "id", id, "kind", "report",
                            "channel", f[0], "user", op->actor, "offset", off, "reason", f[2],
                            "ts", (json_int_t)ts);
    op->id = strdup(id);
    op->channel = strdup(json_string_value(f[0]));
    op->extra = rec ? json_pack("{s:o}", "rec", rec) : NULL;
    struct store *st = m->node->store;
    if (!op->id || !op->channel || !op->extra || !st->ops->record_put)
        return mod_op_finish(op, ERR_INTERNAL, NULL, NULL);
    const struct ns_config *ns = config_find_ns(m->node->cfg, op->channel, strlen(op->channel));
    struct history_query q = {.has_since = true, .since_offset = (uint64_t)off - 1, .limit = 1};
    int e = st->ops->history(st, span_str(op->channel), ns, &q, on_history, op);
    if (e)
        mod_op_finish(op, proto_error_from_errno(e), NULL, NULL);
}

int mod_reports_register(struct moderation *m)
{
    /* any member (a connection with a user id); a report costs 5 commands */
    return mod_method(m, "chat.report", m_report, ROLE_USER | MOD_STAFF, 5);
}
