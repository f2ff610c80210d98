/* tests/unit/test_gate.c — node/gate.c, the one publish path: a node with the
 * demo config, a memory engine and a hub, no sockets. Each test publishes
 * through gate_publish() and looks at the outcome and at what the store's
 * history holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/access.h"
#include "node/gate.h"
#include "node/node.h"
#include "protocol/errors.h"
#include "rooms/backend.h"
#include "rooms/store.h"

struct fixture {
    struct config cfg;
    struct node node;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256];
    assert_int_equal(config_load(&f->cfg, NULL, err, sizeof(err)), 0);
    f->node.cfg = &f->cfg;
    hub_init(&f->node.hub, NULL);
    struct engine_events ev = {.on_publication = hub_on_publication, .on_join = hub_on_join,
                               .arg = &f->node.hub};
    clock_init(&f->node.clock);
    f->node.engine = engine_memory_new(&f->cfg, &ev, &f->node.clock, &f->node.store);
    assert_non_null(f->node.engine);
    f->node.hub.engine = f->node.engine;
    gate_init(&f->node.gate, &f->node);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    gate_free(&f->node.gate);
    backend_free(f->node.engine, f->node.store);
    hub_free(&f->node.hub);
    config_free(&f->cfg);
    free(f);
    return 0;
}

struct outcome {
    int calls;
    struct gate_outcome out;
    char message[64];
    struct gate_call call;
};

static void on_done(void *arg, const struct gate_outcome *out)
{
    struct outcome *o = arg;
    o->calls++;
    o->out = *out;
    o->out.epoch = NULL;
    snprintf(o->message, sizeof(o->message), "%s", out->message ? out->message : "");
}

static void publish(struct fixture *f, const char *ch, const char *data, struct outcome *o)
{
    struct clientinfo ci = {.user = span_str("alice"), .client = span_str("c1")};
    struct gate_pub p = {.channel = span_str(ch), .data = span_str(data), .has_data = true,
                         .is_json = true, .origin = GATE_CLIENT, .info = &ci,
                         .subject = access_subject(0, false)};
    memset(o, 0, sizeof(*o));
    gate_publish(&f->node.gate, &p, &o->call, on_done, o);
}

struct hist {
    int calls;
    size_t n;
    char last[64];
};

static void on_hist(void *arg, const struct history_result *res)
{
    struct hist *h = arg;
    h->calls++;
    h->n = res->npubs;
    if (res->npubs) {
        struct span d = res->pubs[res->npubs - 1]->data;
        snprintf(h->last, sizeof(h->last), "%.*s", (int)d.n, (const char *)d.p);
    }
}

static struct hist history(struct fixture *f, const char *ch)
{
    struct hist h = {0};
    const struct ns_config *ns = config_find_ns(&f->cfg, ch, strlen(ch));
    struct history_query q = {.limit = -1};
    assert_int_equal(f->node.store->ops->history(f->node.store, span_str(ch), ns, &q, on_hist, &h), 0);
    assert_int_equal(h.calls, 1);
    return h;
}

/* ---- hooks used below ---- */

struct trace {
    char log[64];
    struct gate_req *parked;
    struct publication *held;
};

static struct gate_verdict hook_a(void *ctx, struct gate_req *r)
{
    (void)r;
    strcat(((struct trace *)ctx)->log, "a");
    return (struct gate_verdict){.kind = GATE_ALLOW};
}

static struct gate_verdict hook_deny(void *ctx, struct gate_req *r)
{
    (void)r;
    strcat(((struct trace *)ctx)->log, "d");
    return (struct gate_verdict){.kind = GATE_DENY, .code = 4001, .message = "muted"};
}

static struct gate_verdict hook_upper(void *ctx, struct gate_req *r)
{
    strcat(((struct trace *)ctx)->log, "t");
    assert_non_null(gate_req_ns(r));
    return (struct gate_verdict){.kind = GATE_TRANSFORM, .data = span_str("\"CANON\""),
                                 .is_json = true};
}

static struct gate_verdict hook_hold(void *ctx, struct gate_req *r)
{
    struct trace *t = ctx;
    strcat(t->log, "h");
    t->held = publication_ref(gate_req_publication(r));
    return (struct gate_verdict){.kind = GATE_HOLD};
}

static struct gate_verdict hook_async(void *ctx, struct gate_req *r)
{
    struct trace *t = ctx;
    strcat(t->log, "w");
    t->parked = r;
    return (struct gate_verdict){.kind = GATE_ASYNC};
}

