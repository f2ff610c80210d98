/* community/qa.c — qa.h. Each method is one struct ccall (community/call.h)
 * through its store callbacks; c->extra holds the key being worked on. */
#include "community/qa.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/call.h"
#include "community/moderation.h"
#include "community/publish.h"
#include "config/access.h"
#include "config/config.h"
#include "node/node.h"
#include "protocol/errors.h"
#include "rooms/store.h"
#include "util/rand.h"

#define SPAN_OF(lit) ((struct span){(const uint8_t *)(lit), sizeof(lit) - 1})
#define STAFF (ROLE_HOST | ROLE_MODERATOR)

static struct span kspan(const char *k, size_t n) { return (struct span){(const uint8_t *)k, n}; }

/* channel\x1fsuffix into out; its length, or 0 when it does not fit. */
static size_t key2(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s\x1f%s", a, b);
    return n > 0 && (size_t)n < cap && (size_t)n <= RECORD_KEY_MAX ? (size_t)n : 0;
}

/* The channel param: a chat namespace's channel. */
static const char *chat_channel(struct ccall *c)
{
    const char *ch = param_str(c->params, "channel", 1, 255);
    const struct ns_config *ns = ch ? config_find_ns(c->node->cfg, ch, strlen(ch)) : NULL;
    return ns && ns->chat ? ch : NULL;
}

static bool text_ok(const char *t)
{
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            return false;
    return true;
}

static void stat_incr(struct node *node, const char *ch, const char *tag)
{
    char k[RECORD_KEY_MAX + 1];
    size_t kl = key2(k, sizeof(k), ch, tag);
    if (kl)
        node->store->ops->record_incr(node->store, SPAN_OF(QA_STAT_KIND), kspan(k, kl), 1, 0,
                                      NULL, NULL);
}

/* Publishes {"type":"qa","action":action,"question":q (borrowed)} */
static void publish_change(struct node *node, const char *ch, const char *action, json_t *q)
{
    community_publish(node, ch, json_pack("{s:s,s:s,s:O}", "type", "qa", "action", action,
                                          "question", q), true);
}

/* ---- qa.ask ---- */

static void on_asked(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    (void)recs;
    (void)n;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    const char *ch = json_string_value(json_object_get(c->doc, "channel"));
    stat_incr(c->node, ch, "q");
    publish_change(c->node, ch, "ask", c->doc);
    ccall_ok(c, json_pack("{s:O}", "question_id", json_object_get(c->doc, "question_id")));
}

static void on_rate(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    if (n == 1) { /* an earlier question holds the slot */
        int64_t left = (recs[0].expire_ms - node_now_ms(c->node) + 999) / 1000;
        char msg[64];
        snprintf(msg, sizeof(msg), "one question per %d s: wait %" PRId64 " s", QA_ASK_INTERVAL_S,
                 left > 0 ? left : 1);
        return ccall_error(c, ERR_TOO_MANY_REQUESTS, msg);
    }
    const char *ch = json_string_value(json_object_get(c->doc, "channel"));
    char k[RECORD_KEY_MAX + 1];
    size_t kl = key2(k, sizeof(k), ch, json_string_value(json_object_get(c->doc, "question_id")));
    char *val = json_dumps(c->doc, JSON_COMPACT);
    struct record r = {.key = kspan(k, kl), .value = span_str(val ? val : "")};
    if (!val || !kl ||
        c->node->store->ops->record_put(c->node->store, SPAN_OF(QA_KIND), &r, 0, on_asked, c))
        ccall_error(c, ERR_INTERNAL, NULL);
    free(val);
}

