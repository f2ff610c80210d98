/* community/polls.c — polls.h: the four methods and the live results timer.
 * Each method is one struct ccall (community/call.h) stepping through store
 * callbacks; each results read is one struct results_read. */
#include "community/polls.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/attendance.h"
#include "community/call.h"
#include "community/members_stats.h"
#include "community/publish.h"
#include "config/access.h"
#include "config/config.h"
#include "node/node.h"
#include "node/user_verbs.h"
#include "protocol/errors.h"
#include "rooms/store.h"
#include "util/rand.h"

#define SPAN_OF(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})

static const struct span kind_poll = SPAN_OF(POLL_KIND);
static const struct span kind_vote = SPAN_OF(POLL_VOTE_KIND);
static const struct span kind_count = SPAN_OF(POLL_COUNT_KIND);
static const struct span kind_index = SPAN_OF(POLL_INDEX_KIND);

enum poll_kind { PK_SINGLE, PK_MULTI, PK_NPS };

static int kind_of(json_t *poll)
{
    const char *k = json_string_value(json_object_get(poll, "kind"));
    return !k ? -1 : !strcmp(k, "single") ? PK_SINGLE : !strcmp(k, "multi") ? PK_MULTI
                                          : !strcmp(k, "nps")  ? PK_NPS : -1;
}

/* Options (NPS: the 11 scores) a poll counts. */
static size_t noptions(json_t *poll)
{
    return kind_of(poll) == PK_NPS ? 11 : json_array_size(json_object_get(poll, "options"));
}

/* ---- results ---- */

typedef void results_cb(void *arg, int err, json_t *results);

struct results_read {
    json_t *poll;          /* owned reference */
    results_cb *cb;
    void *arg;
};

/* {poll_id, counts, voters, closed[, promoters, passives, detractors, nps]} */
static json_t *results_of(json_t *poll, const struct record *recs, size_t n)
{
    size_t nopt = noptions(poll);
    int64_t counts[POLL_MAX_OPTIONS > 11 ? POLL_MAX_OPTIONS : 11] = {0};
    int64_t voters = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *sep = memchr(recs[i].key.p, 0x1f, recs[i].key.n);
        if (!sep)
            continue;
        char tag[16];
        size_t tl = recs[i].key.n - (size_t)(sep + 1 - recs[i].key.p);
        char val[24];
        if (tl == 0 || tl >= sizeof(tag) || recs[i].value.n == 0 || recs[i].value.n >= sizeof(val))
            continue;
        memcpy(tag, sep + 1, tl);
        tag[tl] = 0;
        memcpy(val, recs[i].value.p, recs[i].value.n);
        val[recs[i].value.n] = 0;
        int64_t v = strtoll(val, NULL, 10);
        if (!strcmp(tag, "v"))
            voters = v;
        else if (tag[0] == 'o') {
            long idx = strtol(tag + 1, NULL, 10);
            if (idx >= 0 && (size_t)idx < nopt)
                counts[idx] = v;
        }
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < nopt; i++)
        json_array_append_new(arr, json_integer(counts[i]));
    json_t *r = json_pack("{s:O,s:o,s:I,s:b}", "poll_id", json_object_get(poll, "id"), "counts",
                          arr, "voters", (json_int_t)voters, "closed",
                          json_is_true(json_object_get(poll, "closed")));
    if (r && kind_of(poll) == PK_NPS) {
        int64_t det = 0, pas = counts[7] + counts[8], pro = counts[9] + counts[10];
        for (int i = 0; i <= 6; i++)
            det += counts[i];
        int64_t total = det + pas + pro;
        json_object_set_new(r, "promoters", json_integer(pro));
        json_object_set_new(r, "passives", json_integer(pas));
        json_object_set_new(r, "detractors", json_integer(det));
        json_object_set_new(r, "nps", total ? json_integer((json_int_t)lround(
                                                  100.0 * (double)(pro - det) / (double)total))
                                            : json_null());
    }
    return r;
}

