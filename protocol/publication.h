/* protocol/publication.h — the canonical, wire-format-independent form of a
 * publication (and of join/leave client info), decoded once and shared.
 *
 * A publication is one allocation holding its channel, payload and publisher
 * info inline. It is refcounted: the engine's history ring, the publish path and
 * the fan-out each hold a reference. Its encoded push frames are built lazily,
 * once per wire format (publication_push_frame), and cached here so every
 * subscriber on that format shares the same buffer. Loop thread only. */
#ifndef HEARTH_PUBLICATION_H
#define HEARTH_PUBLICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/frame.h"

enum wire { WIRE_JSON = 0, WIRE_MSGPACK = 1, WIRE_COUNT = 2 };

/* A borrowed byte span. Which buffer it points into is said where it is used. */
struct span {
    const uint8_t *p;
    size_t n;
};

static inline struct span span_str(const char *s);

/* ClientInfo as the protocol carries it. All spans borrowed from the owner
 * (a publication, a client, or a presence entry). conn_info/chan_info are raw
 * payload bytes (JSON text for JSON-valid payloads); n == 0 means absent. */
struct clientinfo {
    struct span user;
    struct span client;
    struct span conn_info;
    struct span chan_info;
};

struct publication {
    uint32_t refs;
    bool has_info;        /* published by a client: info is present */
    bool data_is_json;    /* data is one valid JSON value (JSON clients may receive it) */
    bool json_unencodable; /* a JSON push failed to encode once: do not retry per subscriber */
    bool droppable;       /* its push frames are FRAME_DROPPABLE (typing, coalesced counts):
                           * a slow reader's queue may drop them (set before sharing) */
    uint64_t offset;      /* 0 = no history position */
    int64_t time_ms;      /* 0 = absent */
    struct span channel;  /* points into mem */
    struct span data;     /* points into mem */
    struct clientinfo info; /* spans point into mem */
    struct frame *push[WIRE_COUNT]; /* owned refs: cached encoded push, or NULL */
    uint8_t mem[];
};

/* Copies channel, data and (if info != NULL) the info spans into one new
 * publication with refs == 1. data_is_json is set by the caller's knowledge
 * (JSON decoders guarantee it; binary input is checked with json_validate()).
 * Returns NULL on OOM. */
struct publication *publication_new(struct span channel, struct span data, bool data_is_json,
                                    const struct clientinfo *info);
static inline struct publication *publication_ref(struct publication *p) { p->refs++; return p; }
void publication_unref(struct publication *p); /* NULL-safe */

/* The encoded {"push":{"channel":..,"pub":{..}}} for wire w, built on first
 * use and cached. Returns a BORROWED frame (the publication keeps its ref);
 * callers that queue it take their own frame_ref(). NULL on OOM, or when
 * w == WIRE_JSON and the payload (or publisher info) is not valid JSON: the
 * caller skips this publication for that subscriber (never disconnects). */
struct frame *publication_push_frame(struct publication *p, enum wire w);

static inline struct span span_str(const char *s)
{
    struct span sp = {(const uint8_t *)s, 0};
    if (s)
        while (s[sp.n])
            sp.n++;
    return sp;
}

#endif