/* ---- tests ---- */

static void test_no_hooks(void **state)
{
    struct fixture *f = *state;
    struct outcome o;
    publish(f, "chat:room", "{\"x\":1}", &o);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.out.code, 0);
    assert_int_equal(o.out.offset, 1);
    assert_int_equal(f->node.stats.publications, 1);
    struct hist h = history(f, "chat:room");
    assert_int_equal(h.n, 1);
    assert_string_equal(h.last, "{\"x\":1}");
}

static void test_checks(void **state)
{
    struct fixture *f = *state;
    struct outcome o;
    publish(f, "nope:room", "1", &o);
    assert_int_equal(o.out.code, ERR_UNKNOWN_CHANNEL);
    f->cfg.namespaces[1].rules[ACCESS_PUBLISH] = ROLE_MODERATOR;
    publish(f, "chat:room", "1", &o);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.out.code, ERR_PERMISSION_DENIED);
    assert_string_equal(o.message, "permission denied");
    f->cfg.namespaces[1].rules[ACCESS_PUBLISH] = ROLE_EVERYONE;
    f->cfg.max_publication_size = 4;
    publish(f, "chat:room", "\"long\"", &o);
    assert_int_equal(o.out.code, ERR_LIMIT_EXCEEDED);
    assert_string_equal(o.message, "limit exceeded");
    struct clientinfo ci = {0};
    struct gate_pub p = {.channel = span_str("chat:room"), .data = span_str("\x01"),
                         .has_data = true, .is_json = false, .origin = GATE_CLIENT, .info = &ci,
                         .subject = access_subject(0, false)};
    memset(&o, 0, sizeof(o));
    gate_publish(&f->node.gate, &p, &o.call, on_done, &o);
    assert_int_equal(o.out.code, ERR_BAD_REQUEST);
    assert_int_equal(f->node.stats.publications, 0);
    assert_int_equal(history(f, "chat:room").n, 0);
}

static void test_deny_stops_chain(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_a, &t), 0);
    assert_int_equal(gate_hook_add(&f->node.gate, NULL, hook_deny, &t), 0);
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_a, &t), 0);
    struct outcome o;
    publish(f, "chat:room", "1", &o);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.out.code, 4001);
    assert_string_equal(o.message, "muted");
    assert_string_equal(t.log, "ad");
    assert_int_equal(history(f, "chat:room").n, 0);
    assert_int_equal(f->node.stats.publications, 0);
}

static void test_other_namespace_unaffected(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_deny, &t), 0);
    struct outcome o;
    publish(f, "lobby", "2", &o);        /* the "" namespace */
    assert_int_equal(o.out.code, 0);
    assert_string_equal(t.log, "");
    assert_int_equal(history(f, "lobby").n, 1);
    publish(f, "chat:room", "2", &o);
    assert_int_equal(o.out.code, 4001);
}

static void test_transform(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_upper, &t), 0);
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_a, &t), 0);
    struct outcome o;
    publish(f, "chat:room", "\"canon\"", &o);
    assert_int_equal(o.out.code, 0);
    assert_string_equal(t.log, "ta");
    struct hist h = history(f, "chat:room");
    assert_int_equal(h.n, 1);
    assert_string_equal(h.last, "\"CANON\"");
}

static void test_hold(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_hold, &t), 0);
    struct outcome o;
    publish(f, "chat:room", "\"spam?\"", &o);
    assert_int_equal(o.calls, 1);
    assert_true(o.out.held);
    assert_int_equal(o.out.code, GATE_HELD_CODE);
    assert_string_equal(o.message, "held for review");
    assert_int_equal(history(f, "chat:room").n, 0);
    assert_non_null(t.held);
    assert_memory_equal(t.held->data.p, "\"spam?\"", 7);
    publication_unref(t.held);
}

