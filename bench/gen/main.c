/* bench/gen/main.c — hearth-bench: a bounded, loopback-only WebSocket load
 * generator for hearth and the servers users compare it with. Options, the
 * run's phases (connect -> settle -> publish -> drain -> report) and the
 * report (text, plus one "RESULT {json}" line for scripts). See bench/README.md for the scenarios built on it. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void usage(void)
{
    fputs(
        "usage: hearth-bench [options]\n"
        "  --dialect json|msgpack|raw|sio   subscriber protocol (default json)\n"
        "  --url URL            subscriber WebSocket URL (repeat to spread subscribers;\n"
        "                       {room} is replaced by the room name). Loopback only.\n"
        "  --pub api|ws|post|none  how to publish (default api)\n"
        "  --pub-url URL        API endpoint, POST URL ({room}) or WebSocket URL\n"
        "  --api-key KEY        X-API-Key for --pub api\n"
        "  --subs N             subscriber connections (default 100)\n"
        "  --rooms N            rooms; subscriber i joins room i %% N (default 1)\n"
        "  --room-prefix S      room name prefix (default \"bench\")\n"
        "  --rate R             publishes per second over all rooms (default 0)\n"
        "  --seconds S          publish phase length (default 5)\n"
        "  --payload B          payload bytes (default 64)\n"
        "  --chat               publish data as {\"text\": payload} (hearth chat namespace)\n"
        "  --pub-conns N        HTTP publisher connections (default 8)\n"
        "  --ws-inflight N      --pub ws: at most N publishes awaiting their reply (default: no cap)\n"
        "  --concurrency N      connects in flight (default 256)\n"
        "  --connect-rate R     connects started per second (default: unlimited)\n"
        "  --src-addrs N        spread source addresses over 127.0.0.1..N (default 1)\n"
        "  --src-base K         first source address is 127.0.0.(1+K)\n"
        "  --server-pid P       sample CPU/RSS of this process (repeatable)\n"
        "  --settle S           wait after subscribing (default 0.5)\n"
        "  --drain S            max wait for stragglers after publishing (default 5)\n"
        "  --timeout S          hard limit for the run (default 120)\n"
        "  --label S            name printed with the result\n"
        "  --json               also print one RESULT {json} line\n"
        "  --quiet              no progress output\n"
        "  --token-secret S     connect with HS256 tokens, user bench-<i> per connection\n"
        "  --ritual             live ritual (json, one chat room, needs --token-secret):\n"
        "                       members chat at --rate and tap live.react at --taps\n"
        "  --taps R             ritual: live.react taps per second in all (default 0)\n"
        "  --tappers N          ritual: members that tap (default taps/2.5: 2.5 taps/s each)\n"
        "  --chatters N         ritual: members that publish the chat (default 5)\n",
        stderr);
}

static int parse_url(const char *s, struct url *u)
{
    const char *p = strstr(s, "://");
    p = p ? p + 3 : s;
    const char *colon = strchr(p, ':');
    const char *slash = strchr(p, '/');
    if (!slash)
        slash = p + strlen(p);
    size_t hl = (size_t)((colon && colon < slash ? colon : slash) - p);
    if (hl == 0 || hl >= sizeof(u->host))
        return -1;
    memcpy(u->host, p, hl);
    u->host[hl] = 0;
    if (strcmp(u->host, "localhost") == 0)
        strcpy(u->host, "127.0.0.1");
    if (strncmp(u->host, "127.", 4) != 0) {
        fprintf(stderr, "hearth-bench: %s is not a loopback address (127.0.0.0/8 only)\n", u->host);
        return -1;
    }
    u->port = colon && colon < slash ? atoi(colon + 1) : 80;
    snprintf(u->path, sizeof(u->path), "%s", *slash ? slash : "/");
    return 0;
}

void bench_on_subscribed(struct conn *c)
{
    struct bench *b = c->b;
    if (c->state == CS_READY)
        return;
    c->state = CS_READY;
    if (b->connecting)
        b->connecting--;
    b->n.subscribed++;
    b->room_subs[c->room]++;
    int64_t now = now_us();
    hist_add(&b->conn_lat, (uint64_t)(now - c->t_start_us));
    b->t_last_sub_us = now;
}

void bench_on_pub_ack(struct bench *b, uint32_t room, bool ok)
{
    if (ok) {
        b->n.published++;
        b->room_pub[room]++;
    } else {
        b->n.publish_errors++;
    }
}

static uint64_t expected(const struct bench *b)
{
    uint64_t e = 0;
    for (uint32_t r = 0; r < b->o.rooms; r++)
        e += b->room_pub[r] * b->room_subs[r];
    return e;
}

static void pump_connects(struct bench *b)
{
    int64_t now = now_us();
    uint64_t allowed = b->o.subs;
    if (b->o.connect_rate > 0) {
        double el = (double)(now - b->t0_us) / 1e6;
        allowed = (uint64_t)(b->o.connect_rate * el) + 1;
    }
    while (b->next_to_start < b->o.subs && b->connecting < b->o.concurrency &&
           b->next_to_start < allowed) {
        struct conn *c = &b->subs[b->next_to_start];
        c->idx = b->next_to_start;
        c->room = c->idx % b->o.rooms;
        c->url_i = c->idx % (uint32_t)b->o.nurls;
        b->next_to_start++;
        b->connecting++;
        b->n.connect_started++;
        conn_start(b, c);
    }
}

static bool pubs_settled(struct bench *b)
{
    if (b->o.pub == PUB_NONE)
        return true;
    for (uint32_t i = 0; i < b->o.pub_conns; i++)
        if (b->pubs[i].state != CS_READY && b->pubs[i].state != CS_FAILED)
            return false;
    return true;
}

static uint64_t pubs_in_flight(struct bench *b)
{
    if (b->rit)
        return ritual_in_flight(b);
    if (b->o.pub == PUB_WS)
        return b->ws_count;
    uint64_t n = 0;
    for (uint32_t i = 0; i < b->o.pub_conns; i++)
        n += b->pubs[i].in_flight && !b->pubs[i].closed;
    return n;
}

static void finish(struct bench *b);

/* grows while deliveries arrive (the drain waits while it does) */
static uint64_t progress(const struct bench *b) { return b->n.unique + (b->rit ? ritual_progress(b) : 0); }

