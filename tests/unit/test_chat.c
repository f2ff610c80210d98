/* tests/unit/test_chat.c — the chat module (community/chat*.c) on a node
 * without sockets or loop: the demo config with "chat" on, the memory
 * engine, a frozen clock. Publishes go through the gate, methods are called
 * through the method table, history through gate_history(). Covers the
 * canonical form and the API author, the nonce ACK with the first offset,
 * the edit window on the node clock, the history view (edit, delete,
 * reactions), the audit entry of a moderator's delete (and none for the
 * author's), and that a namespace without "chat" is untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "community/audit.h"
#include "community/chat.h"
#include "config/access.h"
#include "node/gate.h"
#include "node/node.h"
#include "protocol/errors.h"
#include "rooms/backend.h"
#include "rooms/store.h"

#define T0 1700000000000LL

struct fixture {
    struct config cfg;
    struct node node;
    struct chat *chat;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256];
    assert_int_equal(config_load(&f->cfg, NULL, err, sizeof(err)), 0);
    f->cfg.namespaces[1].chat = true; /* "chat": history 100, 600 s */
    f->node.cfg = &f->cfg;
    hub_init(&f->node.hub, NULL);
    methods_init(&f->node.methods);
    struct engine_events ev = {.on_publication = hub_on_publication, .on_join = hub_on_join,
                               .arg = &f->node.hub};
    clock_set(&f->node.clock, T0);
    f->node.engine = engine_memory_new(&f->cfg, &ev, &f->node.clock, &f->node.store);
    f->node.hub.engine = f->node.engine;
    gate_init(&f->node.gate, &f->node);
    f->chat = chat_new(&f->node); /* no loop: no coalescing timers */
    assert_non_null(f->chat);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    gate_free(&f->node.gate);
    chat_stop(f->chat);
    backend_free(f->node.engine, f->node.store);
    chat_free(f->chat);
    methods_free(&f->node.methods);
    hub_free(&f->node.hub);
    config_free(&f->cfg);
    free(f);
    return 0;
}

/* ---- helpers ---- */

struct outcome {
    int calls;
    uint32_t code;
    uint64_t offset;
    struct gate_call call;
};

static void on_done(void *arg, const struct gate_outcome *out)
{
    struct outcome *o = arg;
    o->calls++;
    o->code = out->code;
    o->offset = out->offset;
}

static struct outcome publish_as(struct fixture *f, const char *user, enum gate_origin origin,
                                 const char *ch, const char *data, const char *api_user)
{
    struct outcome *o = calloc(1, sizeof(*o));
    struct clientinfo ci = {.user = span_str(user), .client = span_str("c-1")};
    struct gate_pub p = {.channel = span_str(ch), .data = span_str(data), .has_data = true,
                         .is_json = true, .origin = origin,
                         .info = origin == GATE_CLIENT ? &ci : NULL,
                         .subject = access_subject(0, false), .api_user = api_user};
    gate_publish(&f->node.gate, &p, &o->call, on_done, o);
    assert_int_equal(o->calls, 1); /* the memory store answers at once */
    struct outcome r = *o;
    free(o);
    return r;
}

struct reply {
    int calls;
    uint32_t code;
    json_t *result;
};

static void on_reply(void *arg, const struct method_reply *r)
{
    struct reply *x = arg;
    x->calls++;
    x->code = r->code;
    x->result = r->result;
}

static struct reply call_as(struct fixture *f, const char *method, const char *user,
                            uint32_t roles, const char *params)
{
    const struct method *m = methods_find(&f->node.methods, method, strlen(method));
    assert_non_null(m);
    struct method_call call = {.origin = user ? METHOD_RPC : METHOD_API, .node = &f->node,
                               .ctx = m->ctx, .user = user,
                               .roles = user ? access_subject(roles, false) : 0};
    json_t *p = json_loads(params, 0, NULL);
    assert_non_null(p);
    struct reply r = {0};
    m->fn(&call, p, on_reply, &r);
    json_decref(p);
    assert_int_equal(r.calls, 1);
    return r;
}

struct hist {
    json_t *datas; /* array of the publications' data */
    json_t *users;
};

static void on_hist(void *arg, const struct history_result *res)
{
    struct hist *h = arg;
    assert_int_equal(res->err, 0);
    h->datas = json_array();
    h->users = json_array();
    for (size_t i = 0; i < res->npubs; i++) {
        struct publication *p = res->pubs[i];
        json_array_append_new(h->datas, json_loadb((const char *)p->data.p, p->data.n, 0, NULL));
        json_array_append_new(h->users, json_stringn((const char *)p->info.user.p, p->info.user.n));
        assert_int_equal(p->offset, i + 1);
    }
}

