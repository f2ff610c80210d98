/* tests/fuzz/fuzz_common.h — shared by the codec fuzz targets: run a whole
 * frame through the reader, and for every decoded command exercise the
 * encoders with spans taken from it. */
#ifndef HEARTH_FUZZ_COMMON_H
#define HEARTH_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "protocol/proto.h"

static void fuzz_frame(enum wire w, const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return;
    memcpy(buf, data, size);
    struct proto_reader rd;
    proto_reader_init(&rd, w, buf, size);
    struct cmd c;
    int guard = 0;
    while (proto_read_next(&rd, &c) == 1 && guard++ < 100000) {
        struct wbuf b;
        wbuf_init(&b);
        struct clientinfo ci = {c.name, c.version, c.data, c.token};
        struct publication *p = publication_new(c.channel, c.data, w == WIRE_JSON, &ci);
        if (p) {
            p->offset = c.offset;
            struct reply r = {.id = c.id, .kind = REPLY_HISTORY, .pubs = &p, .npubs = 1,
                              .epoch = "e", .offset = c.since_offset};
            proto_encode_reply(WIRE_JSON, &b, &r);
            wbuf_reset(&b);
            proto_encode_reply(WIRE_MSGPACK, &b, &r);
            wbuf_reset(&b);
            struct reply pr = {.id = c.id, .kind = REPLY_PRESENCE, .presence = &ci, .npresence = 1};
            proto_encode_reply(w, &b, &pr);
            for (int k = 0; k < WIRE_COUNT; k++)
                publication_push_frame(p, (enum wire)k);
            publication_unref(p);
        }
        wbuf_reset(&b);
        proto_encode_push_join(w, &b, c.channel, &ci, c.recover);
        wbuf_free(&b);
    }
    free(buf);
}

#endif