static void on_counts(void *arg, int err, const struct record *recs, size_t n)
{
    struct results_read *rr = arg;
    json_t *res = err ? NULL : results_of(rr->poll, recs, n);
    rr->cb(rr->arg, err ? err : res ? 0 : -ENOMEM, res);
    json_decref(res);
    json_decref(rr->poll);
    free(rr);
}

/* Reads poll's counters; cb gets the results (borrowed) or an error. */
static void read_results(struct node *node, json_t *poll, results_cb *cb, void *arg)
{
    struct results_read *rr = malloc(sizeof(*rr));
    char prefix[POLL_ID_LEN + 2];
    int pl = snprintf(prefix, sizeof(prefix), "%s\x1f", json_string_value(json_object_get(poll, "id")));
    if (!rr)
        return cb(arg, -ENOMEM, NULL);
    *rr = (struct results_read){json_incref(poll), cb, arg};
    struct record_scan q = {.prefix = {(const uint8_t *)prefix, (size_t)pl}};
    if (node->store->ops->record_scan(node->store, kind_count, &q, on_counts, rr)) {
        json_decref(rr->poll);
        free(rr);
        cb(arg, -EAGAIN, NULL);
    }
}

/* ---- live results ---- */

static void mark_dirty(struct polls *p, const char *id)
{
    for (uint32_t i = 0; i < p->ndirty; i++)
        if (!strcmp(p->dirty[i], id))
            return;
    if (p->ndirty < POLL_DIRTY_MAX)
        snprintf(p->dirty[p->ndirty++], POLL_ID_LEN + 1, "%s", id);
}

struct live_pub {
    struct node *node;
    char channel[256];
    bool closing;          /* the final results of a poll being closed */
};

static void on_live_results(void *arg, int err, json_t *res)
{
    struct live_pub *lp = arg;
    if (!err && lp->closing && json_is_integer(json_object_get(res, "nps")))
        members_stats_nps(lp->node, json_integer_value(json_object_get(res, "nps")));
    if (!err) {
        json_t *o = json_deep_copy(res);
        json_object_set_new(o, "type", json_string("poll_results"));
        community_publish(lp->node, lp->channel, o, false);
    }
    free(lp);
}

static void on_dirty_poll(void *arg, int err, const struct record *recs, size_t n)
{
    struct node *node = arg;
    if (err || n == 0)
        return;
    json_error_t je;
    json_t *poll = json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, &je);
    const char *ch = json_string_value(json_object_get(poll, "channel"));
    struct live_pub *lp = ch ? malloc(sizeof(*lp)) : NULL;
    if (lp) {
        lp->node = node;
        lp->closing = false;
        snprintf(lp->channel, sizeof(lp->channel), "%s", ch);
        read_results(node, poll, on_live_results, lp);
    }
    json_decref(poll);
}

static void on_timer(uv_timer_t *t)
{
    struct polls *p = t->data;
    uint32_t n = p->ndirty;
    p->ndirty = 0;
    for (uint32_t i = 0; i < n && !p->stopped; i++)
        p->node->store->ops->record_get(p->node->store, kind_poll, span_str(p->dirty[i]),
                                        on_dirty_poll, p->node);
}

/* ---- the NPS pulse's invitations ---- */

/* A poll with an audience is pushed, personally, to every member present
 * in its room long enough when it opens ({"type":"poll_invite",...}:
 * node/user_verbs.h, on whichever node they are). Members who reach the
 * threshold later may still vote; they see the poll in the room. */
struct invite {
    struct node *node;
    char *data;            /* owned: the push's JSON */
};

static void invite_one(void *ctx, const char *user)
{
    struct invite *iv = ctx;
    node_user_message(iv->node, user, NULL, iv->data);
}

static void invite_done(void *ctx, int err)
{
    struct invite *iv = ctx;
    (void)err; /* the poll is open either way; invitations are a courtesy */
    free(iv->data);
    free(iv);
}

