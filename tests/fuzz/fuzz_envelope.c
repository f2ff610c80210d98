/* tests/fuzz/fuzz_envelope.c — libFuzzer target for the bytes a node reads
 * from Redis: publication/join/leave envelopes (pub/sub messages and stream
 * entries), presence values and control-channel messages. Whatever decodes
 * must re-encode to something that decodes to the same fields, and turn into
 * a publication whose push frames encode. */
#include <stdlib.h>
#include <string.h>

#include "rooms/envelope.h"
#include "protocol/proto.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static bool same(struct span a, struct span b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static void same_info(const struct clientinfo *a, const struct clientinfo *b)
{
    CHECK(same(a->user, b->user) && same(a->client, b->client));
    CHECK(same(a->conn_info, b->conn_info) && same(a->chan_info, b->chan_info));
}

static void envelope(const uint8_t *data, size_t size)
{
    struct envelope env, again;
    if (envelope_decode(data, size, &env) != 0)
        return;
    struct wbuf b;
    wbuf_init(&b);
    if (env.kind == ENVELOPE_PUB) {
        struct publication *p = envelope_publication(&env, span_str("fuzz:chan"));
        if (!p)
            return;
        envelope_put_pub(&b, p, env.offset, env.epoch);
        for (int w = 0; w < WIRE_COUNT; w++)
            publication_push_frame(p, (enum wire)w);
        publication_unref(p);
    } else {
        envelope_put_join(&b, &env.info, env.kind == ENVELOPE_LEAVE);
    }
    CHECK(wbuf_ok(&b));
    CHECK(envelope_decode(wbuf_data(&b), b.len, &again) == 0);
    CHECK(again.kind == env.kind && again.offset == env.offset);
    CHECK(same(again.epoch, env.epoch) && same(again.data, env.data));
    CHECK(again.data_is_json == env.data_is_json && again.has_info == env.has_info);
    if (env.has_info)
        same_info(&env.info, &again.info);
    wbuf_free(&b);
}

static void info(const uint8_t *data, size_t size)
{
    struct clientinfo ci, again;
    if (envelope_decode_info(data, size, &ci) != 0)
        return;
    struct wbuf b;
    wbuf_init(&b);
    envelope_put_info(&b, &ci);
    CHECK(envelope_decode_info(wbuf_data(&b), b.len, &again) == 0);
    same_info(&ci, &again);
    wbuf_free(&b);
}

static void control(const uint8_t *data, size_t size)
{
    struct control_frame f, again;
    if (control_decode(data, size, &f) != 0)
        return;
    struct wbuf b;
    wbuf_init(&b);
    char sender[UUID_STR_LEN + 1];
    memcpy(sender, f.sender.p, f.sender.n);
    sender[f.sender.n] = 0;
    if (f.kind == CONTROL_FRAME_CMD)
        control_put_cmd(&b, sender, &f.msg);
    else if (f.kind == CONTROL_FRAME_NODE)
        control_put_node(&b, &f.node);
    else
        control_put_bye(&b, sender);
    /* a sender with a NUL inside does not survive the C string: skip those */
    if (strlen(sender) == f.sender.n) {
        CHECK(control_decode(wbuf_data(&b), b.len, &again) == 0);
        CHECK(again.kind == f.kind && same(again.sender, f.sender));
        if (f.kind == CONTROL_FRAME_CMD)
            CHECK(same(again.msg.verb, f.msg.verb) && same(again.msg.payload, f.msg.payload));
        if (f.kind == CONTROL_FRAME_NODE)
            CHECK(again.node.num_subs == f.node.num_subs && !strcmp(again.node.name, f.node.name));
    }
    wbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope(data, size);
    info(data, size);
    control(data, size);
    return 0;
}
