/* tests/unit/test_rpc.c — the client protocol's rpc through the node's method
 * table (clients/commands.c), on a client with no socket (a dummy wsi that
 * is never dereferenced: replies only queue): unknown and API-only methods
 * answer 104, roles not allowed 103, params that are not a JSON object 107,
 * a result becomes the reply's data, a handler error the reply's error, the
 * client is held while an asynchronous handler runs, and a method's rate
 * class is charged to the command rate bucket (111 when it runs out). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clients/client.h"
#include "config/access.h"
#include "config/config.h"
#include "node/methods.h"
#include "node/node.h"
#include "protocol/errors.h"

static struct config cfg;
static struct node node;
static struct client *c;
static char dummy_wsi;

struct later {
    method_done *done;
    void *arg;
};

static void m_echo(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    method_ok(done, arg, json_pack("{s:O,s:s}", "echo", params, "user", call->user));
}

static void m_fail(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    method_error(done, arg, ERR_NOT_AVAILABLE, NULL);
}

static void m_later(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct later *l = call->ctx;
    l->done = done;
    l->arg = arg;
}

static struct later pending;

static int setup(void **state)
{
    char err[256];
    assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), 0);
    cfg.client_command_rate = 1;   /* 1 command/s: the bucket barely refills during a test */
    cfg.client_command_burst = 20;
    memset(&node, 0, sizeof(node));
    node.cfg = &cfg;
    methods_init(&node.methods);
    struct method_spec specs[] = {
        {.name = "echo", .fn = m_echo, .rpc_roles = ROLE_USER | ROLE_ANONYMOUS},
        {.name = "fail", .fn = m_fail, .rpc_roles = ROLE_EVERYONE},
        {.name = "mods", .fn = m_echo, .rpc_roles = ROLE_MODERATOR},
        {.name = "publish", .fn = m_echo, .api = true}, /* API-only */
        {.name = "later", .fn = m_later, .ctx = &pending, .rpc_roles = ROLE_EVERYONE},
        {.name = "dear", .fn = m_echo, .rpc_roles = ROLE_EVERYONE, .rate_cost = 6},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        assert_int_equal(methods_register(&node.methods, &specs[i]), 0);
    c = client_new(&node, (struct lws *)(void *)&dummy_wsi, WIRE_JSON);
    assert_non_null(c);
    c->state = CLIENT_CONNECTED;
    c->user = strdup("");
    return 0;
}

static int teardown(void **state)
{
    for (uint32_t i = 0; i < node.ndirty; i++)
        client_release(node.dirty[i]);
    free(node.dirty);
    c->wsi = NULL;
    client_release(c);
    methods_free(&node.methods);
    config_free(&cfg);
    return 0;
}

/* The text of the last frame queued to c. */
static const char *last_reply(char *buf, size_t n)
{
    assert_true(c->q.count > 0);
    struct frame *f = c->q.ring[(c->q.head + c->q.count - 1) % c->q.cap];
    snprintf(buf, n, "%.*s", (int)f->len, (const char *)frame_data(f));
    return buf;
}

static uint32_t next_id = 1;

static uint32_t rpc(const char *method, const char *data)
{
    struct cmd cmd = {.id = next_id++, .kind = CMD_RPC, .method = span_str(method)};
    if (data) {
        cmd.data = span_str(data);
        cmd.has_data = true;
    }
    assert_int_equal(client_dispatch(c, &cmd), 0);
    return cmd.id;
}

static void expect(uint32_t id, const char *want)
{
    char buf[512], idk[32];
    last_reply(buf, sizeof(buf));
    snprintf(idk, sizeof(idk), "\"id\":%u", id);
    if (!strstr(buf, idk) || !strstr(buf, want))
        fail_msg("reply %s: want %s and %s", buf, idk, want);
}

static void test_not_found(void **state)
{
    expect(rpc("nope", "{}"), "\"error\":{\"code\":104,\"message\":\"method not found\"");
    expect(rpc("publish", "{\"channel\":\"chat:x\",\"data\":1}"), "\"code\":104");
    expect(rpc("", "{}"), "\"code\":104");
    expect(rpc("nope", "[1"), "\"code\":104"); /* 104 before params are looked at */
}

static void test_result_and_error(void **state)
{
    expect(rpc("echo", "{\"a\":1}"), "\"rpc\":{\"data\":{\"echo\":{\"a\":1},\"user\":\"\"}}");
    expect(rpc("echo", NULL), "\"data\":{\"echo\":{}");
    expect(rpc("fail", "{}"), "\"error\":{\"code\":108,\"message\":\"not available\"");
    const struct method *m = methods_find(&node.methods, "echo", 4);
    assert_true(methods_stats(&node.methods, m)[MSTAT_RPC_OK] >= 2);
    assert_true(methods_stats(&node.methods, methods_find(&node.methods, "fail", 4))[MSTAT_RPC_ERROR] >= 1);
}

static void test_bad_params(void **state)
{
    expect(rpc("echo", "[1,2]"), "\"code\":107");
    expect(rpc("echo", "42"), "\"code\":107");
    expect(rpc("echo", "{\"a\":1,\"a\":2}"), "\"code\":107");
}

static void test_roles(void **state)
{
    expect(rpc("mods", "{}"), "\"error\":{\"code\":103,\"message\":\"permission denied\"");
    c->roles = ROLE_MODERATOR;
    expect(rpc("mods", "{}"), "\"rpc\":{\"data\"");
    c->roles = ROLE_MEMBER;
    expect(rpc("mods", "{}"), "\"code\":103");
    c->roles = ROLE_ADMIN;
    expect(rpc("mods", "{}"), "\"rpc\":{\"data\"");
    c->roles = 0;
}

static void test_async_holds_client(void **state)
{
    uint32_t before = c->refs, queued = c->q.count;
    uint32_t id = rpc("later", "{}");
    assert_non_null(pending.done);
    assert_int_equal(c->refs, before + 1); /* held while the handler runs */
    assert_int_equal(c->q.count, queued);  /* no answer yet */
    method_ok(pending.done, pending.arg, json_pack("{s:b}", "late", 1));
    expect(id, "\"data\":{\"late\":true}");
    assert_true(c->refs >= before);        /* released (mark_dirty may hold one) */
    assert_true(c->refs <= before + 1);
}

static void test_rate_class(void **state)
{
    /* empty the bucket to 13 commands, then "dear" costs 6 each */
    c->rl_tokens = 13000;
    c->rl_last_ms = node_now_ms(&node) + 60000; /* no refill during the test */
    expect(rpc("dear", "{}"), "\"rpc\":{\"data\""); /* 13 -> 7 */
    expect(rpc("dear", "{}"), "\"rpc\":{\"data\""); /* 7 -> 1 */
    uint64_t limited = node.stats.rate_limited;
    expect(rpc("dear", "{}"), "\"error\":{\"code\":111"); /* 1 < 6 */
    assert_int_equal(node.stats.rate_limited, limited + 1);
    expect(rpc("echo", "{}"), "\"rpc\":{\"data\""); /* an ordinary method costs 1 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_result_and_error),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_async_holds_client),
        cmocka_unit_test(test_rate_class),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
