/* tests/unit/test_moderation.c — community/moderation on a node with no
 * sockets (memory engine, a chat namespace) and a frozen clock: mutes and
 * the 60 s kick window expire exactly when the clock says; a sanction told
 * by another node (the mod.sanction verb) reaches the cache, a malformed one
 * is ignored; the periodic resync picks up a record no verb announced and
 * drops one deleted behind its back; the connect hook refuses a community
 * ban with 3510. The methods are called through the method table as the API
 * would call them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "community/mod_internal.h"
#include "config/access.h"
#include "node/gate.h"
#include "node/node.h"
#include "protocol/errors.h"
#include "rooms/backend.h"

#define T0 1700000000000LL

struct fixture {
    struct config cfg;
    struct node node;
    uv_loop_t loop;
    struct moderation *m;
    struct gate_req *parked;     /* park(): a request an earlier hook holds */
};

struct fixture;
static struct gate_verdict park(void *ctx, struct gate_req *req);

static int setup_with(void **state, bool parking_hook_first)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char path[] = "/tmp/hearth-test-mod-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *json = "{\"namespaces\":[{\"name\":\"chat\",\"chat\":true,\"history_size\":10,"
                       "\"history_ttl\":60,\"allow_publish\":true}]}";
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    char err[256];
    assert_int_equal(config_load(&f->cfg, path, err, sizeof(err)), 0);
    unlink(path);
    uv_loop_init(&f->loop);
    struct node *n = &f->node;
    n->loop = &f->loop;
    n->cfg = &f->cfg;
    clock_set(&n->clock, T0);
    hub_init(&n->hub, NULL);
    struct engine_events ev = {.on_publication = hub_on_publication, .on_join = hub_on_join,
                               .arg = &n->hub};
    n->engine = engine_memory_new(&f->cfg, &ev, &n->clock, &n->store);
    assert_non_null(n->engine);
    n->hub.engine = n->engine;
    methods_init(&n->methods);
    gate_init(&n->gate, n);
    /* an earlier hook that goes async (as the chat half's may) */
    if (parking_hook_first)
        assert_int_equal(gate_hook_add(&n->gate, "chat", park, f), 0);
    f->m = moderation_new(n);
    assert_non_null(f->m);
    *state = f;
    return 0;
}

static int setup(void **state) { return setup_with(state, false); }
static int setup_parking(void **state) { return setup_with(state, true); }

static struct gate_verdict park(void *ctx, struct gate_req *req)
{
    ((struct fixture *)ctx)->parked = req;
    return (struct gate_verdict){.kind = GATE_ASYNC};
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    gate_free(&f->node.gate);
    moderation_stop(f->m);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* the timer's close callback */
    backend_free(f->node.engine, f->node.store);
    moderation_free(f->m);
    node_controls_free(&f->node.controls);
    methods_free(&f->node.methods);
    hub_free(&f->node.hub);
    config_free(&f->cfg);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
    return 0;
}

struct answer {
    int calls;
    uint32_t code;
    char message[96];
    json_t *result;
};

static void on_answer(void *arg, const struct method_reply *r)
{
    struct answer *a = arg;
    a->calls++;
    a->code = r->code;
    snprintf(a->message, sizeof(a->message), "%s", r->message ? r->message : "");
    a->result = r->result;
}

/* Calls method over the API with params (JSON text); returns the code. */
static uint32_t call(struct fixture *f, const char *method, const char *params)
{
    const struct method *m = methods_find(&f->node.methods, method, strlen(method));
    assert_non_null(m);
    json_t *p = json_loads(params, 0, NULL);
    assert_non_null(p);
    struct method_call c = {.origin = METHOD_API, .node = &f->node, .ctx = m->ctx};
    struct answer a = {0};
    m->fn(&c, p, on_answer, &a);
    json_decref(p);
    assert_int_equal(a.calls, 1); /* the memory store answers at once */
    json_decref(a.result);
    return a.code;
}

static bool muted(struct fixture *f, const char *user, const char *ch)
{
    return moderation_is_muted(f->m, user, span_str(ch));
}

static uint32_t subscribe(struct fixture *f, const char *user, const char *ch)
{
    struct gate_sub r = {.channel = span_str(ch), .origin = GATE_CLIENT, .user = user,
                         .client = "c1", .check_access = true, .subject = access_subject(0, false)};
    uint32_t code = 0;
    const char *msg;
    return gate_subscribe(&f->node.gate, &r, &code, &msg) ? 0 : code;
}

static void test_mute_expiry(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(call(f, "mod.mute", "{\"channel\":\"chat:a\",\"user\":\"ann\",\"duration\":10,"
                                         "\"reason\":\"r\"}"), 0);
    assert_true(muted(f, "ann", "chat:a"));
    assert_false(muted(f, "ann", "chat:b"));
    assert_false(muted(f, "bob", "chat:a"));
    assert_false(muted(f, "", "chat:a"));
    clock_advance(&f->node.clock, 9999);
    assert_true(muted(f, "ann", "chat:a"));
    clock_advance(&f->node.clock, 1);
    assert_false(muted(f, "ann", "chat:a")); /* expires by itself, to the millisecond */
    /* everywhere, permanent, until unmuted */
    assert_int_equal(call(f, "mod.mute", "{\"user\":\"ann\",\"duration\":0,\"reason\":\"r\"}"), 0);
    clock_advance(&f->node.clock, 86400000);
    assert_true(muted(f, "ann", "chat:zzz"));
    assert_int_equal(call(f, "mod.unmute", "{\"user\":\"ann\"}"), 0);
    assert_false(muted(f, "ann", "chat:zzz"));
    /* a ban silences too (the chat half asks this for reactions and typing) */
    assert_int_equal(call(f, "mod.ban", "{\"channel\":\"chat:b\",\"user\":\"ann\",\"duration\":5,"
                                        "\"reason\":\"r\"}"), 0);
    assert_true(muted(f, "ann", "chat:b"));
    assert_false(muted(f, "ann", "chat:c"));
}

