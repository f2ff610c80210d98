/* protocol/publication.c — canonical publications (see publication.h). */
#include "protocol/publication.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/proto.h"

static uint8_t *put_span(uint8_t *dst, struct span *out, struct span in)
{
    out->p = dst;
    out->n = in.n;
    if (in.n)
        memcpy(dst, in.p, in.n);
    return dst + in.n;
}

struct publication *publication_new(struct span channel, struct span data, bool data_is_json,
                                    const struct clientinfo *info)
{
    size_t total = channel.n + data.n;
    if (info)
        total += info->user.n + info->client.n + info->conn_info.n + info->chan_info.n;
    struct publication *p = calloc(1, sizeof(*p) + total);
    if (!p)
        return NULL;
    p->refs = 1;
    p->data_is_json = data_is_json;
    uint8_t *w = p->mem;
    w = put_span(w, &p->channel, channel);
    w = put_span(w, &p->data, data);
    if (info) {
        p->has_info = true;
        w = put_span(w, &p->info.user, info->user);
        w = put_span(w, &p->info.client, info->client);
        w = put_span(w, &p->info.conn_info, info->conn_info);
        put_span(w, &p->info.chan_info, info->chan_info);
    }
    return p;
}

void publication_unref(struct publication *p)
{
    if (!p || --p->refs)
        return;
    for (int i = 0; i < WIRE_COUNT; i++)
        frame_unref(p->push[i]);
    free(p);
}

struct frame *publication_push_frame(struct publication *p, enum wire w)
{
    if (p->push[w])
        return p->push[w];
    if (w == WIRE_JSON && (!p->data_is_json || p->json_unencodable))
        return NULL;
    struct wbuf b;
    wbuf_init(&b);
    int rc = proto_encode_push_pub(w, &b, p);
    if (rc != 0) {
        wbuf_free(&b);
        if (rc == -EINVAL && w == WIRE_JSON)
            p->json_unencodable = true; /* every JSON subscriber would fail the same way */
        return NULL;
    }
    p->push[w] = wbuf_finish(&b);
    if (p->push[w] && p->droppable)
        frame_set_class(p->push[w], FRAME_DROPPABLE);
    return p->push[w];
}
