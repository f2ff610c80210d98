/* bench/gen/bench.h — shared state of hearth-bench, the loopback load
 * generator: options, per-connection state, counters. Everything hangs off
 * one struct bench owned by main() (no globals); handles reach it through
 * their ->data pointers. One libuv loop, one thread.
 *
 * Message marker: every published payload starts with
 * "~H<room>:<stream>:<seq>:<t>;" (t = CLOCK_MONOTONIC microseconds at send)
 * padded with 'x' to the payload size. A stream is one publisher connection:
 * order is only defined per (room, stream), since publishes racing over
 * different connections may reach the server in any order. It is valid inside a JSON string and survives every server unchanged,
 * so subscribers of any dialect find deliveries by scanning for "~H". */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "hist.h"

enum dialect { D_JSON, D_MSGPACK, D_RAW, D_SIO };
enum pubmode { PUB_API, PUB_WS, PUB_POST, PUB_NONE };

enum conn_state {
    CS_IDLE,        /* not started */
    CS_CONNECTING,  /* TCP connect in flight */
    CS_HANDSHAKE,   /* HTTP upgrade sent, waiting for 101 */
    CS_OPEN,        /* WebSocket open, subscribe in flight */
    CS_READY,       /* subscribed (or publisher ready) */
    CS_FAILED,
};

struct bench;
struct ritual;

/* Order/duplicate tracking of one (room, stream) at one subscriber. */
struct seqwin {
    uint32_t next_seq;       /* next expected sequence number */
    uint64_t window;         /* bit i: seq (next_seq - 1 - i) received */
};

/* One WebSocket (subscriber or publisher) or one HTTP publisher connection. */
struct conn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    struct bench *b;         /* borrowed */
    uint32_t idx;            /* subscriber index, or publisher index */
    uint32_t room;
    uint32_t url_i;          /* which --url this connection uses */
    uint8_t state;           /* enum conn_state */
    uint8_t sio_stage;       /* Socket.IO: 0 wait open, 1 wait 40, 2 wait ack */
    bool is_pub;             /* a publisher (WS or HTTP) */
    bool is_http;            /* HTTP publisher */
    bool closed;
    bool in_flight;          /* HTTP publisher: one request outstanding */
    struct seqwin *win;      /* owned: per publisher stream, subscribers only */
    int64_t t_start_us;      /* connect started (connect latency) */
    uint8_t *rbuf;           /* owned: unparsed bytes carried between reads */
    uint32_t rlen, rcap;
    uint8_t *msg;            /* owned: reassembly of a fragmented message */
    uint32_t mlen, mcap;
    uint8_t msg_op;
    uint32_t pub_room;       /* HTTP publisher: room/seq of the request in flight */
    uint32_t pub_seq;
    int64_t pub_sent_us;     /* HTTP publisher: when the request in flight was written */
    uint32_t ws_pub_next_id; /* WS publisher: command ids */
};

struct url {
    char host[64];
    int port;
    char path[256];          /* may contain {room} */
};

struct opts {
    enum dialect dialect;
    enum pubmode pub;
    struct url urls[8];      /* subscribers spread round-robin over these */
    int nurls;
    struct url pub_url;      /* publisher target (API, POST or WS) */
    const char *api_key;
    const char *room_prefix;
    uint32_t subs;           /* subscriber connections in total */
    uint32_t rooms;          /* subscriber i joins room i % rooms */
    double rate;             /* publishes per second over all rooms */
    double seconds;          /* publish phase length */
    uint32_t payload;        /* bytes of the data payload */
    int chat;                /* --chat: publish data as {"text": payload} (a chat namespace) */
    uint32_t pub_conns;      /* HTTP publisher connections (one request in flight each) */
    uint32_t concurrency;    /* connects in flight */
    double connect_rate;     /* connects started per second, 0 = as fast as concurrency allows */
    uint32_t src_addrs;      /* source addresses 127.0.0.1 .. 127.0.0.N */
    uint32_t src_base;       /* first source address offset */
    int server_pids[8];
    int nserver_pids;
    double settle;           /* seconds to wait after subscribing */
    double drain;            /* seconds to wait for stragglers after publishing */
    double timeout;          /* hard limit for the whole run */
    const char *label;
    bool json;               /* print the RESULT json line */
    bool quiet;
    const char *token_secret; /* HS256 secret: every hearth JSON connection connects with its own user's token */
    bool ritual;             /* the live-ritual scenario (ritual.c) */
    double taps;             /* ritual: live.react taps per second over all tappers */
    uint32_t tappers;        /* ritual: members that tap (0 = taps / 2.5) */
    uint32_t chatters;       /* ritual: members that publish the chat (--rate in all) */
    uint32_t ws_inflight;    /* --pub ws: publishes in flight at most (0 = no cap but the ring's) */
};

struct proc_sample {
    uint64_t ticks;          /* utime + stime */
    uint64_t rss_kib;
    uint64_t hwm_kib;        /* VmHWM: peak RSS */
};

struct counters {
    uint64_t connect_started, connected, subscribed, connect_errors, closed_by_server;
    uint64_t published, publish_errors, publish_attempts;
    uint64_t received, unique, duplicates, late, gaps, misrouted, too_old;
    uint64_t frames_in, bytes_in;
    uint64_t pongs_sent;
    uint16_t last_close_code;
};