static void test_async(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_async, &t), 0);
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_a, &t), 0);
    struct outcome o;
    publish(f, "chat:room", "3", &o);
    assert_int_equal(o.calls, 0);
    assert_non_null(t.parked);
    assert_int_equal(history(f, "chat:room").n, 0);
    gate_resume(t.parked, (struct gate_verdict){.kind = GATE_ALLOW});
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.out.code, 0);
    assert_int_equal(o.out.offset, 1);
    assert_string_equal(t.log, "wa");
    assert_int_equal(history(f, "chat:room").n, 1);
    /* async deny */
    publish(f, "chat:room", "4", &o);
    gate_resume(t.parked, (struct gate_verdict){.kind = GATE_DENY, .code = 4002, .message = "slow"});
    assert_int_equal(o.out.code, 4002);
    assert_string_equal(o.message, "slow");
    assert_int_equal(history(f, "chat:room").n, 1);
    /* still parked at teardown: gate_free answers the caller (100); the
     * hook's late gate_resume then only frees the request (ASan checks) */
    publish(f, "chat:room", "5", &o);
    assert_int_equal(o.calls, 0);
    gate_free(&f->node.gate);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.out.code, ERR_INTERNAL);
    gate_resume(t.parked, (struct gate_verdict){.kind = GATE_ALLOW});
    assert_int_equal(o.calls, 1);
    assert_int_equal(history(f, "chat:room").n, 1);
    gate_init(&f->node.gate, &f->node);
}

/* ---- ack, trusted, watch, predicates, droppable, views ---- */

static struct gate_verdict hook_ack(void *ctx, struct gate_req *r)
{
    (void)r;
    strcat(((struct trace *)ctx)->log, "k");
    return (struct gate_verdict){.kind = GATE_ACK, .offset = 7, .epoch = "ep"};
}

struct watched {
    int calls;
    uint32_t code;
    uint64_t offset;
    int done_calls_then; /* the caller's done had not run yet */
    struct outcome *o;
};

static void on_watch(void *ctx, const struct gate_outcome *out)
{
    struct watched *w = ctx;
    w->calls++;
    w->code = out->code;
    w->offset = out->offset;
    w->done_calls_then = w->o->calls;
}

static struct watched *g_watched;
static struct gate_verdict hook_watch(void *ctx, struct gate_req *r)
{
    (void)ctx;
    gate_req_watch(r, on_watch, g_watched);
    return (struct gate_verdict){.kind = GATE_ALLOW};
}

static void test_ack(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_ack, &t), 0);
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_a, &t), 0);
    struct outcome o;
    memset(&o, 0, sizeof(o));
    struct clientinfo ci = {.user = span_str("alice")};
    struct gate_pub p = {.channel = span_str("chat:room"), .data = span_str("1"), .has_data = true,
                         .is_json = true, .origin = GATE_CLIENT, .info = &ci,
                         .subject = access_subject(0, false)};
    gate_publish(&f->node.gate, &p, &o.call, on_done, &o);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.out.code, 0);
    assert_false(o.out.held);
    assert_int_equal(o.out.offset, 7);
    assert_string_equal(t.log, "k"); /* the chain stopped */
    assert_int_equal(history(f, "chat:room").n, 0);
    assert_int_equal(f->node.stats.publications, 0);
}

static void test_trusted_skips_hooks(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_deny, &t), 0);
    struct outcome o;
    memset(&o, 0, sizeof(o));
    struct gate_pub p = {.channel = span_str("chat:room"), .data = span_str("{\"type\":\"edit\"}"),
                         .has_data = true, .is_json = true, .origin = GATE_API, .trusted = true};
    gate_publish(&f->node.gate, &p, &o.call, on_done, &o);
    assert_int_equal(o.out.code, 0);
    assert_int_equal(o.out.offset, 1);
    assert_string_equal(t.log, "");
    /* the ordinary checks still apply */
    p.channel = span_str("nope:room");
    gate_publish(&f->node.gate, &p, &o.call, on_done, &o);
    assert_int_equal(o.out.code, ERR_UNKNOWN_CHANNEL);
}

static void test_watch(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    struct outcome o;
    struct watched w = {.o = &o};
    g_watched = &w;
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_watch, &t), 0);
    publish(f, "chat:room", "1", &o);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.code, 0);
    assert_int_equal(w.offset, 1);
    assert_int_equal(w.done_calls_then, 0);
    assert_int_equal(o.calls, 1);
    /* a later hook's deny reaches the watcher too */
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_deny, &t), 0);
    publish(f, "chat:room", "2", &o);
    assert_int_equal(w.calls, 2);
    assert_int_equal(w.code, 4001);
    assert_int_equal(o.out.code, 4001);
}

/* A hook parked at teardown that sets a watcher on its late resume: the
 * watcher still hears (100) once, so it can free what it holds. */