static void invite_audience(struct node *node, json_t *poll)
{
    json_t *aud = json_object_get(poll, "audience");
    if (!aud)
        return;
    json_t *o = json_pack("{s:s,s:O,s:O,s:O,s:O,s:O}", "type", "poll_invite", "poll_id",
                          json_object_get(poll, "id"), "channel", json_object_get(poll, "channel"),
                          "question", json_object_get(poll, "question"), "kind",
                          json_object_get(poll, "kind"), "audience", aud);
    struct invite *iv = o ? malloc(sizeof(*iv)) : NULL;
    if (iv && !(iv->data = json_dumps(o, JSON_COMPACT))) {
        free(iv);
        iv = NULL;
    }
    json_decref(o);
    if (!iv)
        return;
    iv->node = node;
    json_int_t min = json_integer_value(json_object_get(aud, "min_attended"));
    attendance_each_present(node, json_string_value(json_object_get(poll, "channel")),
                            (int64_t)min * 1000, invite_one, invite_done, iv);
}

/* ---- poll.create ---- */

static void on_created(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    (void)recs;
    (void)n;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    /* the room's index: channel \x1f 13-digit creation ms + id (oldest first) */
    char ik[RECORD_KEY_MAX + 1];
    const char *id = json_string_value(json_object_get(c->doc, "id"));
    int ikl = snprintf(ik, sizeof(ik), "%s\x1f%013" PRId64 "%s",
                       json_string_value(json_object_get(c->doc, "channel")),
                       (int64_t)json_integer_value(json_object_get(c->doc, "ts")), id);
    if (ikl > 0 && ikl <= RECORD_KEY_MAX) {
        struct record ir = {.key = {(const uint8_t *)ik, (size_t)ikl}, .value = span_str(id)};
        c->node->store->ops->record_put(c->node->store, kind_index, &ir, 0, NULL, NULL);
    }
    json_t *announce = json_deep_copy(c->doc);
    json_object_set_new(announce, "type", json_string("poll"));
    json_object_set(announce, "poll_id", json_object_get(c->doc, "id"));
    json_object_del(announce, "id");
    community_publish(c->node, json_string_value(json_object_get(c->doc, "channel")), announce,
                      true);
    invite_audience(c->node, c->doc);
    ccall_ok(c, json_pack("{s:O}", "poll_id", json_object_get(c->doc, "id")));
}

static int check_create(json_t *p, const struct config *cfg, char *err, size_t errlen)
{
#define BAD(...) return snprintf(err, errlen, __VA_ARGS__), -1
    const char *ch = param_str(p, "channel", 1, 255);
    const struct ns_config *ns = ch ? config_find_ns(cfg, ch, strlen(ch)) : NULL;
    if (!ns || !ns->chat)
        BAD("channel must be a channel of a chat namespace");
    if (!param_str(p, "question", 1, 500))
        BAD("question must be 1..500 bytes");
    const char *k = json_string_value(json_object_get(p, "kind"));
    if (!k || (strcmp(k, "single") && strcmp(k, "multi") && strcmp(k, "nps")))
        BAD("kind must be single, multi or nps");
    json_t *opts = json_object_get(p, "options");
    if (!strcmp(k, "nps")) {
        if (opts && !(json_is_array(opts) && json_array_size(opts) == 0))
            BAD("an nps poll has no options (votes are scores 0..10)");
    } else {
        if (!json_is_array(opts) || json_array_size(opts) < 2 ||
            json_array_size(opts) > POLL_MAX_OPTIONS)
            BAD("options must be a list of 2..%d strings", POLL_MAX_OPTIONS);
        size_t i;
        json_t *o;
        json_array_foreach(opts, i, o) {
            if (!json_is_string(o) || json_string_length(o) < 1 || json_string_length(o) > 200)
                BAD("each option is a string of 1..200 bytes");
        }
    }
    json_t *aud = json_object_get(p, "audience");
    if (aud && !json_is_null(aud)) {
        json_t *m = json_object_get(aud, "min_attended");
        if (!json_is_object(aud) || json_object_size(aud) != 1 || !json_is_integer(m) ||
            json_integer_value(m) < 0 || json_integer_value(m) > 86400)
            BAD("audience must be {\"min_attended\": seconds (0..86400)}");
    }
    const char *key;
    json_t *v;
    json_object_foreach(p, key, v) {
        if (strcmp(key, "channel") && strcmp(key, "question") && strcmp(key, "kind") &&
            strcmp(key, "options") && strcmp(key, "audience"))
            BAD("unknown key \"%s\"", key);
    }
    return 0;
#undef BAD
}

