/* tests/unit/test_envelope.c — the msgpack messages nodes exchange through
 * Redis: publication envelopes (as the node writes them and as the publish
 * Lua script writes them), join/leave, presence values and control messages
 * round-trip; every truncation, trailing byte and malformed field is
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rooms/envelope.h"

static struct span S(const char *s) { return span_str(s); }

static bool span_is(struct span a, const char *s)
{
    return a.n == strlen(s) && (a.n == 0 || memcmp(a.p, s, a.n) == 0);
}

static const struct clientinfo alice = {
    .user = {(const uint8_t *)"alice", 5},
    .client = {(const uint8_t *)"2b1d3c4e-0000-4000-8000-000000000001", 36},
    .conn_info = {(const uint8_t *)"{\"role\":\"host\"}", 15},
};

/* Every strict prefix of a valid message, and the message plus a byte, fail. */
static void assert_exact(const uint8_t *p, size_t n, bool control)
{
    struct envelope env;
    struct control_frame f;
    uint8_t *buf = malloc(n + 1);
    assert_non_null(buf);
    memcpy(buf, p, n);
    for (size_t k = 0; k < n; k++) {
        uint8_t *cut = malloc(k ? k : 1); /* exact size so ASan sees any overread */
        memcpy(cut, p, k);
        if (control)
            assert_int_equal(control_decode(cut, k, &f), -1);
        else
            assert_int_equal(envelope_decode(cut, k, &env), -1);
        free(cut);
    }
    buf[n] = 0xc0;
    if (control)
        assert_int_equal(control_decode(buf, n + 1, &f), -1);
    else
        assert_int_equal(envelope_decode(buf, n + 1, &env), -1);
    free(buf);
}

static void test_pub_round_trip(void **state)
{
    struct publication *p = publication_new(S("chat:lobby"), S("{\"text\":\"hi\"}"), true, &alice);
    struct wbuf b;
    wbuf_init(&b);
    envelope_put_pub(&b, p, 42, S("abcdEFGH"));
    assert_true(wbuf_ok(&b));
    struct envelope env;
    assert_int_equal(envelope_decode(wbuf_data(&b), b.len, &env), 0);
    assert_int_equal(env.kind, ENVELOPE_PUB);
    assert_int_equal(env.offset, 42);
    assert_true(span_is(env.epoch, "abcdEFGH"));
    assert_true(env.data_is_json);
    assert_true(span_is(env.data, "{\"text\":\"hi\"}"));
    assert_true(env.has_info);
    assert_true(span_is(env.info.user, "alice"));
    assert_true(span_is(env.info.client, "2b1d3c4e-0000-4000-8000-000000000001"));
    assert_true(span_is(env.info.conn_info, "{\"role\":\"host\"}"));
    assert_int_equal(env.info.chan_info.n, 0);
    struct publication *q = envelope_publication(&env, S("chat:lobby"));
    assert_non_null(q);
    assert_int_equal(q->offset, 42);
    assert_true(span_is(q->channel, "chat:lobby"));
    assert_true(span_is(q->data, "{\"text\":\"hi\"}"));
    assert_true(q->data_is_json && q->has_info);
    assert_true(span_is(q->info.user, "alice"));
    assert_false(q->droppable);
    assert_exact(wbuf_data(&b), b.len, false);
    publication_unref(q);
    /* the droppable flag (bit 1) travels too */
    p->droppable = true;
    wbuf_reset(&b);
    envelope_put_pub(&b, p, 0, S(""));
    assert_int_equal(envelope_decode(wbuf_data(&b), b.len, &env), 0);
    assert_true(env.droppable && env.data_is_json);
    q = envelope_publication(&env, S("chat:lobby"));
    assert_true(q->droppable);
    publication_unref(q);
    publication_unref(p);
    wbuf_free(&b);
}

/* What the publish script builds: head, 0xcf + 8-byte offset, str8 epoch,
 * then the node's tail. */
static void test_pub_as_lua_writes_it(void **state)
{
    struct publication *p = publication_new(S("c"), S("\x01\x02\xff"), false, NULL);
    struct wbuf tail, b;
    wbuf_init(&tail);
    wbuf_init(&b);
    envelope_put_pub_tail(&tail, p);
    const uint8_t off[9] = {0xcf, 0, 0, 0, 0, 0, 0x01, 0x00, 0x07};
    wbuf_put(&b, ENVELOPE_PUB_HEAD, 2);
    wbuf_put(&b, off, sizeof(off));
    wbuf_putc(&b, 0xd9);
    wbuf_putc(&b, 8);
    wbuf_put(&b, "zYxWvUtS", 8);
    wbuf_put(&b, wbuf_data(&tail), tail.len);
    struct envelope env;
    assert_int_equal(envelope_decode(wbuf_data(&b), b.len, &env), 0);
    assert_int_equal(env.offset, 65543);
    assert_true(span_is(env.epoch, "zYxWvUtS"));
    assert_false(env.data_is_json);
    assert_int_equal(env.data.n, 3);
    assert_memory_equal(env.data.p, "\x01\x02\xff", 3);
    assert_false(env.has_info);
    assert_exact(wbuf_data(&b), b.len, false);
    publication_unref(p);
    wbuf_free(&tail);
    wbuf_free(&b);
}