struct bench {
    uv_loop_t *loop;
    struct opts o;
    struct conn *subs;        /* owned array of o.subs */
    struct conn *pubs;        /* owned array of o.pub_conns */
    uint32_t next_to_start;   /* next subscriber to connect */
    uint32_t connecting;      /* connects in flight */
    uint64_t *room_subs;      /* owned: subscribed connections per room */
    uint64_t *room_pub;       /* owned: confirmed publishes per room */
    uint32_t *room_seq;       /* owned: next sequence number per room x stream */
    uint32_t streams;         /* publisher streams (connections) */
    uint64_t pub_due_total;   /* publishes the schedule asked for so far */
    uint32_t pub_rr;          /* round-robin room cursor */
    uint64_t pub_pending;     /* publishes due but not yet sent (HTTP back-pressure) */
    struct hist lat;          /* publish -> delivery latency, us */
    struct hist conn_lat;     /* connect start -> subscribed, us */
    struct hist pub_lat;      /* publish written -> acknowledged, us */
    struct counters n;
    uint8_t *rd;              /* owned: shared read buffer */
    size_t rd_size;
    int phase;                /* 0 connect, 1 settle, 2 publish, 3 drain, 4 done */
    int64_t t0_us, t_connect_done_us, t_pub_start_us, t_pub_end_us, t_last_rx_us, t_first_rx_us;
    int64_t t_last_sub_us;
    uint64_t drain_last_unique;
    int64_t drain_progress_us;
    struct proc_sample gen0, gen1, srv0[8], srv1[8];
    uint64_t srv_rss_before_kib, srv_rss_after_kib;
    int64_t sample0_us, sample1_us;
    uv_timer_t tick;          /* 1 ms scheduler */
    uv_timer_t hard;          /* hard time limit */
    char *pub_body_tmpl;      /* scratch */
    bool aborted;
    uint64_t rng;             /* xorshift state for mask keys */
    uint32_t *ws_inflight;    /* owned ring: room of each WS publish in flight */
    int64_t *ws_sent_us;      /* owned ring: when each WS publish in flight was sent */
    uint32_t ws_head, ws_count;
    struct ritual *rit;       /* owned: the ritual scenario's state (ritual.c), NULL otherwise */
};

int64_t now_us(void);

/* ws.c */
void conn_start(struct bench *b, struct conn *c);
int conn_send_ws(struct conn *c, uint8_t opcode, const void *p, size_t n);
int conn_send_raw(struct conn *c, const void *p, size_t n);
void conn_fail(struct conn *c, const char *why);

/* dialect.c */
void dialect_on_open(struct conn *c);           /* WebSocket is open */
void dialect_on_message(struct conn *c, uint8_t opcode, uint8_t *p, size_t n);
void bench_on_subscribed(struct conn *c);
void bench_on_delivery(struct conn *c, uint32_t room, uint32_t stream, uint32_t seq, uint64_t t_us);
void bench_on_pub_ack(struct bench *b, uint32_t room, bool ok);

/* pub.c */
void pub_start(struct bench *b);
void pub_tick(struct bench *b);                 /* send what the schedule asks for */
/* HTTP publisher: parses one response; returns bytes consumed, 0 = incomplete */
size_t pub_http_parse(struct conn *c, const uint8_t *p, size_t n);
/* WS publisher (hearth dialects): a reply with this id arrived */
void pub_ws_on_reply(struct conn *c, uint32_t id, bool ok);
size_t marker_format(char *out, uint32_t room, uint32_t stream, uint32_t seq, uint64_t t, uint32_t payload);

/* proc.c: CPU ticks and memory from /proc (pid 0 = this process) */
int read_proc(int pid, struct proc_sample *s);
uint64_t server_rss_hwm(struct bench *b, bool hwm);   /* KiB summed over --server-pid: VmRSS or VmHWM */
uint64_t server_rss(struct bench *b);
void sample(struct bench *b, struct proc_sample *gen, struct proc_sample *srv, int64_t *t);

/* jwt.c: an HS256 token with {"sub": sub} into out; its length, 0 if it does not fit */
size_t token_mint(char *out, size_t cap, const char *secret, const char *sub);

/* ritual.c (--ritual): members chat and tap live.react in one chat room */
int ritual_init(struct bench *b);
void ritual_tick(struct bench *b);                 /* send the chat and the taps that are due */
/* a reply (id >= 3) on a member's connection; false when it is not the ritual's */
bool ritual_on_reply(struct conn *c, uint32_t id, bool err, const uint8_t *p, size_t n);
void ritual_on_totals(struct conn *c, const uint8_t *p, size_t n); /* a reaction_totals push */
uint64_t ritual_in_flight(const struct bench *b);  /* commands of live members not yet answered */
uint64_t ritual_progress(const struct bench *b);   /* grows while totals arrive */
bool ritual_drained(const struct bench *b);        /* every accepted tap reached every member */
void ritual_report(const struct bench *b);         /* text lines */
void ritual_json(const struct bench *b);           /* ,"key":value... inside the RESULT object */

#endif