static void m_ask(const struct method_call *mc, json_t *params, method_done *done, void *arg)
{
    struct ccall *c = ccall_new(mc, params, done, arg);
    if (!c)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    if (c->api) { /* the API asks for a named member */
        const char *u = param_str(params, "user", 1, 128);
        free(c->user);
        c->user = u ? strdup(u) : NULL;
        if (!c->user)
            return ccall_error(c, ERR_BAD_REQUEST, "an API question names its member: \"user\"");
    }
    const char *ch = chat_channel(c);
    const char *text = param_str(params, "text", 1, QA_TEXT_MAX);
    if (!ch || !text || !text_ok(text))
        return ccall_error(c, ERR_BAD_REQUEST, "qa.ask takes {channel (a chat room), text "
                                               "(1..1000 bytes, no control characters)}");
    if (!c->api && c->mod && moderation_is_muted(c->mod, c->user, span_str(ch)))
        return ccall_error(c, ERR_PERMISSION_DENIED, "muted");
    int64_t now = node_now_ms(c->node);
    uint16_t rnd;
    rand_bytes(&rnd, sizeof(rnd));
    char qid[QA_ID_LEN + 1];
    snprintf(qid, sizeof(qid), "%013" PRId64 "%04x", now, (unsigned)rnd);
    c->doc = json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:b,s:b}", "question_id", qid, "channel", ch,
                       "user", c->user, "text", text, "ts", (json_int_t)now, "answered", 0,
                       "pinned", 0, "dismissed", 0);
    char k[RECORD_KEY_MAX + 1];
    size_t kl = key2(k, sizeof(k), ch, c->user);
    struct record r = {.key = kspan(k, kl), .value = SPAN_OF("1"),
                       .expire_ms = now + QA_ASK_INTERVAL_S * 1000LL};
    if (!c->doc || !kl ||
        c->node->store->ops->record_put(c->node->store, SPAN_OF(QA_RATE_KIND), &r, RECORD_NX,
                                        on_rate, c))
        ccall_error(c, ERR_INTERNAL, NULL);
}

/* ---- the methods on one question read it first ---- */

enum qa_op { QA_UPVOTE, QA_UNVOTE, QA_ANSWER, QA_PIN, QA_DISMISS };
static const char *const op_names[] = {"upvote", "unvote", "answer", "pin", "dismiss"};

static void on_votes(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    int64_t votes = 0;
    if (!err && n == 1) {
        char b[24];
        size_t l = recs[0].value.n < 23 ? recs[0].value.n : 23;
        memcpy(b, recs[0].value.p, l);
        b[l] = 0;
        votes = strtoll(b, NULL, 10);
    }
    json_object_set_new(c->doc, "votes", json_integer(votes));
    publish_change(c->node, json_string_value(json_object_get(c->doc, "channel")),
                   op_names[c->n[0]], c->doc);
    ccall_ok(c, json_pack("{s:I}", "votes", (json_int_t)votes));
}

static void vote_count(struct ccall *c, int64_t delta)
{
    const char *ch = json_string_value(json_object_get(c->doc, "channel"));
    char k[RECORD_KEY_MAX + 1];
    size_t kl = key2(k, sizeof(k), ch, json_string_value(json_object_get(c->doc, "question_id")));
    struct store *st = c->node->store;
    int err = delta ? st->ops->record_incr(st, SPAN_OF(QA_COUNT_KIND), kspan(k, kl), delta, 0,
                                           on_votes, c)
                    : st->ops->record_get(st, SPAN_OF(QA_COUNT_KIND), kspan(k, kl), on_votes, c);
    if (err)
        ccall_error(c, ERR_INTERNAL, NULL);
}

static void on_vote_put(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    (void)recs;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    /* upvote: NX put landed (n == 0) = a new vote; unvote: del removed one (n == 1) */
    bool changed = c->n[0] == QA_UPVOTE ? n == 0 : n == 1;
    vote_count(c, changed ? (c->n[0] == QA_UPVOTE ? 1 : -1) : 0);
}

static void on_flag_written(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    (void)recs;
    (void)n;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    vote_count(c, 0);
}