static void m_create(const struct method_call *mc, json_t *params, method_done *done, void *arg)
{
    char err[160];
    if (check_create(params, mc->node->cfg, err, sizeof(err)))
        return method_error(done, arg, ERR_BAD_REQUEST, err);
    struct ccall *c = ccall_new(mc, params, done, arg);
    if (!c)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    uint8_t raw[POLL_ID_LEN / 2];
    char id[POLL_ID_LEN + 1];
    rand_bytes(raw, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    c->doc = json_deep_copy(params);
    json_object_set_new(c->doc, "id", json_string(id));
    if (!json_object_get(c->doc, "options"))
        json_object_set_new(c->doc, "options", json_array());
    json_object_set_new(c->doc, "closed", json_false());
    json_object_set_new(c->doc, "created_by", json_string(c->user));
    json_object_set_new(c->doc, "ts", json_integer(node_now_ms(c->node)));
    char *val = json_dumps(c->doc, JSON_COMPACT);
    struct record r = {.key = span_str(id), .value = span_str(val ? val : "")};
    if (!val || c->node->store->ops->record_put(c->node->store, kind_poll, &r, 0, on_created, c))
        ccall_error(c, ERR_INTERNAL, NULL);
    free(val);
}

/* ---- the others read the poll first ---- */

typedef void poll_step(struct ccall *c);
static void step_vote(struct ccall *c);

static void on_poll(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    if (n == 0)
        return ccall_error(c, ERR_BAD_REQUEST, "no such poll");
    json_error_t je;
    c->doc = json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, &je);
    if (!json_is_object(c->doc) || kind_of(c->doc) < 0)
        return ccall_error(c, ERR_INTERNAL, "stored poll unreadable");
    poll_step *next = (poll_step *)(uintptr_t)c->n[3];
    next(c);
}

static void with_poll(const struct method_call *mc, json_t *params, method_done *done, void *arg,
                      uint32_t roles, poll_step *next)
{
    struct ccall *c = ccall_new(mc, params, done, arg);
    if (!c)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    if (c->api && next == step_vote) { /* the API votes for a named member */
        const char *u = param_str(params, "user", 1, 128);
        if (!u)
            return ccall_error(c, ERR_BAD_REQUEST, "an API vote names its member: \"user\"");
        free(c->user);
        if (!(c->user = strdup(u)))
            return ccall_error(c, ERR_INTERNAL, NULL);
    }
    if (roles && !ccall_has_role(c, roles))
        return ccall_error(c, ERR_PERMISSION_DENIED, NULL);
    const char *id = param_str(params, "poll_id", 1, POLL_ID_LEN);
    if (!id)
        return ccall_error(c, ERR_BAD_REQUEST, "poll_id must name a poll");
    c->n[3] = (int64_t)(uintptr_t)next;
    if (c->node->store->ops->record_get(c->node->store, kind_poll, span_str(id), on_poll, c))
        ccall_error(c, ERR_INTERNAL, NULL);
}

static void on_results_answer(void *arg, int err, json_t *res)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    ccall_ok(c, json_incref(res));
}

static void step_results(struct ccall *c) { read_results(c->node, c->doc, on_results_answer, c); }

static void m_results(const struct method_call *mc, json_t *p, method_done *d, void *a)
{
    with_poll(mc, p, d, a, 0, step_results);
}

