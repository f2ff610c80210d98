/* tests/unit/test_config.c — config file parsing (defaults, every option,
 * refusal of unknown keys and bad values), --listen parsing, and namespace
 * resolution of channel names; plus the dict the registries are built on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "util/dict.h"

static int load_text(struct config *c, const char *text, char *err, size_t n)
{
    char path[] = "/tmp/hearth-cfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int r = config_load(c, path, err, n);
    unlink(path);
    return r;
}

static void test_defaults(void **state)
{
    struct config c;
    char err[256];
    assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
    assert_true(c.demo_defaults);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8000);
    assert_true(c.allow_anonymous);
    assert_int_equal(c.api_max_batch_commands, 10000);
    assert_int_equal(c.api_max_broadcast_channels, 10000);
    assert_int_equal(c.nnamespaces, 2);
    assert_string_equal(c.data_dir, "./hearth-data"); /* the demo keeps its state */
    assert_false(c.durable_sync_full);
    assert_int_equal(c.write_delay_max_ms, 5); /* self-batching fan-out on, bounded */
    assert_non_null(config_find_ns(&c, "lobby", 5));
    assert_non_null(config_find_ns(&c, "chat:lobby", 10));
    assert_null(config_find_ns(&c, "other:x", 7));
    config_free(&c);
}

static void test_full(void **state)
{
    struct config c;
    char err[256];
    const char *text =
        "{\"listen\":\"0.0.0.0:9001\",\"engine\":\"memory\",\"allow_anonymous\":false,"
        "\"token_hmac_secret\":\"s\",\"api_key\":\"k\",\"ping_interval\":5,\"pong_timeout\":2,"
        "\"max_message_size\":1024,\"client_queue_max_size\":8192,"
        "\"api_max_batch_commands\":7,\"api_max_broadcast_channels\":9,"
        "\"data_dir\":\"\",\"durable_sync\":\"full\","
        "\"namespaces\":[{\"name\":\"\"},{\"name\":\"room\",\"history_size\":10,"
        "\"history_ttl\":60,\"presence\":true,\"join_leave\":true,\"allow_publish\":true,"
        "\"force_recovery\":true},{\"name\":\"raw\",\"binary\":true}]}";
    assert_int_equal(load_text(&c, text, err, sizeof(err)), 0);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 9001);
    assert_false(c.allow_anonymous);
    assert_string_equal(c.token_hmac_secret, "s");
    assert_int_equal(c.ping_interval, 5);
    assert_int_equal(c.api_max_batch_commands, 7);
    assert_int_equal(c.api_max_broadcast_channels, 9);
    assert_string_equal(c.data_dir, "");
    assert_true(c.durable_sync_full);
    const struct ns_config *ns = config_find_ns(&c, "room:a:b", 8);
    assert_non_null(ns);
    assert_string_equal(ns->name, "room");
    assert_true(ns_has_history(ns));
    assert_true(ns->force_recovery);
    assert_false(ns->binary); /* the default */
    assert_true(config_find_ns(&c, "raw:x", 5)->binary);
    ns = config_find_ns(&c, "$room:secret", 12); /* private prefix is not the namespace */
    assert_non_null(ns);
    assert_string_equal(ns->name, "room");
    ns = config_find_ns(&c, "plain", 5);
    assert_non_null(ns);
    assert_false(ns_has_history(ns));
    config_free(&c);
}

static void test_refused(void **state)
{
    struct config c;
    char err[256];
    const char *bad[] = {
        "{\"listn\":\"1.2.3.4:5\"}",
        "{\"listen\":\"nocolon\"}",
        "{\"listen\":\"h:99999\"}",
        "{\"engine\":\"mongo\"}",
        "{\"engine\":\"redis\",\"redis_url\":\"http://x:1\"}",
        "{\"redis_url\":[]}",
        "{\"redis_url\":[\"redis://a:1\",7]}",
        "{\"redis_prefix\":\"\"}",
        "{\"redis_prefix\":\"a b\"}",
        "{\"redis_presence_ttl\":1}",
        "{\"redis_command_timeout_ms\":5}",
        "{\"node_name\":3}",
        "{\"ping_interval\":5,\"pong_timeout\":5}",
        "{\"namespaces\":[{\"name\":\"a b\"}]}",
        "{\"namespaces\":[{\"name\":\"x\"},{\"name\":\"x\"}]}",
        "{\"namespaces\":[{\"history_size\":1}]}",
        "{\"namespaces\":[{\"name\":\"x\",\"presense\":true}]}",
        "{\"namespaces\":[{\"name\":\"x\",\"binary\":1}]}",
        "{\"allow_anonymous\":1}",
        "{\"durable_sync\":\"sometimes\"}",
        "{\"data_dir\":false}",
        "{\"max_message_size\":-1}",
        "{\"write_delay_max_ms\":101}",
        "{\"client_queue_max_size\":1073741825}",
        "{\"max_channels_per_client\":32769}",
        "{\"client_rate_limit_strikes\":65536}",
        "[1,2]",
        "{",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_int_equal(load_text(&c, bad[i], err, sizeof(err)), -1);
        assert_true(err[0] != 0);
        config_free(&c);
    }
}