static void test_kick_window(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(subscribe(f, "kid", "chat:k"), 0);
    assert_int_equal(call(f, "mod.kick", "{\"channel\":\"chat:k\",\"user\":\"kid\"}"), 0);
    assert_int_equal(subscribe(f, "kid", "chat:k"), ERR_PERMISSION_DENIED);
    assert_int_equal(subscribe(f, "kid", "chat:other"), 0);
    clock_advance(&f->node.clock, MOD_KICK_BLOCK_MS - 1);
    assert_int_equal(subscribe(f, "kid", "chat:k"), ERR_PERMISSION_DENIED);
    clock_advance(&f->node.clock, 1);
    assert_int_equal(subscribe(f, "kid", "chat:k"), 0);
}

static void verb(struct fixture *f, const char *payload, size_t n)
{
    struct control_msg m = {.verb = span_str("mod.sanction"),
                            .payload = {(const uint8_t *)payload, n}};
    node_control_on_message(&f->node, &m);
}

static void test_verb_and_connect(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    assert_int_equal(gate_connect(&f->node.gate, "eve", 0, &why), 0);
    /* a community ban from another node: key "" \x1f "eve" */
    const char set[] = "b 1 0 0\n\x1f" "eve";
    verb(f, set, sizeof(set) - 1);
    assert_int_equal(gate_connect(&f->node.gate, "eve", 0, &why), DISC_BANNED);
    assert_string_equal(why, "banned");
    assert_int_equal(gate_connect(&f->node.gate, "", 0, &why), 0); /* anonymous: no identity */
    assert_int_equal(subscribe(f, "eve", "chat:x"), ERR_PERMISSION_DENIED);
    /* malformed: ignored */
    const char *bad[] = {"", "b 1 0 0", "x 1 0 0\n\x1f" "eve", "b 2 0 0\n\x1f" "eve",
                         "b 0 -1 0\n\x1f" "eve", "b 0 0 0 junk\n\x1f" "eve", "b 0 0 0\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        verb(f, bad[i], strlen(bad[i]));
    assert_int_equal(gate_connect(&f->node.gate, "eve", 0, &why), DISC_BANNED);
    const char del[] = "b 0 0 0\n\x1f" "eve";
    verb(f, del, sizeof(del) - 1);
    assert_int_equal(gate_connect(&f->node.gate, "eve", 0, &why), 0);
}

static void test_resync(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->node.store;
    /* a record written without telling anyone (a lost control message) */
    char key[] = "chat:r\x1f" "zed";
    struct record r = {.key = span_str(key), .value = span_str("{}"), .expire_ms = T0 + 60000};
    assert_int_equal(st->ops->record_put(st, span_str("mod.mute"), &r, 0, NULL, NULL), 0);
    assert_false(muted(f, "zed", "chat:r"));
    mod_cache_resync(f->m);
    assert_true(muted(f, "zed", "chat:r"));
    /* and one deleted behind the cache's back */
    assert_int_equal(st->ops->record_del(st, span_str("mod.mute"), span_str(key), NULL, NULL), 0);
    assert_true(muted(f, "zed", "chat:r"));
    mod_cache_resync(f->m);
    assert_false(muted(f, "zed", "chat:r"));
    /* slow-mode overrides come back too */
    struct record s = {.key = span_str("chat:r"), .value = span_str("{\"seconds\":7}")};
    assert_int_equal(st->ops->record_put(st, span_str("mod.slow"), &s, 0, NULL, NULL), 0);
    mod_cache_resync(f->m);
    assert_int_equal(mod_slow_seconds(f->m, &f->cfg.namespaces[0], span_str("chat:r")), 7);
    assert_int_equal(mod_slow_seconds(f->m, &f->cfg.namespaces[0], span_str("chat:q")), 0);
}


struct outcome {
    int calls;
    uint32_t code;
    struct gate_call call;
};

static void on_outcome(void *arg, const struct gate_outcome *out)
{
    struct outcome *o = arg;
    o->calls++;
    o->code = out->code;
}

/* After an earlier hook went async the gate no longer hands out the
 * namespace: the moderation check looks it up again and still applies. */
static void test_after_async_hook(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(call(f, "mod.mute", "{\"user\":\"ann\",\"duration\":10,\"reason\":\"r\"}"), 0);
    struct clientinfo ci = {.user = span_str("ann"), .client = span_str("c1")};
    struct gate_pub p = {.channel = span_str("chat:a"), .data = span_str("{\"text\":\"hi\"}"),
                         .has_data = true, .is_json = true, .origin = GATE_CLIENT, .info = &ci,
                         .subject = access_subject(0, false)};
    struct outcome o = {0};
    gate_publish(&f->node.gate, &p, &o.call, on_outcome, &o);
    assert_int_equal(o.calls, 0);
    assert_non_null(f->parked);
    gate_resume(f->parked, (struct gate_verdict){.kind = GATE_ALLOW});
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.code, ERR_PERMISSION_DENIED);
    /* someone not muted gets through */
    ci.user = span_str("bob");
    memset(&o, 0, sizeof(o));
    gate_publish(&f->node.gate, &p, &o.call, on_outcome, &o);
    gate_resume(f->parked, (struct gate_verdict){.kind = GATE_ALLOW});
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.code, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mute_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kick_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verb_and_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_after_async_hook, setup_parking, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