static int64_t settle_until, connect_deadline, drain_until;

static void on_tick(uv_timer_t *t)
{
    struct bench *b = t->data;
    int64_t now = now_us();
    switch (b->phase) {
    case 0:
        pump_connects(b);
        if ((b->next_to_start == b->o.subs && b->connecting == 0 && pubs_settled(b)) ||
            now > connect_deadline) {
            b->t_connect_done_us = now;
            b->phase = 1;
            settle_until = now + (int64_t)(b->o.settle * 1e6);
            if (!b->o.quiet)
                fprintf(stderr, "hearth-bench: %llu/%u subscribed (%llu errors) in %.2f s\n",
                        (unsigned long long)b->n.subscribed, b->o.subs,
                        (unsigned long long)b->n.connect_errors, (double)(now - b->t0_us) / 1e6);
        }
        break;
    case 1:
        if (now >= settle_until) {
            b->srv_rss_after_kib = server_rss(b);
            if (b->o.seconds > 0 && ((b->o.rate > 0 && b->o.pub != PUB_NONE) || b->rit)) {
                b->phase = 2;
                b->t_pub_start_us = now;
                sample(b, &b->gen0, b->srv0, &b->sample0_us);
            } else {
                finish(b);
            }
        }
        break;
    case 2:
        if (b->rit)
            ritual_tick(b);
        else
            pub_tick(b);
        if (now - b->t_pub_start_us >= (int64_t)(b->o.seconds * 1e6)) {
            b->t_pub_end_us = now;
            sample(b, &b->gen1, b->srv1, &b->sample1_us);
            b->phase = 3;
            drain_until = now + (int64_t)(b->o.drain * 1e6);
            b->drain_last_unique = progress(b);
            b->drain_progress_us = now;
        }
        break;
    case 3:
        if (progress(b) != b->drain_last_unique) {
            b->drain_last_unique = progress(b);
            b->drain_progress_us = now;
        }
        if ((b->n.unique >= expected(b) && pubs_in_flight(b) == 0 && (!b->rit || ritual_drained(b))) ||
            now >= drain_until ||
            (pubs_in_flight(b) == 0 && now - b->drain_progress_us > 1500000))
            finish(b);
        break;
    default:
        break;
    }
}