static void on_question(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    if (n == 0)
        return ccall_error(c, ERR_BAD_REQUEST, "no such question in this channel");
    json_error_t je;
    c->doc = json_loadb((const char *)recs[0].value.p, recs[0].value.n, 0, &je);
    if (!json_is_object(c->doc))
        return ccall_error(c, ERR_INTERNAL, NULL);
    struct store *st = c->node->store;
    const char *qid = json_string_value(json_object_get(c->doc, "question_id"));
    if (c->n[0] == QA_UPVOTE || c->n[0] == QA_UNVOTE) {
        char k[RECORD_KEY_MAX + 1];
        size_t kl = key2(k, sizeof(k), qid, c->user);
        struct record r = {.key = kspan(k, kl), .value = SPAN_OF("1")};
        int e = !kl ? -1
                : c->n[0] == QA_UPVOTE
                    ? st->ops->record_put(st, SPAN_OF(QA_VOTE_KIND), &r, RECORD_NX, on_vote_put, c)
                    : st->ops->record_del(st, SPAN_OF(QA_VOTE_KIND), kspan(k, kl), on_vote_put, c);
        if (e)
            ccall_error(c, ERR_INTERNAL, NULL);
        return;
    }
    const char *flag = c->n[0] == QA_ANSWER ? "answered" : c->n[0] == QA_PIN ? "pinned" : "dismissed";
    if (c->n[0] == QA_ANSWER && !json_is_true(json_object_get(c->doc, "answered")))
        stat_incr(c->node, json_string_value(json_object_get(c->doc, "channel")), "a");
    json_object_set_new(c->doc, flag, json_true());
    const char *ch = json_string_value(json_object_get(c->doc, "channel"));
    char k[RECORD_KEY_MAX + 1];
    size_t kl = key2(k, sizeof(k), ch, qid);
    char *val = json_dumps(c->doc, JSON_COMPACT);
    struct record r = {.key = kspan(k, kl), .value = span_str(val ? val : "")};
    if (!val || !kl || st->ops->record_put(st, SPAN_OF(QA_KIND), &r, 0, on_flag_written, c))
        ccall_error(c, ERR_INTERNAL, NULL);
    free(val);
}

static void one_question(const struct method_call *mc, json_t *params, method_done *done,
                         void *arg, enum qa_op op)
{
    struct ccall *c = ccall_new(mc, params, done, arg);
    if (!c)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    c->n[0] = op; /* who may answer, pin, dismiss: the method table's roles */
    if (c->api && op <= QA_UNVOTE) {
        const char *u = param_str(params, "user", 1, 128);
        free(c->user);
        c->user = u ? strdup(u) : NULL;
        if (!c->user)
            return ccall_error(c, ERR_BAD_REQUEST, "an API vote names its member: \"user\"");
    }
    const char *ch = chat_channel(c);
    const char *qid = param_str(params, "question_id", QA_ID_LEN, QA_ID_LEN);
    char k[RECORD_KEY_MAX + 1];
    size_t kl = ch && qid ? key2(k, sizeof(k), ch, qid) : 0;
    if (!kl)
        return ccall_error(c, ERR_BAD_REQUEST, "takes {channel, question_id}");
    if (c->node->store->ops->record_get(c->node->store, SPAN_OF(QA_KIND), kspan(k, kl),
                                        on_question, c))
        ccall_error(c, ERR_INTERNAL, NULL);
}

#define ONE(name, op)                                                                        \
    static void name(const struct method_call *mc, json_t *p, method_done *d, void *a)      \
    {                                                                                        \
        one_question(mc, p, d, a, op);                                                       \
    }
ONE(m_upvote, QA_UPVOTE)
ONE(m_unvote, QA_UNVOTE)
ONE(m_answer, QA_ANSWER)
ONE(m_pin, QA_PIN)
ONE(m_dismiss, QA_DISMISS)
#undef ONE

/* ---- qa.list: the room's questions, then its vote counters ---- */

static int by_votes(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t vx = json_integer_value(json_object_get(x, "votes"));
    json_int_t vy = json_integer_value(json_object_get(y, "votes"));
    if (vx != vy)
        return vx > vy ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "question_id")),
                  json_string_value(json_object_get(y, "question_id")));
}

