/* tests/unit/test_chat_message.c — community/chat_message.c, the chat
 * message validator and canonical form: shapes, control characters, UTF-8,
 * length in code points, mentions (distinct, capped), nonce, reply_to,
 * unknown keys, and the emoji rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "community/chat_message.h"

static const struct chat_limits LIM = {.max_text = 10, .max_mentions = 3};

/* Parses s; returns the rc, canonical form in buf (or the reason). */
static int parse_lim(const char *s, size_t n, const struct chat_limits *lim, char *buf, size_t cap,
                     struct chat_message *m)
{
    int rc = chat_message_parse((const uint8_t *)s, n, lim, 1700000000123LL, m);
    snprintf(buf, cap, "%s", rc == 0 ? m->json : m->why ? m->why : "?");
    return rc;
}

static int parse(const char *s, char *buf, size_t cap)
{
    struct chat_message m;
    int rc = parse_lim(s, strlen(s), &LIM, buf, cap, &m);
    chat_message_free(&m);
    return rc;
}

static void test_canonical(void **state)
{
    (void)state;
    char b[512];
    assert_int_equal(parse("{\"text\":\"hi\"}", b, sizeof(b)), 0);
    assert_string_equal(b, "{\"type\":\"message\",\"text\":\"hi\",\"mentions\":[],\"ts\":1700000000123}");
    assert_int_equal(parse("{\"reply_to\":5,\"text\":\"a @bob\"}", b, sizeof(b)), 0);
    assert_string_equal(b, "{\"type\":\"message\",\"text\":\"a @bob\",\"reply_to\":5,"
                           "\"mentions\":[\"bob\"],\"ts\":1700000000123}");
}

static void test_shapes(void **state)
{
    (void)state;
    char b[512];
    const char *bad[] = {
        "", "x", "\"hi\"", "[]", "null", "{}", "{\"text\":1}", "{\"text\":null}",
        "{\"text\":\"a\",\"extra\":1}", "{\"text\":\"a\",\"type\":\"edit\"}",
        "{\"type\":\"message\",\"text\":\"a\"}", "{\"text\":\"a\",\"text\":\"b\"}",
        "{\"text\":\"a\",\"reply_to\":0}", "{\"text\":\"a\",\"reply_to\":-1}",
        "{\"text\":\"a\",\"reply_to\":1.5}", "{\"text\":\"a\",\"reply_to\":\"1\"}",
        "{\"text\":\"a\",\"reply_to\":99999999999999999999999}",
        "{\"text\":\"a\",\"nonce\":1}", "{\"text\":\"a\",\"nonce\":null}",
        "{\"text\":\"a\"} trailing",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], b, sizeof(b)) != -22)
            fail_msg("accepted: %s", bad[i]);
    }
}

static void test_control_chars(void **state)
{
    (void)state;
    char b[512];
    /* CR, DEL, U+0085, U+009F, NUL and ESC go; \n and \t stay */
    assert_int_equal(parse("{\"text\":\"a\\r\\n\\tb\\u007f\\u0085\\u009f\\u0000\\u001bc\"}", b,
                           sizeof(b)), 0);
    assert_non_null(strstr(b, "\"text\":\"a\\n\\tbc\""));
    /* nothing left after stripping: refused */
    assert_int_equal(parse("{\"text\":\"\\r\\u0000\\u0080\"}", b, sizeof(b)), -22);
    assert_string_equal(b, "empty text");
    assert_int_equal(parse("{\"text\":\"\"}", b, sizeof(b)), -22);
    /* U+00A0 and U+200B are not Cc: kept */
    assert_int_equal(parse("{\"text\":\"\\u00a0\\u200b\"}", b, sizeof(b)), 0);
}

static void test_utf8_and_length(void **state)
{
    (void)state;
    char b[512];
    /* 10 code points of 4-byte UTF-8 fit max_text 10; 11 do not */
    char s[256] = "{\"text\":\"";
    for (int i = 0; i < 10; i++)
        strcat(s, "\xf0\x9f\x91\x8d");
    strcat(s, "\"}");
    assert_int_equal(parse(s, b, sizeof(b)), 0);
    s[strlen(s) - 2] = 0;
    strcat(s, "x\"}");
    assert_int_equal(parse(s, b, sizeof(b)), -22);
    assert_string_equal(b, "text too long");
    /* stripped characters do not count */
    assert_int_equal(parse("{\"text\":\"0123456789\\r\\r\\r\"}", b, sizeof(b)), 0);
    /* invalid UTF-8 (raw bytes, overlong, surrogate escape) */
    assert_int_equal(parse("{\"text\":\"\xff\"}", b, sizeof(b)), -22);
    assert_int_equal(parse("{\"text\":\"\xc0\xaf\"}", b, sizeof(b)), -22);
    assert_int_equal(parse("{\"text\":\"\xed\xa0\x80\"}", b, sizeof(b)), -22);
    assert_int_equal(parse("{\"text\":\"\\ud800\"}", b, sizeof(b)), -22);
    /* the text cleaner alone: invalid UTF-8 */
    char *o;
    size_t ol;
    const char *why;
    assert_int_equal(chat_text_clean("a\xe2\x82", 3, 10, &o, &ol, &why), -22);
    assert_string_equal(why, "text is not valid UTF-8");
}