/* poll.close: mark closed, answer, publish the final results at once */
static void on_closed(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    (void)recs;
    (void)n;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    struct live_pub *lp = malloc(sizeof(*lp));
    if (lp) {
        lp->node = c->node;
        lp->closing = true;
        snprintf(lp->channel, sizeof(lp->channel), "%s",
                 json_string_value(json_object_get(c->doc, "channel")));
        read_results(c->node, c->doc, on_live_results, lp);
    }
    ccall_ok(c, NULL);
}

static void step_close(struct ccall *c)
{
    if (json_is_true(json_object_get(c->doc, "closed")))
        return ccall_ok(c, NULL);
    json_object_set_new(c->doc, "closed", json_true());
    char *val = json_dumps(c->doc, JSON_COMPACT);
    const char *id = json_string_value(json_object_get(c->doc, "id"));
    struct record r = {.key = span_str(id), .value = span_str(val ? val : "")};
    if (!val || c->node->store->ops->record_put(c->node->store, kind_poll, &r, 0, on_closed, c))
        ccall_error(c, ERR_INTERNAL, NULL);
    free(val);
}

static void m_close(const struct method_call *mc, json_t *p, method_done *d, void *a)
{
    with_poll(mc, p, d, a, ROLE_HOST | ROLE_MODERATOR, step_close);
}

/* ---- poll.vote ---- */

/* The options a vote names, as a bit set (bit i = option i; NPS: the
 * score). -1 with a sentence when the vote does not fit the poll. */
static int64_t vote_bits(json_t *poll, json_t *params, char *err, size_t errlen)
{
    int k = kind_of(poll);
    json_t *score = json_object_get(params, "score");
    json_t *choices = json_object_get(params, "choices");
    if (k == PK_NPS) {
        if (choices || !json_is_integer(score) || json_integer_value(score) < 0 ||
            json_integer_value(score) > 10)
            return snprintf(err, errlen, "an nps vote is {poll_id, score: 0..10}"), -1;
        return (int64_t)1 << json_integer_value(score);
    }
    size_t nopt = noptions(poll);
    if (score || !json_is_array(choices) || json_array_size(choices) < 1 ||
        (k == PK_SINGLE && json_array_size(choices) != 1) || json_array_size(choices) > nopt)
        return snprintf(err, errlen, k == PK_SINGLE ? "a single-choice vote is {poll_id, choices: [i]}"
                                                    : "a multi-choice vote is {poll_id, choices: [i, ..]}"),
               -1;
    int64_t bits = 0;
    size_t i;
    json_t *x;
    json_array_foreach(choices, i, x) {
        if (!json_is_integer(x) || json_integer_value(x) < 0 ||
            (size_t)json_integer_value(x) >= nopt)
            return snprintf(err, errlen, "choice %zu is not an option of this poll", i), -1;
        int64_t b = (int64_t)1 << json_integer_value(x);
        if (bits & b)
            return snprintf(err, errlen, "a choice is listed twice"), -1;
        bits |= b;
    }
    return bits;
}

static void count(struct node *node, const char *id, const char *tag, int64_t delta)
{
    char key[POLL_ID_LEN + 8];
    int kl = snprintf(key, sizeof(key), "%s\x1f%s", id, tag);
    node->store->ops->record_incr(node->store, kind_count, (struct span){(const uint8_t *)key, (size_t)kl},
                                  delta, 0, NULL, NULL);
}

/* c->n[0] = the new vote's bits; the previous vote (if any) arrives here
 * from the NX put that stored the new one. */