static void test_join_leave_and_info(void **state)
{
    for (int leave = 0; leave < 2; leave++) {
        struct wbuf b;
        wbuf_init(&b);
        envelope_put_join(&b, &alice, leave);
        struct envelope env;
        assert_int_equal(envelope_decode(wbuf_data(&b), b.len, &env), 0);
        assert_int_equal(env.kind, leave ? ENVELOPE_LEAVE : ENVELOPE_JOIN);
        assert_true(span_is(env.info.user, "alice"));
        assert_true(span_is(env.info.conn_info, "{\"role\":\"host\"}"));
        assert_exact(wbuf_data(&b), b.len, false);
        wbuf_free(&b);
    }
    struct wbuf b;
    wbuf_init(&b);
    envelope_put_info(&b, &alice);
    struct clientinfo ci;
    assert_int_equal(envelope_decode_info(wbuf_data(&b), b.len, &ci), 0);
    assert_true(span_is(ci.client, "2b1d3c4e-0000-4000-8000-000000000001"));
    for (size_t k = 0; k < b.len; k++)
        assert_int_equal(envelope_decode_info(wbuf_data(&b), k, &ci), -1);
    wbuf_free(&b);
}

static void test_large_payload(void **state)
{
    size_t n = 70000; /* bin32 */
    char *big = malloc(n + 3);
    big[0] = '"';
    memset(big + 1, 'x', n);
    big[n + 1] = '"';
    big[n + 2] = 0;
    struct publication *p = publication_new(S("c"), S(big), true, NULL);
    struct wbuf b;
    wbuf_init(&b);
    envelope_put_pub(&b, p, 1, S("e"));
    struct envelope env;
    assert_int_equal(envelope_decode(wbuf_data(&b), b.len, &env), 0);
    assert_int_equal(env.data.n, n + 2);
    publication_unref(p);
    wbuf_free(&b);
    free(big);
}

static int decode_hex(const char *hex)
{
    uint8_t buf[256];
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        buf[n++] = (uint8_t)v;
    }
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    struct envelope env;
    int r = envelope_decode(exact, n, &env);
    free(exact);
    return r;
}

static int control_decode_hex(const char *hex)
{
    uint8_t buf[256];
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        buf[n++] = (uint8_t)v;
    }
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    struct control_frame f;
    int r = control_decode(exact, n, &f);
    free(exact);
    return r;
}

static void test_malformed(void **state)
{
    /* a valid one to start from: [1, 1, "e", 1, bin "1", nil] */
    assert_int_equal(decode_hex("960101a16501c40131c0"), 0);
    assert_int_equal(decode_hex(""), -1);
    assert_int_equal(decode_hex("c0"), -1);
    assert_int_equal(decode_hex("950101a16501c40131"), -1);     /* 5 elements */
    assert_int_equal(decode_hex("960401a16501c40131c0"), -1);   /* kind 4 */
    assert_int_equal(decode_hex("960101a16504c40131c0"), -1);   /* unknown flag */
    assert_int_equal(decode_hex("960101a16502c40131c0"), 0);    /* droppable, binary */
    assert_int_equal(decode_hex("960101a16501c4017bc0"), -1);   /* "{" flagged JSON */
    assert_int_equal(decode_hex("960101a16500c4017bc0"), 0);    /* fine as binary */
    assert_int_equal(decode_hex("960101a1ff00c40131c0"), -1);   /* epoch not UTF-8 */
    assert_int_equal(decode_hex("960101a16500c6ffffffff"), -1); /* bin32 longer than input */
    assert_int_equal(decode_hex("960101a16500a131c0"), -1);     /* data as str */
    assert_int_equal(decode_hex("9601ffa16500c40131c0"), -1);  /* negative offset */
    /* epoch longer than ENVELOPE_EPOCH_MAX */
    char hex[400] = "960101d941";
    for (int i = 0; i < 65; i++)
        strcat(hex, "61");
    strcat(hex, "00c40131c0");
    assert_int_equal(decode_hex(hex), -1);
    /* info: 3 fields, conn_info not JSON, user not UTF-8 */
    assert_int_equal(decode_hex("960101a16500c40131" "93a161a162c400"), -1);
    assert_int_equal(decode_hex("960101a16500c40131" "94a161a162c4017bc400"), -1);
    assert_int_equal(decode_hex("960101a16500c40131" "94a1c0a162c400c400"), -1);
    assert_int_equal(decode_hex("960101a16500c40131" "94a161a162c400c400"), 0);
    /* join with a nil info */
    assert_int_equal(decode_hex("9202c0"), -1);
}

