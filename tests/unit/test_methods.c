/* tests/unit/test_methods.c — the method table (node/methods.h):
 * registration, lookup by name, duplicate names refused, the rpc role mask,
 * rpc-callable vs API-only, run-time counters, many methods (no slot limit)
 * and an asynchronous answer through done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "config/access.h"
#include "node/methods.h"
#include "protocol/errors.h"

struct answer {
    int calls;
    uint32_t code;
    json_t *result; /* owned */
};

static void on_done(void *arg, const struct method_reply *r)
{
    struct answer *a = arg;
    a->calls++;
    a->code = r->code;
    json_decref(a->result);
    a->result = r->result;
    free(r->text);
}

/* echo: answers {"echo": params, "ctx": *(int *)ctx} at once */
static void m_echo(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    method_ok(done, arg, json_pack("{s:O,s:i}", "echo", params, "ctx", *(int *)call->ctx));
}

static void m_fail(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    method_error(done, arg, ERR_NOT_AVAILABLE, NULL);
}

/* later: keeps done/arg in ctx and answers when the test says so */
struct pending {
    method_done *done;
    void *arg;
    char user[32];
};

static void m_later(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct pending *p = call->ctx;
    p->done = done;
    p->arg = arg;
    snprintf(p->user, sizeof(p->user), "%s", call->user ? call->user : "");
}

static void test_register_lookup(void **state)
{
    struct methods t;
    methods_init(&t);
    int k = 7;
    struct method_spec s = {.name = "echo", .fn = m_echo, .ctx = &k, .rpc_roles = ROLE_USER};
    assert_int_equal(methods_register(&t, &s), 0);
    const struct method *m = methods_find(&t, "echo", 4);
    assert_non_null(m);
    assert_string_equal(m->name, "echo");
    assert_int_equal(m->rate_cost, 1);
    assert_null(methods_find(&t, "ech", 3));
    assert_null(methods_find(&t, "echoo", 5));
    struct answer a = {0};
    json_t *params = json_pack("{s:i}", "x", 1);
    struct method_call call = {.origin = METHOD_RPC, .ctx = m->ctx};
    m->fn(&call, params, on_done, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, 0);
    assert_int_equal(json_integer_value(json_object_get(a.result, "ctx")), 7);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a.result, "echo"), "x")), 1);
    json_decref(a.result);
    json_decref(params);
    methods_free(&t);
}

static void test_duplicate_and_invalid(void **state)
{
    struct methods t;
    methods_init(&t);
    int k = 0;
    struct method_spec s = {.name = "echo", .fn = m_echo, .ctx = &k, .api = true};
    assert_int_equal(methods_register(&t, &s), 0);
    struct method_spec d = {.name = "echo", .fn = m_fail, .rpc_roles = ROLE_USER};
    assert_int_equal(methods_register(&t, &d), -EEXIST);
    assert_ptr_equal(methods_find(&t, "echo", 4)->fn, m_echo); /* the first stays */
    struct method_spec none = {.name = "x", .fn = m_echo};
    assert_int_equal(methods_register(&t, &none), -EINVAL); /* neither rpc nor API */
    struct method_spec nofn = {.name = "y", .api = true};
    assert_int_equal(methods_register(&t, &nofn), -EINVAL);
    struct method_spec noname = {.name = "", .fn = m_echo, .api = true};
    assert_int_equal(methods_register(&t, &noname), -EINVAL);
    assert_int_equal(t.count, 1);
    methods_free(&t);
}