static void on_vote_put(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    const char *id = json_string_value(json_object_get(c->doc, "id"));
    char vkey[POLL_ID_LEN + 2 + 256];
    int vkl = snprintf(vkey, sizeof(vkey), "%s\x1f%s", id, c->user);
    int64_t old = 0;
    if (n == 1) {
        /* an earlier vote: replace it (a plain put), then move the counters */
        char buf[24];
        size_t l = recs[0].value.n < sizeof(buf) - 1 ? recs[0].value.n : sizeof(buf) - 1;
        memcpy(buf, recs[0].value.p, l);
        buf[l] = 0;
        old = strtoll(buf, NULL, 10);
        char val[24];
        int vl = snprintf(val, sizeof(val), "%" PRId64, c->n[0]);
        struct record r = {.key = {(const uint8_t *)vkey, (size_t)vkl},
                           .value = {(const uint8_t *)val, (size_t)vl}};
        if (c->node->store->ops->record_put(c->node->store, kind_vote, &r, 0, NULL, NULL))
            return ccall_error(c, ERR_INTERNAL, NULL);
    } else {
        count(c->node, id, "v", 1);
    }
    for (int i = 0; i < 63; i++) {
        int64_t b = (int64_t)1 << i;
        if ((old & b) == (c->n[0] & b))
            continue;
        char tag[8];
        snprintf(tag, sizeof(tag), "o%d", i);
        count(c->node, id, tag, (c->n[0] & b) ? 1 : -1);
    }
    mark_dirty(c->mod, id);
    ccall_ok(c, NULL);
}

static void put_vote(struct ccall *c)
{
    const char *id = json_string_value(json_object_get(c->doc, "id"));
    char vkey[POLL_ID_LEN + 2 + 256];
    int vkl = snprintf(vkey, sizeof(vkey), "%s\x1f%s", id, c->user);
    char val[24];
    int vl = snprintf(val, sizeof(val), "%" PRId64, c->n[0]);
    struct record r = {.key = {(const uint8_t *)vkey, (size_t)vkl},
                       .value = {(const uint8_t *)val, (size_t)vl}};
    if (c->node->store->ops->record_put(c->node->store, kind_vote, &r, RECORD_NX, on_vote_put, c))
        ccall_error(c, ERR_INTERNAL, NULL);
}

/* The audience rule: the voter's attendance of the poll's channel
 * (community/attendance.h) must reach min_attended seconds. */
static void on_attended(void *arg, int err, int64_t attended_ms)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    json_int_t min = json_integer_value(
        json_object_get(json_object_get(c->doc, "audience"), "min_attended"));
    if (attended_ms < (int64_t)min * 1000)
        return ccall_error(c, ERR_PERMISSION_DENIED, "not in this poll's audience");
    put_vote(c);
}

static void step_vote(struct ccall *c)
{
    if (json_is_true(json_object_get(c->doc, "closed")))
        return ccall_error(c, ERR_PERMISSION_DENIED, "the poll is closed");
    char err[120];
    int64_t bits = vote_bits(c->doc, c->params, err, sizeof(err));
    if (bits < 0)
        return ccall_error(c, ERR_BAD_REQUEST, err);
    c->n[0] = bits;
    json_t *aud = json_object_get(c->doc, "audience");
    if (aud) {
        return attendance_of(c->node, json_string_value(json_object_get(c->doc, "channel")),
                             c->user, on_attended, c);
    }
    put_vote(c);
}

static void m_vote(const struct method_call *mc, json_t *p, method_done *d, void *a)
{
    if (mc->origin == METHOD_RPC && (!mc->user || !*mc->user))
        return method_error(d, a, ERR_PERMISSION_DENIED, "anonymous users cannot vote");
    with_poll(mc, p, d, a, 0, step_vote);
}

/* ---- a room's polls (stats.event) ---- */

struct room_read {
    polls_room_cb *cb;
    void *arg;
    struct node *node;
    json_t *out;             /* owned: slots filled as results arrive */
    size_t pending;
    bool failed;
};

struct room_slot {
    struct room_read *rr;
    size_t at;
};

static void room_done(struct room_read *rr)
{
    if (--rr->pending)
        return;
    /* drop the slots whose poll vanished */
    for (size_t i = json_array_size(rr->out); i-- > 0;)
        if (json_is_null(json_array_get(rr->out, i)))
            json_array_remove(rr->out, i);
    rr->cb(rr->arg, rr->failed ? -EAGAIN : 0, rr->failed ? NULL : rr->out);
    json_decref(rr->out);
    free(rr);
}

