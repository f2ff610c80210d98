/* tests/unit/test_node.c — node/users.c (the user -> clients index) and
 * node/control.c (the control verb registry), without a transport: clients
 * are opaque pointers to the index, and the engine is a fake that records
 * what it was asked to send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/control.h"
#include "node/node.h"
#include "node/users.h"

static void test_users(void **state)
{
    struct node_users u = {0};
    int a, b, c, d; /* stand-ins for four clients: only their addresses count */
    struct client *ca = (struct client *)&a, *cb = (struct client *)&b;
    struct client *cc = (struct client *)&c, *cd = (struct client *)&d;
    struct client *const *v;
    assert_int_equal(node_users_add(&u, "alice", ca), 0);
    assert_int_equal(node_users_add(&u, "alice", cb), 0);
    assert_int_equal(node_users_add(&u, "alice", cb), 0); /* twice is once */
    assert_int_equal(node_users_add(&u, "bob", cc), 0);
    assert_int_equal(node_users_add(&u, "", cd), 0);      /* anonymous: not indexed */
    assert_int_equal(node_users_count(&u), 2);
    assert_int_equal(node_users_find(&u, "alice", &v), 2);
    assert_true((v[0] == ca && v[1] == cb) || (v[0] == cb && v[1] == ca));
    assert_int_equal(node_users_find(&u, "bob", &v), 1);
    assert_ptr_equal(v[0], cc);
    assert_int_equal(node_users_find(&u, "", &v), 0);
    assert_int_equal(node_users_find(&u, "carol", &v), 0);
    assert_int_equal(node_users_find(&u, "alic", &v), 0);
    /* removal: of one client, of one not there, of the last (the user goes) */
    node_users_remove(&u, "alice", ca);
    assert_int_equal(node_users_find(&u, "alice", &v), 1);
    assert_ptr_equal(v[0], cb);
    node_users_remove(&u, "alice", cc);
    node_users_remove(&u, "nobody", cc);
    node_users_remove(&u, "", cd);
    assert_int_equal(node_users_find(&u, "alice", &v), 1);
    node_users_remove(&u, "alice", cb);
    assert_int_equal(node_users_find(&u, "alice", &v), 0);
    assert_int_equal(node_users_count(&u), 1);
    /* many clients of one user: the array grows */
    int many[100];
    for (int i = 0; i < 100; i++)
        assert_int_equal(node_users_add(&u, "bob", (struct client *)&many[i]), 0);
    assert_int_equal(node_users_find(&u, "bob", &v), 101);
    for (int i = 0; i < 100; i += 2)
        node_users_remove(&u, "bob", (struct client *)&many[i]);
    assert_int_equal(node_users_find(&u, "bob", &v), 51);
    for (size_t i = 0; i < 51; i++)
        assert_true(v[i] == cc || ((int *)v[i] - many) % 2 == 1);
    node_users_free(&u); /* frees what is left */
}

/* ---- the control registry ---- */

struct sent {
    int n;
    char verb[CONTROL_VERB_MAX + 1];
    uint8_t payload[64];
    size_t len;
};

struct fake_engine {
    struct engine base;
    struct sent sent;
    int answer;
};

static int fake_control(struct engine *e, const struct control_msg *m)
{
    struct fake_engine *f = (struct fake_engine *)e;
    f->sent.n++;
    memcpy(f->sent.verb, m->verb.p, m->verb.n);
    f->sent.verb[m->verb.n] = 0;
    f->sent.len = m->payload.n < sizeof(f->sent.payload) ? m->payload.n : sizeof(f->sent.payload);
    memcpy(f->sent.payload, m->payload.p, f->sent.len);
    return f->answer;
}

static const struct engine_ops fake_ops = {.control = fake_control};

struct calls {
    int n;
    struct node *node;
    char last[64];
};

static void on_ping(struct node *n, void *ctx, struct span payload)
{
    struct calls *c = ctx;
    c->n++;
    c->node = n;
    snprintf(c->last, sizeof(c->last), "%.*s", (int)payload.n, (const char *)payload.p);
}

static void test_control(void **state)
{
    struct fake_engine fe = {.base = {.ops = &fake_ops}};
    struct node n = {.engine = &fe.base};
    struct calls ping = {0}, pong = {0};
    assert_int_equal(node_control_register(&n, "ping", on_ping, &ping), 0);
    assert_int_equal(node_control_register(&n, "mod.pong", on_ping, &pong), 0);
    assert_int_equal(node_control_register(&n, "ping", on_ping, &pong), -1); /* taken */
    assert_int_equal(node_control_register(&n, "", on_ping, &pong), -1);
    char longv[CONTROL_VERB_MAX + 2];
    memset(longv, 'v', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = 0;
    assert_int_equal(node_control_register(&n, longv, on_ping, &pong), -1);

    /* send: the handler runs here, and the engine carries it to the others */
    assert_int_equal(node_control_send(&n, "ping", (const uint8_t *)"hello", 5), 0);
    assert_int_equal(ping.n, 1);
    assert_ptr_equal(ping.node, &n);
    assert_string_equal(ping.last, "hello");
    assert_int_equal(pong.n, 0);
    assert_int_equal(fe.sent.n, 1);
    assert_string_equal(fe.sent.verb, "ping");
    assert_int_equal(fe.sent.len, 5);
    assert_memory_equal(fe.sent.payload, "hello", 5);
    /* the engine's error comes back; this node's part is done anyway */
    fe.answer = -11;
    assert_int_equal(node_control_send(&n, "mod.pong", (const uint8_t *)"x", 1), -11);
    assert_int_equal(pong.n, 1);
    assert_int_equal(fe.sent.n, 2);
    fe.answer = 0;
    /* an unregistered verb does nothing at all */
    assert_int_equal(node_control_send(&n, "nope", (const uint8_t *)"x", 1), -1);
    assert_int_equal(fe.sent.n, 2);

    /* receiving: by name, exactly (not a prefix); unknown verbs are dropped */
    struct control_msg m = {.verb = span_str("mod.pong"), .payload = span_str("from afar")};
    node_control_on_message(&n, &m);
    assert_int_equal(pong.n, 2);
    assert_string_equal(pong.last, "from afar");
    m.verb = span_str("mod.pon");
    node_control_on_message(&n, &m);
    m.verb = span_str("nope");
    node_control_on_message(&n, &m);
    assert_int_equal(pong.n, 2);
    assert_int_equal(ping.n, 1);
    assert_int_equal(fe.sent.n, 2); /* a received verb is not sent on */

    /* one node (no control op): the handler runs, nothing is sent, 0 */
    static const struct engine_ops solo_ops = {0};
    fe.base.ops = &solo_ops;
    assert_int_equal(node_control_send(&n, "ping", (const uint8_t *)"", 0), 0);
    assert_int_equal(ping.n, 2);
    assert_string_equal(ping.last, "");
    node_controls_free(&n.controls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_control),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