static void test_roles_and_rpc_vs_api(void **state)
{
    struct methods t;
    methods_init(&t);
    int k = 0;
    struct method_spec api_only = {.name = "publish", .fn = m_echo, .ctx = &k, .api = true};
    struct method_spec mods = {.name = "mod.kick", .fn = m_echo, .ctx = &k,
                               .rpc_roles = ROLE_MODERATOR | ROLE_HOST, .rate_cost = 5};
    struct method_spec users = {.name = "whoami", .fn = m_echo, .ctx = &k, .rpc_roles = ROLE_USER};
    assert_int_equal(methods_register(&t, &api_only), 0);
    assert_int_equal(methods_register(&t, &mods), 0);
    assert_int_equal(methods_register(&t, &users), 0);
    /* API-only: found, but not for rpc (104) */
    assert_non_null(methods_find(&t, "publish", 7));
    assert_null(methods_find_rpc(&t, "publish", 7));
    assert_null(methods_find_rpc(&t, "nope", 4));
    const struct method *kick = methods_find_rpc(&t, "mod.kick", 8);
    assert_non_null(kick);
    assert_false(kick->api);
    assert_int_equal(kick->rate_cost, 5);
    assert_false(method_rpc_allows(kick, access_subject(ROLE_MEMBER, false)));
    assert_false(method_rpc_allows(kick, access_subject(0, true)));
    assert_true(method_rpc_allows(kick, access_subject(ROLE_MODERATOR, false)));
    assert_true(method_rpc_allows(kick, access_subject(ROLE_HOST | ROLE_MEMBER, false)));
    assert_true(method_rpc_allows(kick, access_subject(ROLE_ADMIN, false))); /* admin passes */
    const struct method *who = methods_find_rpc(&t, "whoami", 6);
    assert_true(method_rpc_allows(who, access_subject(0, false)));
    assert_false(method_rpc_allows(who, access_subject(0, true))); /* anonymous */
    methods_free(&t);
}

static void test_stats(void **state)
{
    struct methods t;
    methods_init(&t);
    int k = 0;
    struct method_spec s = {.name = "info", .fn = m_echo, .ctx = &k, .api = true};
    struct method_spec f = {.name = "fail", .fn = m_fail, .ctx = &k, .api = true};
    assert_int_equal(methods_register(&t, &s), 0);
    assert_int_equal(methods_register(&t, &f), 0);
    const struct method *m = methods_find(&t, "info", 4);
    int s200 = method_stat_of_http_status(200), s401 = method_stat_of_http_status(401);
    assert_int_equal(method_stat_of_http_status(302), -1);
    assert_int_equal(method_stat_http_status((enum method_stat)s401), 401);
    methods_count(&t, m, (enum method_stat)s200);
    methods_count(&t, m, (enum method_stat)s200);
    methods_count(&t, m, (enum method_stat)s401);
    methods_count(&t, NULL, (enum method_stat)s401);
    methods_count(&t, m, MSTAT_RPC_OK);
    assert_int_equal(methods_stats(&t, m)[s200], 2);
    assert_int_equal(methods_stats(&t, m)[s401], 1);
    assert_int_equal(methods_stats(&t, m)[MSTAT_RPC_OK], 1);
    assert_int_equal(methods_stats(&t, NULL)[s401], 1);
    assert_int_equal(methods_stats(&t, NULL)[s200], 0);
    assert_int_equal(methods_stats(&t, methods_find(&t, "fail", 4))[s200], 0);
    methods_free(&t);
}

static void test_many(void **state)
{
    struct methods t;
    methods_init(&t);
    int k = 0;
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "m%03d", i);
        struct method_spec s = {.name = name, .fn = i % 2 ? m_echo : m_fail, .ctx = &k,
                                .api = true};
        assert_int_equal(methods_register(&t, &s), 0);
    }
    assert_int_equal(t.count, 100);
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "m%03d", i);
        const struct method *m = methods_find(&t, name, strlen(name));
        assert_non_null(m);
        assert_ptr_equal(t.all[i], m); /* registration order kept */
        methods_count(&t, m, (enum method_stat)(i % MSTAT_COUNT));
        assert_int_equal(methods_stats(&t, m)[i % MSTAT_COUNT], 1);
    }
    methods_free(&t);
}

static void test_async_done(void **state)
{
    struct methods t;
    methods_init(&t);
    struct pending p = {0};
    struct method_spec s = {.name = "later", .fn = m_later, .ctx = &p, .rpc_roles = ROLE_USER};
    assert_int_equal(methods_register(&t, &s), 0);
    const struct method *m = methods_find_rpc(&t, "later", 5);
    struct answer a = {0};
    json_t *params = json_object();
    struct method_call call = {.origin = METHOD_RPC, .ctx = m->ctx, .user = "ann", .client = "c1",
                               .roles = access_subject(0, false)};
    m->fn(&call, params, on_done, &a);
    json_decref(params);
    assert_int_equal(a.calls, 0); /* not answered yet */
    assert_string_equal(p.user, "ann");
    method_error(p.done, p.arg, ERR_LIMIT_EXCEEDED, NULL);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, ERR_LIMIT_EXCEEDED);
    assert_null(a.result);
    methods_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_lookup),
        cmocka_unit_test(test_duplicate_and_invalid),
        cmocka_unit_test(test_roles_and_rpc_vs_api),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_async_done),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