static void on_slot_results(void *arg, int err, json_t *res)
{
    struct room_slot *s = arg;
    json_t *slot = json_array_get(s->rr->out, s->at);
    if (err)
        s->rr->failed = true;
    else if (json_is_object(slot))
        json_object_update(slot, res);
    room_done(s->rr);
    free(s);
}

static void on_slot_poll(void *arg, int err, const struct record *recs, size_t n)
{
    struct room_slot *s = arg;
    json_error_t je;
    json_t *poll = !err && n ? json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, &je) : NULL;
    if (err)
        s->rr->failed = true;
    if (!json_is_object(poll) || kind_of(poll) < 0) {
        json_decref(poll);
        room_done(s->rr);
        free(s);
        return;
    }
    struct room_read *rr = s->rr;
    /* results_of() does not carry question and kind: the slot gets them first */
    json_array_set_new(rr->out, s->at, json_pack("{s:O,s:O}", "question",
                                                 json_object_get(poll, "question"), "kind",
                                                 json_object_get(poll, "kind")));
    read_results(rr->node, poll, on_slot_results, s);
    json_decref(poll);
}

static void on_room_index(void *arg, int err, const struct record *recs, size_t n)
{
    struct room_read *rr = arg;
    if (err) {
        rr->cb(rr->arg, err, NULL);
        json_decref(rr->out);
        free(rr);
        return;
    }
    rr->pending = 1; /* held until every get is started */
    for (size_t i = 0; i < n; i++) {
        struct room_slot *s = malloc(sizeof(*s));
        if (!s || json_array_append_new(rr->out, json_null())) {
            free(s);
            rr->failed = true;
            break;
        }
        *s = (struct room_slot){rr, json_array_size(rr->out) - 1};
        rr->pending++;
        if (rr->node->store->ops->record_get(rr->node->store, kind_poll, recs[i].value,
                                             on_slot_poll, s)) {
            rr->failed = true;
            rr->pending--;
            free(s);
        }
    }
    room_done(rr);
}

void polls_of_room(struct node *node, const char *channel, polls_room_cb *cb, void *arg)
{
    struct room_read *rr = calloc(1, sizeof(*rr));
    char prefix[RECORD_KEY_MAX + 1];
    int pl = snprintf(prefix, sizeof(prefix), "%s\x1f", channel);
    if (!rr || !(rr->out = json_array()) || pl <= 0 || pl > RECORD_KEY_MAX) {
        if (rr)
            json_decref(rr->out);
        free(rr);
        return cb(arg, -EINVAL, NULL);
    }
    rr->cb = cb;
    rr->arg = arg;
    rr->node = node;
    struct record_scan q = {.prefix = {(const uint8_t *)prefix, (size_t)pl}};
    if (node->store->ops->record_scan(node->store, kind_index, &q, on_room_index, rr)) {
        json_decref(rr->out);
        free(rr);
        cb(arg, -EAGAIN, NULL);
    }
}

/* ---- the module ---- */

struct polls *polls_new(struct node *node)
{
    struct polls *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->node = node;
    const struct method_spec specs[] = {
        {"poll.create", m_create, p, ROLE_HOST | ROLE_MODERATOR | ROLE_BOT, true, 1},
        {"poll.vote", m_vote, p, ROLE_USER, true, 1},
        {"poll.close", m_close, p, ROLE_HOST | ROLE_MODERATOR | ROLE_BOT, true, 1},
        {"poll.results", m_results, p, ROLE_USER | ROLE_ANONYMOUS, true, 1},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (methods_register(&node->methods, &specs[i]) != 0) {
            free(p);
            return NULL;
        }
    uv_timer_init(node->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, on_timer, POLL_RESULTS_MS, POLL_RESULTS_MS);
    uv_unref((uv_handle_t *)&p->timer);
    return p;
}

static void on_timer_closed(uv_handle_t *h) { (void)h; }

void polls_stop(struct polls *p)
{
    if (!p || p->stopped)
        return;
    p->stopped = true;
    uv_close((uv_handle_t *)&p->timer, on_timer_closed);
}

void polls_free(struct polls *p) { free(p); }