static struct hist history(struct fixture *f, const char *ch)
{
    struct hist h = {0};
    struct history_query q = {.limit = -1};
    const struct ns_config *ns = config_find_ns(&f->cfg, ch, strlen(ch));
    assert_int_equal(gate_history(&f->node.gate, span_str(ch), ns, &q, on_hist, &h), 0);
    assert_non_null(h.datas);
    return h;
}

static void hist_free(struct hist *h)
{
    json_decref(h->datas);
    json_decref(h->users);
}

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* ---- tests ---- */

static void test_canonical_and_api_author(void **state)
{
    struct fixture *f = *state;
    struct outcome o = publish_as(f, "alice", GATE_CLIENT, "chat:r", "{\"text\":\"hi @bob\\r\"}", NULL);
    assert_int_equal(o.code, 0);
    o = publish_as(f, NULL, GATE_API, "chat:r", "{\"text\":\"beep\"}", "bot");
    assert_int_equal(o.code, 0);
    o = publish_as(f, NULL, GATE_API, "chat:r", "{\"text\":\"boop\"}", NULL);
    o = publish_as(f, "alice", GATE_CLIENT, "chat:r", "{\"text\":\"x\",\"type\":\"edit\"}", NULL);
    assert_int_equal(o.code, ERR_BAD_REQUEST);
    struct hist h = history(f, "chat:r");
    assert_int_equal(json_array_size(h.datas), 3);
    json_t *m = json_array_get(h.datas, 0);
    assert_string_equal(str(m, "type"), "message");
    assert_string_equal(str(m, "text"), "hi @bob");
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "mentions"), 0)), "bob");
    assert_int_equal(json_integer_value(json_object_get(m, "ts")), T0);
    assert_string_equal(json_string_value(json_array_get(h.users, 0)), "alice");
    assert_string_equal(json_string_value(json_array_get(h.users, 1)), "bot");
    assert_string_equal(json_string_value(json_array_get(h.users, 2)), "api");
    hist_free(&h);
    /* a namespace without "chat" takes anything */
    o = publish_as(f, "alice", GATE_CLIENT, "lobby", "{\"free\":1}", NULL);
    assert_int_equal(o.code, 0);
    h = history(f, "lobby");
    assert_non_null(json_object_get(json_array_get(h.datas, 0), "free"));
    hist_free(&h);
}

static void test_nonce_ack(void **state)
{
    struct fixture *f = *state;
    publish_as(f, "alice", GATE_CLIENT, "chat:n", "{\"text\":\"a\"}", NULL);
    struct outcome a = publish_as(f, "alice", GATE_CLIENT, "chat:n", "{\"text\":\"b\",\"nonce\":\"k\"}", NULL);
    struct outcome b = publish_as(f, "alice", GATE_CLIENT, "chat:n", "{\"text\":\"b\",\"nonce\":\"k\"}", NULL);
    struct outcome c = publish_as(f, "bob", GATE_CLIENT, "chat:n", "{\"text\":\"b\",\"nonce\":\"k\"}", NULL);
    assert_int_equal(a.code, 0);
    assert_int_equal(a.offset, 2);
    assert_int_equal(b.code, 0);
    assert_int_equal(b.offset, 2); /* acknowledged: the first one's offset */
    assert_int_equal(c.offset, 3);
    /* a refused publish does not use up its nonce */
    struct outcome d = publish_as(f, "alice", GATE_CLIENT, "chat:n",
                                  "{\"text\":\"x\",\"nonce\":\"z\",\"reply_to\":99}", NULL);
    assert_int_equal(d.code, ERR_BAD_REQUEST);
    d = publish_as(f, "alice", GATE_CLIENT, "chat:n", "{\"text\":\"x\",\"nonce\":\"z\"}", NULL);
    assert_int_equal(d.offset, 4);
    /* after 5 minutes the nonce is forgotten */
    clock_advance(&f->node.clock, 5 * 60 * 1000 + 1);
    b = publish_as(f, "alice", GATE_CLIENT, "chat:n", "{\"text\":\"b\",\"nonce\":\"k\"}", NULL);
    assert_int_equal(b.offset, 5);
}