static void test_watch_after_teardown(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    struct outcome o;
    struct watched w = {.o = &o};
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_async, &t), 0);
    publish(f, "chat:room", "1", &o);
    gate_free(&f->node.gate);
    assert_int_equal(o.calls, 1);
    gate_req_watch(t.parked, on_watch, &w);
    gate_resume(t.parked, (struct gate_verdict){.kind = GATE_ALLOW});
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.code, ERR_INTERNAL);
    assert_int_equal(o.calls, 1);
    gate_init(&f->node.gate, &f->node);
}

static bool is_chat_ns(const struct ns_config *ns) { return ns->chat; }

static void test_where_follows_reload(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    assert_int_equal(gate_hook_add_where(&f->node.gate, is_chat_ns, hook_deny, &t), 0);
    struct outcome o;
    publish(f, "chat:room", "1", &o);
    assert_int_equal(o.out.code, 0); /* no namespace has "chat" */
    /* a reload that turns "chat" on */
    f->cfg.namespaces[1].chat = true;
    gate_config_changed(&f->node.gate);
    publish(f, "chat:room", "1", &o);
    assert_int_equal(o.out.code, 4001);
    publish(f, "lobby", "1", &o);
    assert_int_equal(o.out.code, 0);
    assert_string_equal(t.log, "d");
}

static void test_droppable(void **state)
{
    struct fixture *f = *state;
    struct outcome o;
    memset(&o, 0, sizeof(o));
    struct gate_pub p = {.channel = span_str("chat:room"), .data = span_str("{\"t\":1}"),
                         .has_data = true, .is_json = true, .origin = GATE_API,
                         .skip_history = true, .droppable = true};
    gate_publish(&f->node.gate, &p, &o.call, on_done, &o);
    assert_int_equal(o.out.code, 0);
    assert_int_equal(o.out.offset, 0);
    assert_int_equal(history(f, "chat:room").n, 0);
    struct publication *pub = publication_new(span_str("c"), span_str("1"), true, NULL);
    pub->droppable = true;
    struct frame *fr = publication_push_frame(pub, WIRE_JSON);
    assert_non_null(fr);
    assert_true(frame_droppable(fr));
    publication_unref(pub);
    pub = publication_new(span_str("c"), span_str("1"), true, NULL);
    fr = publication_push_frame(pub, WIRE_MSGPACK);
    assert_false(frame_droppable(fr));
    publication_unref(pub);
}

struct viewer {
    int calls;
    struct gate_view *parked;
    bool park;
};

static void view_upper(void *ctx, struct gate_view *v)
{
    struct viewer *vw = ctx;
    vw->calls++;
    size_t n;
    struct publication **pubs = gate_view_pubs(v, &n);
    for (size_t i = 0; i < n; i++) {
        struct publication *np = publication_new(pubs[i]->channel, span_str("\"X\""), true, NULL);
        np->offset = pubs[i]->offset;
        publication_unref(pubs[i]);
        pubs[i] = np;
    }
    if (vw->park)
        vw->parked = v;
    else
        gate_view_resume(v, 0);
}

static void test_view(void **state)
{
    struct fixture *f = *state;
    struct outcome o;
    publish(f, "chat:room", "1", &o);
    publish(f, "lobby", "1", &o);
    struct viewer vw = {0};
    assert_int_equal(gate_view_add_where(&f->node.gate, is_chat_ns, view_upper, &vw), 0);
    f->cfg.namespaces[1].chat = true;
    gate_config_changed(&f->node.gate);
    struct history_query q = {.limit = -1};
    struct hist h = {0};
    const struct ns_config *chat = config_find_ns(&f->cfg, "chat:room", 9);
    const struct ns_config *plain = config_find_ns(&f->cfg, "lobby", 5);
    assert_int_equal(gate_history(&f->node.gate, span_str("chat:room"), chat, &q, on_hist, &h), 0);
    assert_int_equal(h.calls, 1);
    assert_string_equal(h.last, "\"X\"");
    assert_int_equal(vw.calls, 1);
    /* the store itself is unchanged; a namespace without a view is not rewritten */
    assert_string_equal(history(f, "chat:room").last, "1");
    memset(&h, 0, sizeof(h));
    assert_int_equal(gate_history(&f->node.gate, span_str("lobby"), plain, &q, on_hist, &h), 0);
    assert_string_equal(h.last, "1");
    assert_int_equal(vw.calls, 1);
    /* asynchronous view: the caller hears nothing until it resumes */
    vw.park = true;
    memset(&h, 0, sizeof(h));
    assert_int_equal(gate_history(&f->node.gate, span_str("chat:room"), chat, &q, on_hist, &h), 0);
    assert_int_equal(h.calls, 0);
    assert_non_null(vw.parked);
    assert_null(gate_view_ns(vw.parked));
    gate_view_resume(vw.parked, 0);
    assert_int_equal(h.calls, 1);
    assert_string_equal(h.last, "\"X\"");
    /* an empty answer does not reach the hook */
    memset(&h, 0, sizeof(h));
    assert_int_equal(gate_history(&f->node.gate, span_str("chat:empty"), chat, &q, on_hist, &h), 0);
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.n, 0);
    assert_int_equal(vw.calls, 2);
}