static void test_control(void **state)
{
    const char *uid = "7d9c2f1e-1111-4222-8333-444455556666";
    /* a command: a verb and opaque payload bytes (NUL and non-UTF-8 allowed) */
    static const uint8_t pay[] = {0x94, 0xa3, 'b', 'o', 'b', 0x00, 0xff, 0xcd, 0x0d, 0xaf};
    struct control_msg m = {.verb = S("disconnect"), .payload = {pay, sizeof(pay)}};
    struct wbuf b;
    wbuf_init(&b);
    control_put_cmd(&b, uid, &m);
    struct control_frame f;
    assert_int_equal(control_decode(wbuf_data(&b), b.len, &f), 0);
    assert_int_equal(f.kind, CONTROL_FRAME_CMD);
    assert_true(span_is(f.sender, uid));
    assert_true(span_is(f.msg.verb, "disconnect"));
    assert_int_equal(f.msg.payload.n, sizeof(pay));
    assert_memory_equal(f.msg.payload.p, pay, sizeof(pay));
    assert_exact(wbuf_data(&b), b.len, true);

    /* an empty payload is a payload; a payload of CONTROL_PAYLOAD_MAX is
     * taken, one byte more is not */
    wbuf_reset(&b);
    struct control_msg r = {.verb = S("refresh")};
    control_put_cmd(&b, uid, &r);
    assert_int_equal(control_decode(wbuf_data(&b), b.len, &f), 0);
    assert_true(span_is(f.msg.verb, "refresh"));
    assert_int_equal(f.msg.payload.n, 0);
    uint8_t *big = calloc(1, CONTROL_PAYLOAD_MAX + 1);
    assert_non_null(big);
    r.payload = (struct span){big, CONTROL_PAYLOAD_MAX};
    wbuf_reset(&b);
    control_put_cmd(&b, uid, &r);
    assert_int_equal(control_decode(wbuf_data(&b), b.len, &f), 0);
    r.payload.n++;
    wbuf_reset(&b);
    control_put_cmd(&b, uid, &r);
    assert_int_equal(control_decode(wbuf_data(&b), b.len, &f), -1);
    free(big);

    wbuf_reset(&b);
    struct node_info ni = {.num_clients = 70000, .num_users = 3, .num_channels = 12,
                           .num_subs = 5000000000ULL, .uptime_s = 99};
    strcpy(ni.uid, uid);
    strcpy(ni.name, "node-a");
    strcpy(ni.version, "0.1.0");
    control_put_node(&b, &ni);
    assert_int_equal(control_decode(wbuf_data(&b), b.len, &f), 0);
    assert_int_equal(f.kind, CONTROL_FRAME_NODE);
    assert_true(span_is(f.sender, uid));
    assert_string_equal(f.node.uid, uid);
    assert_string_equal(f.node.name, "node-a");
    assert_int_equal(f.node.num_clients, 70000);
    assert_int_equal(f.node.num_subs, 5000000000ULL);
    assert_int_equal(f.node.uptime_s, 99);
    assert_exact(wbuf_data(&b), b.len, true);

    wbuf_reset(&b);
    control_put_bye(&b, uid);
    assert_int_equal(control_decode(wbuf_data(&b), b.len, &f), 0);
    assert_int_equal(f.kind, CONTROL_FRAME_BYE);
    assert_exact(wbuf_data(&b), b.len, true);

    wbuf_reset(&b);
    struct control_msg sub = {.verb = S("community.ban"), .payload = S("\x91\xa3gil")};
    control_put_cmd(&b, uid, &sub);
    assert_int_equal(control_decode(wbuf_data(&b), b.len, &f), 0);
    assert_true(span_is(f.msg.verb, "community.ban"));
    assert_true(span_is(f.msg.payload, "\x91\xa3gil"));

    /* a sender longer than a node id; a verb empty, too long or with a NUL */
    wbuf_reset(&b);
    control_put_bye(&b, "0123456789012345678901234567890123456789");
    assert_int_equal(control_decode(wbuf_data(&b), b.len, &f), -1);
    const char *bad_verbs[] = {"", "a\0b",
        "v123456789012345678901234567890123456789012345678901234567890123"};
    size_t bad_lens[] = {0, 3, CONTROL_VERB_MAX + 1};
    for (int i = 0; i < 3; i++) {
        wbuf_reset(&b);
        m.verb = (struct span){(const uint8_t *)bad_verbs[i], bad_lens[i]};
        control_put_cmd(&b, uid, &m);
        assert_int_equal(control_decode(wbuf_data(&b), b.len, &f), -1);
    }
    /* the verb is a str, the payload a bin: swapped types are malformed */
    assert_int_equal(control_decode_hex("9401a178" "c40176" "c400"), -1);
    assert_int_equal(control_decode_hex("9401a178" "a176" "a0"), -1);
    assert_int_equal(control_decode_hex("9401a178" "a176" "c400"), 0);
    /* the old fixed-field shape is not a command any more */
    assert_int_equal(control_decode_hex("9a01a178" "01a3626f62a0a0a0cd0dafc200"), -1);
    /* an envelope is not a control message */
    wbuf_reset(&b);
    envelope_put_join(&b, &alice, false);
    assert_int_equal(control_decode(wbuf_data(&b), b.len, &f), -1);
    wbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pub_round_trip),
        cmocka_unit_test(test_pub_as_lua_writes_it),
        cmocka_unit_test(test_join_leave_and_info),
        cmocka_unit_test(test_large_payload),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_control),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
