/* tests/unit/test_codec_json.c — the JSON codec both ways: every command the
 * SDK sends, framing rules, in-place unescaping and newline stripping, the
 * malformed inputs that must be refused, and byte-exact replies and pushes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/proto.h"

static char frame[8192];

/* Decodes text (copied: the decoder works in place); returns the number of
 * commands read, or -1 if the frame was refused. */
static int decode(const char *text, struct cmd *out, int max)
{
    size_t n = strlen(text);
    memcpy(frame, text, n);
    struct proto_reader rd;
    proto_reader_init(&rd, WIRE_JSON, (uint8_t *)frame, n);
    int k = 0;
    for (;;) {
        struct cmd c;
        int r = proto_read_next(&rd, &c);
        if (r == 0)
            return k;
        if (r < 0)
            return -1;
        if (k < max)
            out[k] = c;
        k++;
    }
}

static bool span_is(struct span s, const char *v) { return s.n == strlen(v) && !memcmp(s.p, v, s.n); }

static void test_sdk_batch(void **state)
{
    struct cmd c[4] = {0};
    assert_int_equal(decode("{\"id\":1,\"connect\":{\"token\":\"abc\",\"name\":\"js\",\"data\":{\"a\":1}}}\n"
                            "{\"id\":2,\"subscribe\":{\"channel\":\"chat:lobby\",\"recoverable\":true,"
                            "\"flag\":1,\"recover\":true,\"offset\":17,\"epoch\":\"xyz\",\"join_leave\":true}}",
                            c, 4), 2);
    assert_int_equal(c[0].id, 1);
    assert_int_equal(c[0].kind, CMD_CONNECT);
    assert_true(span_is(c[0].token, "abc"));
    assert_true(span_is(c[0].name, "js"));
    assert_true(c[0].has_data);
    assert_true(span_is(c[0].data, "{\"a\":1}"));
    assert_int_equal(c[1].kind, CMD_SUBSCRIBE);
    assert_true(span_is(c[1].channel, "chat:lobby"));
    assert_true(c[1].recoverable && c[1].recover && c[1].join_leave);
    assert_int_equal(c[1].offset, 17);
    assert_true(span_is(c[1].epoch, "xyz"));
}

static void test_every_command(void **state)
{
    struct cmd c[12] = {0};
    int n = decode("{\"id\":3,\"unsubscribe\":{\"channel\":\"a\"}}\n"
                   "{\"id\":4,\"publish\":{\"channel\":\"a\",\"data\":\"x\"}}\n"
                   "{\"id\":5,\"presence\":{\"channel\":\"a\"}}\n"
                   "{\"id\":6,\"presence_stats\":{\"channel\":\"a\"}}\n"
                   "{\"id\":7,\"history\":{\"channel\":\"a\",\"limit\":-1,\"since\":{\"offset\":9,\"epoch\":\"e\"},\"reverse\":true}}\n"
                   "{\"id\":8,\"rpc\":{\"method\":\"m\",\"data\":[1]}}\n"
                   "{\"send\":{\"data\":42}}\n"
                   "{\"id\":9,\"refresh\":{\"token\":\"t\"}}\n"
                   "{\"id\":10,\"sub_refresh\":{\"channel\":\"a\",\"token\":\"t\"}}\n"
                   "{}\n"
                   "{\"id\":11,\"ping\":{}}\n", c, 12);
    assert_int_equal(n, 11);
    enum cmd_kind kinds[] = {CMD_UNSUBSCRIBE, CMD_PUBLISH, CMD_PRESENCE, CMD_PRESENCE_STATS,
                             CMD_HISTORY, CMD_RPC, CMD_SEND, CMD_REFRESH, CMD_SUB_REFRESH,
                             CMD_EMPTY, CMD_PING};
    for (int i = 0; i < 11; i++)
        assert_int_equal(c[i].kind, kinds[i]);
    assert_int_equal(c[4].limit, -1);
    assert_true(c[4].has_since && c[4].reverse);
    assert_int_equal(c[4].since_offset, 9);
    assert_true(span_is(c[4].since_epoch, "e"));
    assert_true(span_is(c[5].method, "m"));
    assert_true(span_is(c[5].data, "[1]"));
    assert_int_equal(c[6].id, 0);
    assert_true(span_is(c[6].data, "42"));
    assert_int_equal(c[9].id, 0);
}