static void on_hard_limit(uv_timer_t *t)
{
    struct bench *b = t->data;
    fprintf(stderr, "hearth-bench: time limit reached, reporting what was measured\n");
    b->aborted = true;
    if (b->phase == 2) {
        b->t_pub_end_us = now_us();
        sample(b, &b->gen1, b->srv1, &b->sample1_us);
    }
    finish(b);
}

static double ms(uint64_t us) { return (double)us / 1000.0; }

static void finish(struct bench *b)
{
    const struct opts *o = &b->o;
    b->phase = 4;
    uint64_t exp = expected(b);
    uint64_t loss = exp > b->n.unique ? exp - b->n.unique : 0;
    double pub_s = b->t_pub_end_us > b->t_pub_start_us ? (double)(b->t_pub_end_us - b->t_pub_start_us) / 1e6 : 0;
    /* deliveries/s: unique deliveries over the time from the first publish to the last delivery */
    double rx_s = b->t_last_rx_us > b->t_pub_start_us ? (double)(b->t_last_rx_us - b->t_pub_start_us) / 1e6 : 0;
    double dps = rx_s > 0 ? (double)b->n.unique / rx_s : 0;
    double target_dps = o->rate * (double)b->n.subscribed / (double)o->rooms;
    long hz = sysconf(_SC_CLK_TCK);
    double win = b->sample1_us > b->sample0_us ? (double)(b->sample1_us - b->sample0_us) / 1e6 : 0;
    double gen_cpu = win > 0 ? 100.0 * (double)(b->gen1.ticks - b->gen0.ticks) / (double)hz / win : 0;
    double srv_cpu = 0;
    for (int i = 0; i < o->nserver_pids && win > 0; i++)
        srv_cpu += 100.0 * (double)(b->srv1[i].ticks - b->srv0[i].ticks) / (double)hz / win;
    uint64_t rss_end = server_rss(b), hwm_end = server_rss_hwm(b, true);
    double rss_per_conn = b->n.subscribed && b->srv_rss_after_kib > b->srv_rss_before_kib
                              ? 1024.0 * (double)(b->srv_rss_after_kib - b->srv_rss_before_kib) /
                                    (double)b->n.subscribed
                              : 0;
    double conn_s = b->t_last_sub_us > b->t0_us ? (double)(b->t_last_sub_us - b->t0_us) / 1e6 : 0;
    double conn_rate = conn_s > 0 ? (double)b->n.subscribed / conn_s : 0;
    bool saturated = gen_cpu > 90.0;
    double msgs_per_frame = b->n.frames_in ? (double)b->n.received / (double)b->n.frames_in : 0;
    static const char *dn[] = {"json", "msgpack", "raw", "sio"};
    static const char *pn[] = {"api", "ws", "post", "none"};
    if (!o->quiet) {
        printf("== %s (%s, publish via %s)\n", o->label ? o->label : "run", dn[o->dialect], pn[o->pub]);
        printf("subscribers   %llu/%u subscribed, %llu connect errors, %llu closed by server (last close code %u)\n",
               (unsigned long long)b->n.subscribed, o->subs, (unsigned long long)b->n.connect_errors,
               (unsigned long long)b->n.closed_by_server, b->n.last_close_code);
        printf("connect       %.0f subscribed/s, latency p50 %.2f ms p99 %.2f ms max %.2f ms\n", conn_rate,
               ms(hist_quantile(&b->conn_lat, .5)), ms(hist_quantile(&b->conn_lat, .99)), ms(b->conn_lat.max));
        if (o->rate > 0 || b->rit) {
            printf("published     %llu of %.0f target (%llu errors) over %.2f s, %u rooms\n",
                   (unsigned long long)b->n.published, o->rate * o->seconds, (unsigned long long)b->n.publish_errors,
                   pub_s, o->rooms);
            printf("deliveries    expected %llu, unique %llu, loss %llu, duplicates %llu, out of order %llu, gaps %llu, misrouted %llu\n",
                   (unsigned long long)exp, (unsigned long long)b->n.unique, (unsigned long long)loss,
                   (unsigned long long)b->n.duplicates, (unsigned long long)b->n.late,
                   (unsigned long long)b->n.gaps, (unsigned long long)b->n.misrouted);
            printf("throughput    %.0f deliveries/s (target %.0f), %.1f messages per frame\n", dps, target_dps,
                   msgs_per_frame);
            printf("latency       p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms\n",
                   ms(hist_quantile(&b->lat, .5)), ms(hist_quantile(&b->lat, .9)), ms(hist_quantile(&b->lat, .99)),
                   ms(hist_quantile(&b->lat, .999)), ms(b->lat.max));
            printf("publish ack   p50 %.2f ms  p99 %.2f ms  max %.2f ms (request written -> acknowledged)\n",
                   ms(hist_quantile(&b->pub_lat, .5)), ms(hist_quantile(&b->pub_lat, .99)), ms(b->pub_lat.max));
            printf("cpu           server %.0f %%, generator %.0f %%%s\n", srv_cpu, gen_cpu,
                   saturated ? "  ** generator saturated: figures are a lower bound **" : "");
        }
        printf("server rss    %llu KiB before, %llu KiB subscribed, %llu KiB at end (peak %llu KiB); "
               "%.0f B per subscribed connection\n",
               (unsigned long long)b->srv_rss_before_kib, (unsigned long long)b->srv_rss_after_kib,
               (unsigned long long)rss_end, (unsigned long long)hwm_end, rss_per_conn);
        if (b->rit)
            ritual_report(b);
    }
    if (o->json) {
        printf("RESULT {\"label\":\"%s\",\"dialect\":\"%s\",\"pub\":\"%s\",\"subs\":%u,\"subscribed\":%llu,"
               "\"connect_errors\":%llu,\"closed_by_server\":%llu,\"last_close_code\":%u,\"rooms\":%u,"
               "\"rate\":%.0f,\"seconds\":%.2f,\"publish_target\":%.0f,\"published\":%llu,\"publish_errors\":%llu,"
               "\"expected\":%llu,\"received\":%llu,\"unique\":%llu,\"loss\":%llu,\"duplicates\":%llu,"
               "\"out_of_order\":%llu,\"gaps\":%llu,\"misrouted\":%llu,\"too_old\":%llu,"
               "\"deliveries_per_s\":%.0f,\"target_deliveries_per_s\":%.0f,\"msgs_per_frame\":%.2f,"
               "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
               "\"server_cpu_pct\":%.1f,\"gen_cpu_pct\":%.1f,\"gen_saturated\":%s,"
               "\"server_rss_before_kib\":%llu,\"server_rss_subscribed_kib\":%llu,\"server_rss_end_kib\":%llu,"
               "\"rss_per_conn_b\":%.0f,\"connect_per_s\":%.0f,\"connect_p50_ms\":%.3f,\"connect_p99_ms\":%.3f,"
               "\"pub_ack_p50_ms\":%.3f,\"pub_ack_p99_ms\":%.3f,\"pub_ack_max_ms\":%.3f,\"aborted\":%s,"
               "\"server_hwm_kib\":%llu",
               o->label ? o->label : "run", dn[o->dialect], pn[o->pub], o->subs, (unsigned long long)b->n.subscribed,
               (unsigned long long)b->n.connect_errors, (unsigned long long)b->n.closed_by_server,
               b->n.last_close_code, o->rooms, o->rate, pub_s, o->rate * o->seconds,
               (unsigned long long)b->n.published, (unsigned long long)b->n.publish_errors,
               (unsigned long long)exp, (unsigned long long)b->n.received, (unsigned long long)b->n.unique,
               (unsigned long long)loss, (unsigned long long)b->n.duplicates, (unsigned long long)b->n.late,
               (unsigned long long)b->n.gaps, (unsigned long long)b->n.misrouted, (unsigned long long)b->n.too_old,
               dps, target_dps, msgs_per_frame, ms(hist_quantile(&b->lat, .5)), ms(hist_quantile(&b->lat, .9)),
               ms(hist_quantile(&b->lat, .99)), ms(hist_quantile(&b->lat, .999)), ms(b->lat.max), srv_cpu,
               gen_cpu, saturated ? "true" : "false", (unsigned long long)b->srv_rss_before_kib,
               (unsigned long long)b->srv_rss_after_kib, (unsigned long long)rss_end, rss_per_conn, conn_rate,
               ms(hist_quantile(&b->conn_lat, .5)), ms(hist_quantile(&b->conn_lat, .99)),
               ms(hist_quantile(&b->pub_lat, .5)), ms(hist_quantile(&b->pub_lat, .99)), ms(b->pub_lat.max),
               b->aborted ? "true" : "false", (unsigned long long)hwm_end);
        if (b->rit)
            ritual_json(b);
        printf("}\n");
    }
    fflush(stdout);
    /* sockets close (with RST, see ws.c) when the process exits */
    _exit(0);
}

