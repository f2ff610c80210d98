/* tests/unit/test_codec_msgpack.c — the msgpack codec: commands decoded from
 * hand-packed frames, the hostile headers that must be refused without
 * allocating, and replies/pushes checked by unpacking them with msgpack-c. */
#include <msgpack.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/proto.h"

static uint8_t buf[4096];

static int decode(const void *bytes, size_t n, struct cmd *out, int max)
{
    memcpy(buf, bytes, n);
    struct proto_reader rd;
    proto_reader_init(&rd, WIRE_MSGPACK, buf, n);
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

#define B(s) s, sizeof(s) - 1

static void test_decode(void **state)
{
    struct cmd c[4] = {0};
    /* {"id":1,"connect":{"name":"js"}} {"id":2,"subscribe":{"channel":"chat:lobby","recoverable":true}} {} */
    assert_int_equal(decode(B("\x82\xa2id\x01\xa7" "connect\x81\xa4name\xa2js"
                              "\x82\xa2id\x02\xa9subscribe\x82\xa7" "channel\xaa" "chat:lobby\xab" "recoverable\xc3"
                              "\x80"), c, 4), 3);
    assert_int_equal(c[0].kind, CMD_CONNECT);
    assert_true(span_is(c[0].name, "js"));
    assert_int_equal(c[1].id, 2);
    assert_int_equal(c[1].kind, CMD_SUBSCRIBE);
    assert_true(span_is(c[1].channel, "chat:lobby"));
    assert_true(c[1].recoverable);
    assert_int_equal(c[2].kind, CMD_EMPTY);
    /* publish with bin data; history with negative limit and since */
    assert_int_equal(decode(B("\x82\xa2id\x03\xa7publish\x82\xa7" "channel\xa1" "a\xa4" "data\xc4\x02{}"
                              "\x82\xa2id\x04\xa7history\x83\xa7" "channel\xa1" "a\xa5limit\xff\xa5since"
                              "\x82\xa6offset\xcd\x01\x00\xa5" "epoch\xa2xy"), c, 4), 2);
    assert_true(c[0].has_data);
    assert_true(span_is(c[0].data, "{}"));
    assert_int_equal(c[1].limit, -1);
    assert_int_equal(c[1].since_offset, 256);
    assert_true(span_is(c[1].since_epoch, "xy"));
}

static void test_hostile(void **state)
{
    struct cmd c[1] = {0};
    const struct { const char *p; size_t n; } bad[] = {
        {B("")}, {B("\xdd\xff\xff\xff\xff")}, {B("\xdf\xff\xff\xff\xff")}, {B("\xde\xff\xff")},
        {B("\xc1")}, {B("\x91\x01")}, {B("\x81\xa2id")}, {B("\x81\xa2id\xff")},
        {B("\x81\xa2id\xcf\x00\x00\x00\x01\x00\x00\x00\x00")}, {B("\x81\xa7" "connect\x90")},
        {B("\x81\xa2id\xdb\xff\xff\xff\xff")}, {B("\x81\xa7" "connect\x81\xa5token\x05")},
        {B("\x81\xa2\xff\xfe\x01")},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (decode(bad[i].p, bad[i].n, c, 1) != -1)
            fail_msg("accepted hostile input #%zu", i);
    /* deep nesting in an unknown field */
    uint8_t deep[300];
    size_t n = 0;
    deep[n++] = 0x81;
    deep[n++] = 0xa1;
    deep[n++] = 'x';
    for (int i = 0; i < 200; i++)
        deep[n++] = 0x91;
    deep[n++] = 0x01;
    assert_int_equal(decode(deep, n, c, 1), -1);
}

/* Unpacks b with msgpack-c and returns the root object (valid until zone freed). */
static msgpack_object unpack(struct wbuf *b, msgpack_unpacked *u)
{
    size_t off = 0;
    msgpack_unpacked_init(u);
    assert_int_equal(msgpack_unpack_next(u, (const char *)wbuf_data(b), b->len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, b->len);
    return u->data;
}

static msgpack_object *get(msgpack_object *o, const char *key)
{
    assert_int_equal(o->type, MSGPACK_OBJECT_MAP);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        msgpack_object *k = &o->via.map.ptr[i].key;
        if (k->via.str.size == strlen(key) && !memcmp(k->via.str.ptr, key, k->via.str.size))
            return &o->via.map.ptr[i].val;
    }
    return NULL;
}

static void test_encode(void **state)
{
    struct wbuf b;
    wbuf_init(&b);
    msgpack_unpacked u;
    struct reply r = {.id = 9, .kind = REPLY_CONNECT, .client = "cid", .ping = 25, .pong = true};
    assert_int_equal(proto_encode_reply(WIRE_MSGPACK, &b, &r), 0);
    msgpack_object root = unpack(&b, &u);
    assert_int_equal(root.via.map.size, 2);
    assert_int_equal(get(&root, "id")->via.u64, 9);
    msgpack_object *res = get(&root, "connect");
    assert_int_equal(res->via.map.size, 3); /* client, ping, pong: empty version omitted */
    assert_int_equal(get(res, "ping")->via.u64, 25);
    assert_true(get(res, "pong")->via.boolean);
    msgpack_unpacked_destroy(&u);

    wbuf_reset(&b);
    r = (struct reply){.id = 10, .kind = REPLY_HISTORY};
    assert_int_equal(proto_encode_reply(WIRE_MSGPACK, &b, &r), 0);
    root = unpack(&b, &u);
    res = get(&root, "history");
    assert_int_equal(get(res, "publications")->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(get(res, "offset")->via.u64, 0);
    msgpack_unpacked_destroy(&u);

    struct clientinfo ci = {span_str("u"), span_str("c"), span_str("{}"), {0}};
    struct publication *p = publication_new(span_str("ch"), span_str("\x00\x01"), false, &ci);
    p->data.n = 2;
    p->offset = 7;
    struct frame *f = publication_push_frame(p, WIRE_MSGPACK);
    assert_non_null(f);
    size_t off = 0;
    msgpack_unpacked_init(&u);
    assert_int_equal(msgpack_unpack_next(&u, (const char *)frame_data(f), f->len, &off), MSGPACK_UNPACK_SUCCESS);
    msgpack_object *push = get(&u.data, "push");
    assert_memory_equal(get(push, "channel")->via.str.ptr, "ch", 2);
    msgpack_object *pub = get(push, "pub");
    assert_int_equal(get(pub, "data")->type, MSGPACK_OBJECT_BIN);
    assert_int_equal(get(pub, "data")->via.bin.size, 2);
    assert_int_equal(get(pub, "offset")->via.u64, 7);
    assert_int_equal(get(get(pub, "info"), "conn_info")->type, MSGPACK_OBJECT_BIN);
    msgpack_unpacked_destroy(&u);
    publication_unref(p);

    /* our own encoding decodes with our own reader (unsubscribe push shape) */
    wbuf_reset(&b);
    assert_int_equal(proto_encode_ping(WIRE_MSGPACK, &b), 0);
    assert_int_equal(b.len, 1);
    assert_int_equal(wbuf_data(&b)[0], 0x80);
    wbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