static void test_strings_and_payloads(void **state)
{
    struct cmd c[1] = {0};
    assert_int_equal(decode("{\"id\":1,\"publish\":{\"channel\":\"a\\u00e9\\\"\\n\\ud83d\\ude00\","
                            "\"data\":{ \"t\" :\n \"x\\ny\" }}}", c, 1), -1); /* raw \n splits lines */
    assert_int_equal(decode("{\"id\":1,\"publish\":{\"channel\":\"a\\u00e9\\\"\\n\\ud83d\\ude00\","
                            "\"data\":{ \"t\" : \"x\\ny\" ,\"u\":null}}}", c, 1), 1);
    assert_true(span_is(c[0].channel, "a\xc3\xa9\"\n\xf0\x9f\x98\x80"));
    assert_true(span_is(c[0].data, "{ \"t\" : \"x\\ny\" ,\"u\":null}")); /* exact bytes */
    /* unknown fields at every level are skipped; nulls are absent */
    assert_int_equal(decode("{\"x\":[{\"y\":1}],\"id\":2,\"subscribe\":{\"channel\":\"c\",\"delta\":\"\","
                            "\"tf\":{\"a\":[1,2]},\"token\":null},\"z\":null}", c, 1), 1);
    assert_int_equal(c[0].kind, CMD_SUBSCRIBE);
    assert_int_equal(c[0].token.n, 0);
    /* the lowest field number wins */
    assert_int_equal(decode("{\"id\":1,\"publish\":{\"channel\":\"p\"},\"subscribe\":{\"channel\":\"s\"}}", c, 1), 1);
    assert_int_equal(c[0].kind, CMD_SUBSCRIBE);
    assert_true(span_is(c[0].channel, "s"));
    /* one trailing newline is fine */
    assert_int_equal(decode("{}\n", c, 1), 1);
}