int main(int argc, char **argv)
{
    static struct bench bench;
    struct bench *b = &bench;
    struct opts *o = &b->o;
    o->dialect = D_JSON;
    o->pub = PUB_API;
    o->room_prefix = "bench";
    o->subs = 100;
    o->rooms = 1;
    o->seconds = 5;
    o->payload = 64;
    o->pub_conns = 8;
    o->concurrency = 256;
    o->settle = 0.5;
    o->drain = 5;
    o->timeout = 120;
    o->chatters = 5;
    const char *pub_url = NULL;
    enum { O_DIALECT = 256, O_URL, O_PUB, O_PUBURL, O_KEY, O_SUBS, O_ROOMS, O_PREFIX, O_RATE, O_SECONDS,
           O_PAYLOAD, O_CHAT, O_PUBCONNS, O_WSINFL, O_CONC, O_CRATE, O_SRC, O_SRCBASE, O_PID, O_SETTLE, O_DRAIN, O_TIMEOUT,
           O_LABEL, O_JSON, O_QUIET, O_HELP, O_SECRET, O_RITUAL, O_TAPS, O_TAPPERS, O_CHATTERS };
    static const struct option lo[] = {
        {"dialect", 1, 0, O_DIALECT}, {"url", 1, 0, O_URL}, {"pub", 1, 0, O_PUB}, {"pub-url", 1, 0, O_PUBURL},
        {"api-key", 1, 0, O_KEY}, {"subs", 1, 0, O_SUBS}, {"rooms", 1, 0, O_ROOMS},
        {"room-prefix", 1, 0, O_PREFIX}, {"rate", 1, 0, O_RATE}, {"seconds", 1, 0, O_SECONDS},
        {"payload", 1, 0, O_PAYLOAD}, {"chat", 0, 0, O_CHAT}, {"pub-conns", 1, 0, O_PUBCONNS}, {"ws-inflight", 1, 0, O_WSINFL}, {"concurrency", 1, 0, O_CONC},
        {"connect-rate", 1, 0, O_CRATE}, {"src-addrs", 1, 0, O_SRC}, {"src-base", 1, 0, O_SRCBASE},
        {"server-pid", 1, 0, O_PID}, {"settle", 1, 0, O_SETTLE}, {"drain", 1, 0, O_DRAIN},
        {"timeout", 1, 0, O_TIMEOUT}, {"label", 1, 0, O_LABEL}, {"json", 0, 0, O_JSON},
        {"quiet", 0, 0, O_QUIET}, {"help", 0, 0, O_HELP}, {"token-secret", 1, 0, O_SECRET},
        {"ritual", 0, 0, O_RITUAL}, {"taps", 1, 0, O_TAPS}, {"tappers", 1, 0, O_TAPPERS},
        {"chatters", 1, 0, O_CHATTERS}, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case O_DIALECT:
            if (!strcmp(optarg, "json")) o->dialect = D_JSON;
            else if (!strcmp(optarg, "msgpack")) o->dialect = D_MSGPACK;
            else if (!strcmp(optarg, "raw")) o->dialect = D_RAW;
            else if (!strcmp(optarg, "sio")) o->dialect = D_SIO;
            else { usage(); return 2; }
            break;
        case O_URL:
            if (o->nurls == 8 || parse_url(optarg, &o->urls[o->nurls]) != 0)
                return 2;
            o->nurls++;
            break;
        case O_PUB:
            if (!strcmp(optarg, "api")) o->pub = PUB_API;
            else if (!strcmp(optarg, "ws")) o->pub = PUB_WS;
            else if (!strcmp(optarg, "post")) o->pub = PUB_POST;
            else if (!strcmp(optarg, "none")) o->pub = PUB_NONE;
            else { usage(); return 2; }
            break;
        case O_PUBURL: pub_url = optarg; break;
        case O_KEY: o->api_key = optarg; break;
        case O_SUBS: o->subs = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_ROOMS: o->rooms = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_PREFIX: o->room_prefix = optarg; break;
        case O_RATE: o->rate = atof(optarg); break;
        case O_SECONDS: o->seconds = atof(optarg); break;
        case O_PAYLOAD: o->payload = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_CHAT: o->chat = 1; break;
        case O_PUBCONNS: o->pub_conns = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_WSINFL: o->ws_inflight = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_CONC: o->concurrency = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_CRATE: o->connect_rate = atof(optarg); break;
        case O_SRC: o->src_addrs = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_SRCBASE: o->src_base = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_PID:
            if (o->nserver_pids < 8)
                o->server_pids[o->nserver_pids++] = atoi(optarg);
            break;
        case O_SETTLE: o->settle = atof(optarg); break;
        case O_DRAIN: o->drain = atof(optarg); break;
        case O_TIMEOUT: o->timeout = atof(optarg); break;
        case O_LABEL: o->label = optarg; break;
        case O_JSON: o->json = true; break;
        case O_QUIET: o->quiet = true; break;
        case O_SECRET: o->token_secret = optarg; break;
        case O_RITUAL: o->ritual = true; break;
        case O_TAPS: o->taps = atof(optarg); break;
        case O_TAPPERS: o->tappers = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_CHATTERS: o->chatters = (uint32_t)strtoul(optarg, NULL, 10); break;
        default: usage(); return opt == O_HELP ? 0 : 2;
        }
    }
    if (o->nurls == 0) {
        parse_url("ws://127.0.0.1:8000/connection/websocket", &o->urls[0]);
        o->nurls = 1;
    }
    if (!o->rooms || o->payload > 4000 || o->payload < 1 || o->subs > 1000000 || o->seconds > 3600 ||
        o->timeout > 3600 || o->rate < 0 || o->rate > 10000000 || !o->concurrency) {
        fprintf(stderr, "hearth-bench: option out of range (rooms >= 1, payload 1..4000, subs <= 1e6, "
                        "seconds/timeout <= 3600, rate <= 1e7)\n");
        return 2;
    }
    if (o->ritual && (o->dialect != D_JSON || o->rooms != 1 || !o->token_secret || o->taps < 0 ||
                      o->taps > 1000000 || (o->rate > 0 && !o->chatters))) {
        fprintf(stderr, "hearth-bench: --ritual needs --dialect json, --rooms 1, --token-secret, taps <= 1e6 "
                        "and chatters for a chat rate\n");
        return 2;
    }
    if (o->ritual)
        o->pub = PUB_NONE; /* members publish: no separate publisher connections */
    if (o->pub == PUB_WS && o->dialect != D_JSON && o->dialect != D_MSGPACK) {
        fprintf(stderr, "hearth-bench: --pub ws speaks hearth's protocol only\n");
        return 2;
    }
    if (o->rate > 0 && o->pub != PUB_NONE) {
        if (!pub_url) {
            fprintf(stderr, "hearth-bench: --pub-url is required to publish\n");
            return 2;
        }
        if (parse_url(pub_url, &o->pub_url) != 0)
            return 2;
    } else {
        o->pub = PUB_NONE;
    }
    if (o->pub == PUB_WS)
        o->pub_conns = 1;
    if (o->pub == PUB_NONE)
        o->pub_conns = 0;
    /* file descriptors: one per connection plus a margin */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t need = (rlim_t)o->subs + o->pub_conns + 64;
        if (rl.rlim_cur < need && rl.rlim_max >= need) {
            rl.rlim_cur = need;
            setrlimit(RLIMIT_NOFILE, &rl);
        } else if (rl.rlim_max < need) {
            fprintf(stderr, "hearth-bench: %u connections need %llu descriptors but the hard limit is %llu; "
                            "run several generator processes\n", o->subs, (unsigned long long)need,
                    (unsigned long long)rl.rlim_max);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    b->subs = calloc(o->subs ? o->subs : 1, sizeof(struct conn));
    b->pubs = calloc(o->pub_conns ? o->pub_conns : 1, sizeof(struct conn));
    b->room_subs = calloc(o->rooms, sizeof(uint64_t));
    b->room_pub = calloc(o->rooms, sizeof(uint64_t));
    b->streams = o->ritual ? (o->chatters ? o->chatters : 1) : o->pub_conns ? o->pub_conns : 1;
    b->room_seq = calloc((size_t)o->rooms * b->streams, sizeof(uint32_t));
    b->ws_inflight = calloc(65536, sizeof(uint32_t));
    b->ws_sent_us = calloc(65536, sizeof(int64_t));
    b->rd_size = 256 * 1024;
    b->rd = malloc(b->rd_size);
    if (!b->subs || !b->pubs || !b->room_subs || !b->room_pub || !b->room_seq || !b->ws_inflight || !b->ws_sent_us || !b->rd) {
        fprintf(stderr, "hearth-bench: out of memory\n");
        return 1;
    }
    if (o->ritual && ritual_init(b) != 0) {
        fprintf(stderr, "hearth-bench: out of memory\n");
        return 1;
    }
    hist_init(&b->lat);
    hist_init(&b->conn_lat);
    hist_init(&b->pub_lat);
    b->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() ^ (uint64_t)now_us();
    b->loop = uv_default_loop();
    b->t0_us = now_us();
    b->srv_rss_before_kib = server_rss(b);
    connect_deadline = b->t0_us + (int64_t)(o->timeout * 1e6 * 0.6);
    uv_timer_init(b->loop, &b->tick);
    uv_timer_init(b->loop, &b->hard);
    b->tick.data = b->hard.data = b;
    uv_timer_start(&b->tick, on_tick, 1, 1);
    uv_timer_start(&b->hard, on_hard_limit, (uint64_t)(o->timeout * 1000), 0);
    if (o->pub != PUB_NONE)
        pub_start(b);
    pump_connects(b);
    uv_run(b->loop, UV_RUN_DEFAULT);
    return 0;
}
