/* tests/unit/test_shard.c — channel → Redis shard: FNV-1a 64 and jump
 * consistent hash against published values (so hearth picks the same shard
 * as Centrifugo does), the "only 1/N of keys move" property, a sane spread,
 * and redis:// URL parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rooms/redis_conn.h"
#include "rooms/shard.h"

static void test_fnv1a64(void **state)
{
    assert_true(shard_fnv1a64("", 0) == 0xcbf29ce484222325ULL);
    assert_true(shard_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(shard_fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
}

static void test_jump_known_values(void **state)
{
    /* from the reference implementations' test tables (dgryski/go-jump) */
    assert_int_equal(shard_jump(1, 1), 0);
    assert_int_equal(shard_jump(42, 57), 43);
    assert_int_equal(shard_jump(0xDEAD10CC, 1), 0);
    assert_int_equal(shard_jump(0xDEAD10CC, 666), 361);
    assert_int_equal(shard_jump(256, 1024), 520);
    assert_int_equal(shard_of("anything", 8, 1), 0);
}

static void test_jump_moves_only_to_new_bucket(void **state)
{
    char name[32];
    for (uint32_t n = 1; n < 9; n++)
        for (int i = 0; i < 2000; i++) {
            int len = snprintf(name, sizeof(name), "chat:room-%d", i);
            uint32_t a = shard_of(name, (size_t)len, n), b = shard_of(name, (size_t)len, n + 1);
            assert_true(a < n && b < n + 1);
            assert_true(b == a || b == n); /* a key only ever moves to the new shard */
        }
}

static void test_spread(void **state)
{
    char name[32];
    unsigned count[3] = {0};
    for (int i = 0; i < 30000; i++) {
        int len = snprintf(name, sizeof(name), "chat:%d", i);
        count[shard_of(name, (size_t)len, 3)]++;
    }
    for (int k = 0; k < 3; k++)
        assert_in_range(count[k], 9000, 11000);
}

static void test_urls(void **state)
{
    struct redis_addr a;
    char err[256];
    assert_int_equal(redis_addr_parse("redis://127.0.0.1:6380", &a, err, sizeof(err)), 0);
    assert_string_equal(a.host, "127.0.0.1");
    assert_int_equal(a.port, 6380);
    assert_null(a.password);
    assert_int_equal(a.db, 0);
    redis_addr_free(&a);
    assert_int_equal(redis_addr_parse("redis://:s3cret@redis.local/2", &a, err, sizeof(err)), 0);
    assert_string_equal(a.host, "redis.local");
    assert_int_equal(a.port, 6379);
    assert_null(a.user);
    assert_string_equal(a.password, "s3cret");
    assert_int_equal(a.db, 2);
    redis_addr_free(&a);
    assert_int_equal(redis_addr_parse("redis://app:pw@[::1]:7000", &a, err, sizeof(err)), 0);
    assert_string_equal(a.host, "::1");
    assert_string_equal(a.user, "app");
    assert_string_equal(a.password, "pw");
    assert_int_equal(a.port, 7000);
    redis_addr_free(&a);
    assert_int_equal(redis_addr_parse("10.0.0.5:6390", &a, err, sizeof(err)), 0);
    assert_int_equal(a.port, 6390);
    redis_addr_free(&a);
    const char *bad[] = {"http://x:1", "redis://", "redis://h:0", "redis://h:99999",
                         "redis://h:12x", "redis://h:1/x", "redis://[::1", "redis://h:"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(redis_addr_parse(bad[i], &a, err, sizeof(err)), -1);
        assert_null(a.host); /* nothing leaks on failure */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a64),
        cmocka_unit_test(test_jump_known_values),
        cmocka_unit_test(test_jump_moves_only_to_new_bucket),
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