static void test_malformed(void **state)
{
    struct cmd c[1] = {0};
    const char *bad[] = {
        "", "\n", "{}\n\n", "{}\n\n{}", "[]", "1", "\"x\"", "{", "{\"id\":1",
        "{\"id\":1}{\"id\":2}", "{\"id\":-1}", "{\"id\":1.5}", "{\"id\":4294967296}",
        "{\"id\":\"1\"}", "{\"id\":1,\"connect\":[]}", "{\"id\":1,\"connect\":{\"token\":5}}",
        "{\"id\":1,\"subscribe\":{\"channel\":\"a\",\"offset\":-1}}",
        "{\"id\":1,\"subscribe\":{\"channel\":\"a\",\"recover\":1}}",
        "{\"id\":1,\"history\":{\"channel\":\"a\",\"limit\":2147483648}}",
        "{\"id\":1,\"connect\":{\"token\":\"\xff\"}}", "{\"id\":1,\"connect\":{\"token\":\"\xc0\xaf\"}}",
        "{\"id\":1,\"connect\":{\"token\":\"\\ud800\"}}", "{\"id\":1,\"connect\":{\"token\":\"\\x\"}}",
        "{\"id\":1,\"connect\":{\"token\":\"a\tb\"}}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}",
        "{\"a\":1,}", "{,}", "{\"a\" 1}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (decode(bad[i], c, 1) != -1)
            fail_msg("accepted malformed input #%zu: %s", i, bad[i]);
    /* a nesting bomb is refused quickly */
    char deep[4096];
    strcpy(deep, "{\"id\":1,\"publish\":{\"channel\":\"a\",\"data\":");
    size_t n = strlen(deep);
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    deep[n] = 0;
    assert_int_equal(decode(deep, c, 1), -1);
}

static void test_validate(void **state)
{
    const char *good[] = {"0", "-1.5e-3", "\"\"", "null", " [ 1 , {\"a\":[]} ] ", "{\"\\u00e9\":true}"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(json_validate((const uint8_t *)good[i], strlen(good[i])));
    const char *bad[] = {"", " ", "01", "[1", "{\"a\"}", "1 2", "\"\\u12\"", "nul", "\xff"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(json_validate((const uint8_t *)bad[i], strlen(bad[i])));
}

static char *enc_reply(const struct reply *r)
{
    static char out[4096];
    struct wbuf b;
    wbuf_init(&b);
    assert_int_equal(proto_encode_reply(WIRE_JSON, &b, r), 0);
    memcpy(out, wbuf_data(&b), b.len);
    out[b.len] = 0;
    wbuf_free(&b);
    return out;
}

static void test_encode_replies(void **state)
{
    struct reply r = {.id = 1, .kind = REPLY_CONNECT, .client = "c1", .version = "0.1.0",
                      .ping = 25, .pong = true};
    assert_string_equal(enc_reply(&r), "{\"id\":1,\"connect\":{\"client\":\"c1\",\"version\":\"0.1.0\",\"ping\":25,\"pong\":true}}");
    r = (struct reply){.id = 2, .kind = REPLY_ERROR, .err_code = 100, .err_message = "internal server error", .err_temporary = true};
    assert_string_equal(enc_reply(&r), "{\"id\":2,\"error\":{\"code\":100,\"message\":\"internal server error\",\"temporary\":true}}");
    r = (struct reply){.id = 3, .kind = REPLY_UNSUBSCRIBE};
    assert_string_equal(enc_reply(&r), "{\"id\":3,\"unsubscribe\":{}}");
    r = (struct reply){.id = 4, .kind = REPLY_PRESENCE_STATS};
    assert_string_equal(enc_reply(&r), "{\"id\":4,\"presence_stats\":{\"num_clients\":0,\"num_users\":0}}");
    r = (struct reply){.id = 5, .kind = REPLY_HISTORY};
    assert_string_equal(enc_reply(&r), "{\"id\":5,\"history\":{\"publications\":[],\"epoch\":\"\",\"offset\":0}}");
    r = (struct reply){.id = 6, .kind = REPLY_PRESENCE};
    assert_string_equal(enc_reply(&r), "{\"id\":6,\"presence\":{\"presence\":{}}}");
    struct clientinfo ci = {span_str("42"), span_str("c\"1"), span_str("{\"n\":\n1}"), {0}};
    r.presence = &ci;
    r.npresence = 1;
    assert_string_equal(enc_reply(&r), "{\"id\":6,\"presence\":{\"presence\":{\"c\\\"1\":{\"user\":\"42\",\"client\":\"c\\\"1\",\"conn_info\":{\"n\":1}}}}}");
    struct publication *p = publication_new(span_str("chat:a"), span_str("{\"t\":1}"), true, &ci);
    p->offset = 18;
    r = (struct reply){.id = 7, .kind = REPLY_SUBSCRIBE, .recoverable = true, .positioned = true,
                       .epoch = "EP", .offset = 17, .recovered = true, .was_recovering = true,
                       .pubs = &p, .npubs = 1};
    assert_string_equal(enc_reply(&r), "{\"id\":7,\"subscribe\":{\"recoverable\":true,\"epoch\":\"EP\",\"publications\":[{\"data\":{\"t\":1},\"info\":{\"user\":\"42\",\"client\":\"c\\\"1\",\"conn_info\":{\"n\":1}},\"offset\":18}],\"recovered\":true,\"offset\":17,\"positioned\":true,\"was_recovering\":true}}");
    /* a bounded buffer stops building at its limit: nothing larger is ever allocated */
    struct wbuf lb;
    wbuf_init(&lb);
    lb.max = 64;
    assert_int_not_equal(proto_encode_reply(WIRE_JSON, &lb, &r), 0);
    assert_true(lb.over);
    assert_true(lb.len <= 64 && lb.cap <= 128);
    assert_null(wbuf_finish(&lb));
    wbuf_init(&lb);
    lb.max = 4096;
    assert_int_equal(proto_encode_reply(WIRE_JSON, &lb, &r), 0);
    assert_false(lb.over);
    wbuf_free(&lb);
    publication_unref(p);
    /* a payload JSON cannot carry is refused */
    struct wbuf b;
    wbuf_init(&b);
    struct reply bad = {.id = 8, .kind = REPLY_RPC, .data = span_str("\x01\x02")};
    assert_int_equal(proto_encode_reply(WIRE_JSON, &b, &bad), -EINVAL);
    wbuf_free(&b);
    /* ...but inside history/recovery lists and presence, an entry JSON
     * cannot carry (old history, another node's data) is left out and the
     * rest of the reply goes out */
    struct publication *hp[4] = {
        publication_new(span_str("c"), span_str("\x01\x02"), false, NULL),
        publication_new(span_str("c"), span_str("1"), true, NULL),
        publication_new(span_str("c"), span_str("\xff"), true, NULL), /* claims JSON, is not */
        publication_new(span_str("c"), span_str("2"), true, NULL)};
    for (int i = 0; i < 4; i++)
        hp[i]->offset = (uint64_t)i + 1;
    r = (struct reply){.id = 9, .kind = REPLY_HISTORY, .epoch = "E", .offset = 4, .pubs = hp, .npubs = 4};
    assert_string_equal(enc_reply(&r), "{\"id\":9,\"history\":{\"publications\":[{\"data\":1,\"offset\":2},{\"data\":2,\"offset\":4}],\"epoch\":\"E\",\"offset\":4}}");
    r = (struct reply){.id = 10, .kind = REPLY_HISTORY, .epoch = "E", .offset = 4, .pubs = hp, .npubs = 1};
    assert_string_equal(enc_reply(&r), "{\"id\":10,\"history\":{\"publications\":[],\"epoch\":\"E\",\"offset\":4}}");
    r = (struct reply){.id = 11, .kind = REPLY_SUBSCRIBE, .recovered = true, .pubs = hp + 2, .npubs = 2,
                       .offset = 2};
    assert_string_equal(enc_reply(&r), "{\"id\":11,\"subscribe\":{\"publications\":[{\"data\":2,\"offset\":4}],\"recovered\":true,\"offset\":2}}");
    for (int i = 0; i < 4; i++)
        publication_unref(hp[i]);
    struct clientinfo pres[2] = {{span_str("u"), span_str("a"), span_str("\x01"), {0}},
                                 {span_str("v"), span_str("b"), {0}, {0}}};
    r = (struct reply){.id = 12, .kind = REPLY_PRESENCE, .presence = pres, .npresence = 2};
    assert_string_equal(enc_reply(&r), "{\"id\":12,\"presence\":{\"presence\":{\"b\":{\"user\":\"v\",\"client\":\"b\"}}}}");
}

static void test_encode_pushes(void **state)
{
    struct clientinfo ci = {span_str(""), span_str("cid"), {0}, {0}};
    struct publication *p = publication_new(span_str("c"), span_str("\"hi\""), true, &ci);
    struct frame *f = publication_push_frame(p, WIRE_JSON);
    assert_non_null(f);
    assert_int_equal(f->len, strlen("{\"push\":{\"channel\":\"c\",\"pub\":{\"data\":\"hi\",\"info\":{\"user\":\"\",\"client\":\"cid\"}}}}"));
    assert_memory_equal(frame_data(f), "{\"push\":{\"channel\":\"c\",\"pub\":{\"data\":\"hi\",\"info\":{\"user\":\"\",\"client\":\"cid\"}}}}", f->len);
    assert_ptr_equal(publication_push_frame(p, WIRE_JSON), f); /* encoded once, cached */
    publication_unref(p);
    /* binary payload: not for JSON clients */
    p = publication_new(span_str("c"), span_str("\x01"), false, NULL);
    assert_null(publication_push_frame(p, WIRE_JSON));
    assert_non_null(publication_push_frame(p, WIRE_MSGPACK));
    publication_unref(p);
    /* info JSON cannot carry: the failure is remembered, not retried per subscriber */
    struct clientinfo badci = {span_str("u"), span_str("c"), span_str("\x02"), {0}};
    p = publication_new(span_str("c"), span_str("1"), true, &badci);
    assert_null(publication_push_frame(p, WIRE_JSON));
    assert_true(p->json_unencodable);
    assert_null(publication_push_frame(p, WIRE_JSON));
    assert_non_null(publication_push_frame(p, WIRE_MSGPACK));
    publication_unref(p);

    struct wbuf b;
    wbuf_init(&b);
    assert_int_equal(proto_encode_push_join(WIRE_JSON, &b, span_str("c"), &ci, true), 0);
    assert_int_equal(b.len, strlen("{\"push\":{\"channel\":\"c\",\"leave\":{\"info\":{\"user\":\"\",\"client\":\"cid\"}}}}"));
    wbuf_reset(&b);
    assert_int_equal(proto_encode_push_unsubscribe(WIRE_JSON, &b, span_str("c"), 2500, "insufficient state"), 0);
    assert_memory_equal(wbuf_data(&b), "{\"push\":{\"channel\":\"c\",\"unsubscribe\":{\"code\":2500,\"reason\":\"insufficient state\"}}}", b.len);
    wbuf_reset(&b);
    assert_int_equal(proto_encode_push_message(WIRE_JSON, &b, span_str("{\"a\":[1]}")), 0);
    assert_memory_equal(wbuf_data(&b), "{\"push\":{\"message\":{\"data\":{\"a\":[1]}}}}", b.len);
    wbuf_reset(&b);
    assert_int_equal(proto_encode_ping(WIRE_JSON, &b), 0);
    assert_int_equal(b.len, 2);
    wbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdk_batch),      cmocka_unit_test(test_every_command),
        cmocka_unit_test(test_strings_and_payloads), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_validate),       cmocka_unit_test(test_encode_replies),
        cmocka_unit_test(test_encode_pushes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