static void on_list_counts(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    /* c->doc: question id -> question */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *sep = memchr(recs[i].key.p, 0x1f, recs[i].key.n);
        if (!sep)
            continue;
        char qid[QA_ID_LEN + 1], b[24];
        size_t ql = recs[i].key.n - (size_t)(sep + 1 - recs[i].key.p);
        if (ql != QA_ID_LEN || recs[i].value.n >= sizeof(b))
            continue;
        memcpy(qid, sep + 1, ql);
        qid[ql] = 0;
        memcpy(b, recs[i].value.p, recs[i].value.n);
        b[recs[i].value.n] = 0;
        json_t *q = json_object_get(c->doc, qid);
        if (q)
            json_object_set_new(q, "votes", json_integer(strtoll(b, NULL, 10)));
    }
    size_t cnt = json_object_size(c->doc), k = 0;
    json_t **arr = calloc(cnt ? cnt : 1, sizeof(*arr));
    if (!arr)
        return ccall_error(c, ERR_INTERNAL, NULL);
    const char *key;
    json_t *q;
    json_object_foreach(c->doc, key, q) {
        if (!json_object_get(q, "votes"))
            json_object_set_new(q, "votes", json_integer(0));
        arr[k++] = q;
    }
    qsort(arr, k, sizeof(*arr), by_votes);
    json_t *out = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append(out, arr[i]);
    free(arr);
    ccall_ok(c, json_pack("{s:o}", "questions", out));
}

static void on_list_questions(void *arg, int err, const struct record *recs, size_t n)
{
    struct ccall *c = arg;
    if (err)
        return ccall_error(c, ERR_INTERNAL, NULL);
    c->doc = json_object();
    for (size_t i = 0; i < n; i++) {
        json_error_t je;
        json_t *q = json_loadb((const char *)recs[i].value.p, recs[i].value.n, 0, &je);
        const char *qid = json_string_value(json_object_get(q, "question_id"));
        if (qid && !json_is_true(json_object_get(q, "dismissed")))
            json_object_set(c->doc, qid, q);
        json_decref(q);
    }
    const char *ch = json_string_value(json_object_get(c->params, "channel"));
    char k[RECORD_KEY_MAX + 1];
    size_t kl = key2(k, sizeof(k), ch, "");
    struct record_scan q = {.prefix = kspan(k, kl)};
    if (c->node->store->ops->record_scan(c->node->store, SPAN_OF(QA_COUNT_KIND), &q,
                                         on_list_counts, c))
        ccall_error(c, ERR_INTERNAL, NULL);
}

static void m_list(const struct method_call *mc, json_t *params, method_done *done, void *arg)
{
    struct ccall *c = ccall_new(mc, params, done, arg);
    if (!c)
        return method_error(done, arg, ERR_INTERNAL, NULL);
    const char *ch = chat_channel(c);
    char k[RECORD_KEY_MAX + 1];
    size_t kl = ch ? key2(k, sizeof(k), ch, "") : 0;
    if (!kl)
        return ccall_error(c, ERR_BAD_REQUEST, "qa.list takes {channel} (a chat room)");
    struct record_scan q = {.prefix = kspan(k, kl)};
    if (c->node->store->ops->record_scan(c->node->store, SPAN_OF(QA_KIND), &q, on_list_questions, c))
        ccall_error(c, ERR_INTERNAL, NULL);
}

int qa_init(struct node *node, const struct moderation *mod)
{
    void *m = (void *)(uintptr_t)mod; /* the method table's ctx is not const */
    const uint32_t users = ROLE_USER, all = ROLE_USER | ROLE_ANONYMOUS;
    const struct method_spec specs[] = {
        {"qa.ask", m_ask, m, users, true, 1},
        {"qa.upvote", m_upvote, NULL, users, true, 1},
        {"qa.unvote", m_unvote, NULL, users, true, 1},
        {"qa.answer", m_answer, NULL, STAFF | ROLE_BOT, true, 1},
        {"qa.pin", m_pin, NULL, STAFF | ROLE_BOT, true, 1},
        {"qa.dismiss", m_dismiss, NULL, STAFF | ROLE_BOT, true, 1},
        {"qa.list", m_list, NULL, all, true, 1},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (methods_register(&node->methods, &specs[i]) != 0)
            return -1;
    return 0;
}