static void test_edit_window_and_view(void **state)
{
    struct fixture *f = *state;
    publish_as(f, "alice", GATE_CLIENT, "chat:e", "{\"text\":\"helo\"}", NULL);
    clock_advance(&f->node.clock, 1000);
    struct reply r = call_as(f, "chat.edit", "bob", 0, "{\"channel\":\"chat:e\",\"offset\":1,\"text\":\"x\"}");
    assert_int_equal(r.code, ERR_PERMISSION_DENIED);
    r = call_as(f, "chat.edit", "alice", 0, "{\"channel\":\"chat:e\",\"offset\":1,\"text\":\"hello @carol\"}");
    assert_int_equal(r.code, 0);
    assert_int_equal(json_integer_value(json_object_get(r.result, "offset")), 2);
    json_decref(r.result);
    r = call_as(f, "chat.react", "bob", 0, "{\"channel\":\"chat:e\",\"offset\":1,\"emoji\":\"\xf0\x9f\x91\x8d\"}");
    assert_int_equal(r.code, 0);
    struct hist h = history(f, "chat:e");
    json_t *m = json_array_get(h.datas, 0);
    assert_string_equal(str(m, "text"), "hello @carol");
    assert_int_equal(json_integer_value(json_object_get(m, "ts")), T0);
    assert_int_equal(json_integer_value(json_object_get(m, "edited_ts")), T0 + 1000);
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "mentions"), 0)), "carol");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "reactions"),
                                                        "\xf0\x9f\x91\x8d")), 1);
    json_t *e = json_array_get(h.datas, 1);
    assert_string_equal(str(e, "type"), "edit");
    assert_string_equal(str(e, "text"), "hello @carol");
    hist_free(&h);
    /* past chat_edit_window (60 s here) on the node's clock */
    f->cfg.namespaces[1].chat_edit_window = 60;
    clock_advance(&f->node.clock, 60 * 1000);
    r = call_as(f, "chat.edit", "alice", 0, "{\"channel\":\"chat:e\",\"offset\":1,\"text\":\"late\"}");
    assert_int_equal(r.code, ERR_PERMISSION_DENIED);
    /* the API may */
    r = call_as(f, "chat.edit", NULL, 0, "{\"channel\":\"chat:e\",\"offset\":1,\"text\":\"by api\"}");
    assert_int_equal(r.code, 0);
    json_decref(r.result);
    /* once the message left history (history_ttl 600 s): 107 */
    clock_advance(&f->node.clock, 600 * 1000);
    r = call_as(f, "chat.edit", NULL, 0, "{\"channel\":\"chat:e\",\"offset\":1,\"text\":\"gone\"}");
    assert_int_equal(r.code, ERR_BAD_REQUEST);
}

struct audits {
    int n;
    json_t *last;
};

static void on_audit(void *arg, int err, const struct record *recs, size_t n)
{
    struct audits *a = arg;
    assert_int_equal(err, 0);
    a->n = (int)n;
    if (n)
        a->last = json_loadb((const char *)recs[n - 1].value.p, recs[n - 1].value.n, 0, NULL);
}

static void test_delete_audit_and_view(void **state)
{
    struct fixture *f = *state;
    publish_as(f, "alice", GATE_CLIENT, "chat:d", "{\"text\":\"one\"}", NULL);
    publish_as(f, "alice", GATE_CLIENT, "chat:d", "{\"text\":\"two\"}", NULL);
    struct reply e = call_as(f, "chat.edit", "alice", 0,
                             "{\"channel\":\"chat:d\",\"offset\":1,\"text\":\"secret\"}");
    assert_int_equal(e.code, 0);
    json_decref(e.result);
    struct reply r = call_as(f, "chat.delete", "bob", ROLE_MEMBER, "{\"channel\":\"chat:d\",\"offset\":1}");
    assert_int_equal(r.code, ERR_PERMISSION_DENIED);
    r = call_as(f, "chat.delete", "alice", 0, "{\"channel\":\"chat:d\",\"offset\":1}");
    assert_int_equal(r.code, 0);
    json_decref(r.result);
    struct store *st = f->node.store;
    struct record_scan q = {0};
    struct audits a = {0};
    st->ops->record_scan(st, span_str(AUDIT_KIND), &q, on_audit, &a);
    assert_int_equal(a.n, 0); /* the author's own delete is not audited */
    r = call_as(f, "chat.delete", "mia", ROLE_MODERATOR, "{\"channel\":\"chat:d\",\"offset\":2}");
    assert_int_equal(r.code, 0);
    json_decref(r.result);
    st->ops->record_scan(st, span_str(AUDIT_KIND), &q, on_audit, &a);
    assert_int_equal(a.n, 1);
    assert_string_equal(str(a.last, "actor"), "mia");
    assert_string_equal(str(a.last, "action"), "chat.delete");
    assert_string_equal(str(a.last, "channel"), "chat:d");
    assert_string_equal(str(a.last, "target_user"), "alice");
    assert_int_equal(json_integer_value(json_object_get(a.last, "target")), 2);
    json_decref(a.last);
    struct hist h = history(f, "chat:d");
    char *all = json_dumps(h.datas, JSON_COMPACT);
    assert_null(strstr(all, "secret"));
    assert_null(strstr(all, "one"));
    assert_null(strstr(all, "two"));
    free(all);
    assert_true(json_is_true(json_object_get(json_array_get(h.datas, 0), "deleted")));
    assert_true(json_is_true(json_object_get(json_array_get(h.datas, 2), "deleted"))); /* the edit */
    hist_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_canonical_and_api_author, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonce_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_window_and_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_audit_and_view, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