static void test_hooks_survive_reload(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_deny, &t), 0);
    struct outcome o;
    publish(f, "chat:room", "1", &o);
    assert_int_equal(o.out.code, 4001);
    /* a new config (as SIGHUP builds) with the namespaces in another order */
    struct config c2;
    char err[256];
    assert_int_equal(config_load(&c2, NULL, err, sizeof(err)), 0);
    struct ns_config tmp = c2.namespaces[0];
    c2.namespaces[0] = c2.namespaces[1];
    c2.namespaces[1] = tmp;
    f->node.cfg = &c2;
    gate_config_changed(&f->node.gate);
    publish(f, "chat:room", "1", &o);
    assert_int_equal(o.out.code, 4001);
    publish(f, "lobby", "1", &o);
    assert_int_equal(o.out.code, 0);
    f->node.cfg = &f->cfg;
    gate_config_changed(&f->node.gate);
    config_free(&c2);
}

static struct gate_verdict sub_ban(void *ctx, const struct gate_sub *req, const struct ns_config *ns)
{
    (void)ns;
    strcat(((struct trace *)ctx)->log, "s");
    if (strcmp(req->user, "mallory") == 0)
        return (struct gate_verdict){.kind = GATE_DENY, .code = 4003, .message = "banned"};
    return (struct gate_verdict){.kind = GATE_ALLOW};
}

static void test_subscribe(void **state)
{
    struct fixture *f = *state;
    struct trace t = {0};
    uint32_t code = 0;
    const char *msg = NULL;
    struct gate_sub r = {.channel = span_str("chat:room"), .origin = GATE_CLIENT, .user = "mallory",
                         .client = "c1", .check_access = true, .subject = access_subject(0, false)};
    assert_non_null(gate_subscribe(&f->node.gate, &r, &code, &msg)); /* no hooks yet */
    r.channel = span_str("nope:x");
    assert_null(gate_subscribe(&f->node.gate, &r, &code, &msg));
    assert_int_equal(code, ERR_UNKNOWN_CHANNEL);
    assert_int_equal(gate_sub_hook_add(&f->node.gate, "chat", sub_ban, &t), 0);
    assert_int_equal(gate_hook_add(&f->node.gate, "chat", hook_deny, &t), 0); /* publish only */
    r.channel = span_str("chat:room");
    assert_null(gate_subscribe(&f->node.gate, &r, &code, &msg));
    assert_int_equal(code, 4003);
    assert_string_equal(msg, "banned");
    assert_string_equal(t.log, "s");
    r.user = "alice";
    assert_non_null(gate_subscribe(&f->node.gate, &r, &code, &msg));
    r.user = "mallory";
    r.channel = span_str("lobby");
    assert_non_null(gate_subscribe(&f->node.gate, &r, &code, &msg)); /* other namespace */
    assert_string_equal(t.log, "ss");
    /* a subscribe hook does not run on publish */
    struct outcome o;
    publish(f, "chat:room", "1", &o);
    assert_int_equal(o.out.code, 4001);
    assert_string_equal(t.log, "ssd");
    /* permission: a rule the subject lacks */
    f->cfg.namespaces[0].rules[ACCESS_SUBSCRIBE] = ROLE_MODERATOR;
    assert_null(gate_subscribe(&f->node.gate, &r, &code, &msg));
    assert_int_equal(code, ERR_PERMISSION_DENIED);
    r.check_access = false; /* server-side: skipped */
    assert_non_null(gate_subscribe(&f->node.gate, &r, &code, &msg));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_hooks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deny_stops_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_namespace_unaffected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transform, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hooks_survive_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscribe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trusted_skips_hooks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_after_teardown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_where_follows_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_droppable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