/* The engine name table: the kind each name selects, the error naming what
 * this build has, and a name for every kind. */
static void test_engine_names(void **state)
{
    struct config c;
    char err[256];
    assert_int_equal(load_text(&c, "{}", err, sizeof(err)), 0);
    assert_string_equal(c.engine, "memory");
    assert_int_equal(c.engine_kind, ENGINE_KIND_MEMORY);
    config_free(&c);
    assert_int_equal(load_text(&c, "{\"engine\":\"redis\",\"redis_url\":\"redis://10.1.2.3\"}",
                               err, sizeof(err)), 0);
    assert_int_equal(c.engine_kind, ENGINE_KIND_REDIS);
    config_free(&c);
    assert_int_equal(load_text(&c, "{\"engine\":\"mongo\"}", err, sizeof(err)), -1);
    assert_string_equal(err, "engine \"mongo\" is not available (this build has: memory, redis)");
    config_free(&c);
    for (int k = 0; k < ENGINE_KINDS; k++) {
        const struct engine_name *en = engine_name_of((enum engine_kind)k);
        assert_int_equal(en->kind, k);
        assert_ptr_equal(engine_name_find(en->name), en);
    }
    assert_true(engine_name_of(ENGINE_KIND_REDIS)->needs_redis);
    assert_false(engine_name_of(ENGINE_KIND_MEMORY)->needs_redis);
    assert_null(engine_name_find("Memory"));
    assert_null(engine_name_find(""));
    char small[8];
    assert_string_equal(engine_names_list(small, sizeof(small)), "memory,");
}

static void test_redis_keys(void **state)
{
    struct config c;
    char err[256];
    assert_int_equal(load_text(&c, "{\"engine\":\"redis\",\"node_name\":\"n1\","
                                   "\"redis_url\":[\"redis://127.0.0.1:7001\",\"redis://127.0.0.1:7002/3\"],"
                                   "\"redis_prefix\":\"comm\",\"redis_presence_ttl\":30,"
                                   "\"redis_connect_timeout_ms\":250,\"redis_command_timeout_ms\":900}",
                               err, sizeof(err)), 0);
    assert_string_equal(c.engine, "redis");
    assert_string_equal(c.node_name, "n1");
    assert_int_equal(c.nredis_urls, 2);
    assert_string_equal(c.redis_urls[1], "redis://127.0.0.1:7002/3");
    assert_string_equal(c.redis_prefix, "comm");
    assert_int_equal(c.redis_presence_ttl, 30);
    assert_int_equal(c.redis_connect_timeout_ms, 250);
    assert_int_equal(c.redis_command_timeout_ms, 900);
    config_free(&c);
    /* a single URL as a string; defaults for the rest */
    assert_int_equal(load_text(&c, "{\"engine\":\"redis\",\"redis_url\":\"redis://10.1.2.3\"}",
                               err, sizeof(err)), 0);
    assert_int_equal(c.nredis_urls, 1);
    assert_string_equal(c.redis_urls[0], "redis://10.1.2.3");
    assert_string_equal(c.redis_prefix, "hearth");
    assert_int_equal(c.redis_presence_ttl, 60);
    config_free(&c);
}

static void test_listen(void **state)
{
    struct config c;
    char err[256];
    config_load(&c, NULL, err, sizeof(err));
    assert_int_equal(config_set_listen(&c, "[::1]:8080", err, sizeof(err)), 0);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 8080);
    assert_int_equal(config_set_listen(&c, ":80", err, sizeof(err)), -1);
    assert_int_equal(config_set_listen(&c, "h:", err, sizeof(err)), -1);
    config_free(&c);
}

struct item {
    struct dict_entry de;
    char name[16];
};

static void test_dict(void **state)
{
    struct dict d;
    dict_init(&d);
    enum { N = 1000 };
    struct item *items = calloc(N, sizeof(*items));
    for (int i = 0; i < N; i++) {
        snprintf(items[i].name, sizeof(items[i].name), "k%d", i);
        items[i].de.key = items[i].name;
        items[i].de.klen = strlen(items[i].name);
        assert_int_equal(dict_insert(&d, &items[i].de), 0);
    }
    assert_int_equal(d.count, N);
    for (int i = 0; i < N; i++)
        assert_ptr_equal(dict_find(&d, items[i].name, strlen(items[i].name)), &items[i].de);
    assert_null(dict_find(&d, "nope", 4));
    /* remove every other entry while iterating */
    struct dict_iter it;
    dict_iter_init(&it, &d);
    size_t seen = 0;
    for (struct dict_entry *e; (e = dict_next(&it));) {
        seen++;
        struct item *x = DICT_CONTAINER(e, struct item, de);
        if ((x - items) % 2 == 0)
            dict_remove(&d, e);
    }
    assert_int_equal(seen, N);
    assert_int_equal(d.count, N / 2);
    assert_null(dict_find(&d, "k0", 2));
    assert_non_null(dict_find(&d, "k1", 2));
    dict_free(&d);
    free(items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_full),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_redis_keys), cmocka_unit_test(test_listen),
        cmocka_unit_test(test_engine_names),
        cmocka_unit_test(test_dict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