static void test_mentions(void **state)
{
    (void)state;
    char b[512];
    struct chat_limits big = {.max_text = 1000, .max_mentions = 3};
    struct chat_message m;
    const char *s1 = "{\"text\":\"@a @b @a x@c @d\"}";
    assert_int_equal(parse_lim(s1, strlen(s1), &big, b, sizeof(b), &m), 0);
    chat_message_free(&m);
    assert_non_null(strstr(b, "\"mentions\":[\"a\",\"b\",\"d\"]"));
    s1 = "{\"text\":\"@a @b @c @d\"}";
    assert_int_equal(parse_lim(s1, strlen(s1), &big, b, sizeof(b), &m), -22);
    chat_message_free(&m);
    assert_string_equal(b, "too many mentions");
    /* @ alone and a run longer than 64 are no mentions; "@@x" mentions x */
    char s[300] = "{\"text\":\"@ @@x @";
    for (int i = 0; i < 65; i++)
        strcat(s, "u");
    strcat(s, " @A.b-c_9!\"}");
    assert_int_equal(parse_lim(s, strlen(s), &big, b, sizeof(b), &m), 0);
    chat_message_free(&m);
    assert_non_null(strstr(b, "\"mentions\":[\"x\",\"A.b-c_9\"]"));
    /* exactly 64 is one */
    json_t *arr;
    const char *why;
    char t[80] = "@";
    for (int i = 0; i < 64; i++)
        strcat(t, "z");
    assert_int_equal(chat_mentions(t, strlen(t), 10, &arr, &why), 0);
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(json_string_length(json_array_get(arr, 0)), 64);
    json_decref(arr);
    /* max 0: any mention is too many, none is fine */
    assert_int_equal(chat_mentions("@x", 2, 0, &arr, &why), -22);
    assert_int_equal(chat_mentions("x", 1, 0, &arr, &why), 0);
    json_decref(arr);
}

static void test_nonce(void **state)
{
    (void)state;
    char b[512];
    struct chat_message m;
    const char *s = "{\"text\":\"a\",\"nonce\":\"n-1\"}";
    assert_int_equal(parse_lim(s, strlen(s), &LIM, b, sizeof(b), &m), 0);
    assert_true(m.has_nonce);
    assert_string_equal(m.nonce, "n-1");
    assert_null(strstr(m.json, "nonce")); /* not part of the canonical form */
    chat_message_free(&m);
    char n64[200] = "{\"text\":\"a\",\"nonce\":\"";
    for (int i = 0; i < 64; i++)
        strcat(n64, "n");
    strcat(n64, "\"}");
    assert_int_equal(parse(n64, b, sizeof(b)), 0);
    n64[strlen(n64) - 2] = 0;
    strcat(n64, "n\"}");
    assert_int_equal(parse(n64, b, sizeof(b)), -22);
}

static void test_emoji(void **state)
{
    (void)state;
    assert_true(chat_emoji_ok("\xf0\x9f\x91\x8d", 4));                        /* thumbs up */
    assert_true(chat_emoji_ok("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", 8));        /* + skin tone */
    assert_true(chat_emoji_ok("\xe2\x9d\xa4\xef\xb8\x8f", 6));                /* heart + VS16 */
    assert_true(chat_emoji_ok("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb", 11)); /* ZWJ */
    assert_false(chat_emoji_ok("", 0));
    assert_false(chat_emoji_ok("a", 1));
    assert_false(chat_emoji_ok("\xf0\x9f\x91\x8d ", 5));                      /* ASCII space */
    assert_false(chat_emoji_ok("\xc2\x85", 2));                               /* C1 */
    assert_false(chat_emoji_ok("\xc2\xa0", 2));                               /* NBSP */
    assert_false(chat_emoji_ok("\xe3\x80\x80", 3));                           /* ideographic space */
    assert_false(chat_emoji_ok("\xef\xbb\xbf", 3));                           /* BOM */
    assert_false(chat_emoji_ok("\xf0\x9f\x91", 3));                           /* truncated */
    assert_false(chat_emoji_ok("\xed\xa0\x80", 3));                           /* surrogate */
    char big[64] = "";
    for (int i = 0; i < 8; i++)
        strcat(big, "\xf0\x9f\x91\x8d");
    assert_true(chat_emoji_ok(big, 32));
    strcat(big, "\xf0\x9f\x91\x8d");
    assert_false(chat_emoji_ok(big, 36));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical),       cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_control_chars),   cmocka_unit_test(test_utf8_and_length),
        cmocka_unit_test(test_mentions),        cmocka_unit_test(test_nonce),
        cmocka_unit_test(test_emoji),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
