/* server/admission.c — Origin check and connection limits (see admission.h). */
#include "server/admission.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "config/config.h"
#include "util/log.h"

/* Descriptors kept free for what is not a client socket: Redis links, the
 * files lws serves, log and config reads. Accepting into them would let
 * clients starve the server of descriptors (and make accept() fail with
 * EMFILE, which lws 4.1 retries in a busy loop). */
#define FD_RESERVE 64

/* The descriptor limit, sized to what the config lets hearthd hold: every
 * WebSocket (max_connections), a quarter more for HTTP API sockets and
 * sockets being accepted or closed, and 1,024 for everything else — within
 * the hard limit. libwebsockets 4.1 sizes its descriptor table by this
 * limit at start and scans the whole table each time it closes a socket (a
 * sanity check in __lws_close_free_wsi_final): with the 1,048,576 of a
 * typical service unit that is ~1 M entries per close, milliseconds each,
 * so a mass disconnect would hold the loop for a minute. Sized this way a
 * close scans what the server can use, and a low default soft limit (1,024
 * on Debian) is raised so max_connections is reachable at all. A limit of 0
 * (no cap on connections) keeps the limit as it is. Logs what it did. */
static void size_fd_limit(const struct config *cfg)
{
    struct rlimit rl;
    if (!cfg->max_connections || getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)cfg->max_connections + cfg->max_connections / 4 + 1024;
    if (want < 4096)
        want = 4096;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    if (want == rl.rlim_cur)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        log_info("server", "descriptor limit %llu -> %llu (max_connections %u)",
                 (unsigned long long)was, (unsigned long long)want, cfg->max_connections);
}

void admission_init(struct admission *a, const struct config *cfg)
{
    dict_init(&a->ips);
    size_fd_limit(cfg);
    struct rlimit rl;
    a->fd_limit = 1 << 30;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)(1 << 30))
        a->fd_limit = rl.rlim_cur > 2 * FD_RESERVE ? (int)rl.rlim_cur - FD_RESERVE
                                                   : (int)rl.rlim_cur / 2;
}

void admission_free(struct admission *a)
{
    struct dict_iter it;
    dict_iter_init(&it, &a->ips);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        dict_remove(&a->ips, e);
        free(DICT_CONTAINER(e, struct admission_peer, de));
    }
    dict_free(&a->ips);
}

static struct admission_peer *find(const struct admission *a, const char *ip)
{
    struct dict_entry *e = dict_find(&a->ips, ip, strlen(ip));
    return e ? DICT_CONTAINER(e, struct admission_peer, de) : NULL;
}

static struct admission_peer *find_or_add(struct admission *a, const char *ip)
{
    struct admission_peer *p = find(a, ip);
    if (p)
        return p;
    if (!(p = calloc(1, sizeof(*p))))
        return NULL;
    strncpy(p->ip, ip, sizeof(p->ip) - 1);
    p->de.key = p->ip;
    p->de.klen = strlen(p->ip);
    if (dict_insert(&a->ips, &p->de) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

static void maybe_free(struct admission *a, struct admission_peer *p)
{
    if (!p->sockets && !p->websockets) {
        dict_remove(&a->ips, &p->de);
        free(p);
    }
}

enum admit admission_accept(struct admission *a, const struct config *cfg, const char *ip, int fd,
                            struct admission_peer **peer)
{
    *peer = NULL;
    if (fd >= a->fd_limit)
        return ADMIT_FDS;
    struct admission_peer *p = find(a, ip);
    if (p && cfg->max_http_connections_per_ip &&
        p->sockets - (p->websockets < p->sockets ? p->websockets : p->sockets) >=
            cfg->max_http_connections_per_ip)
        return ADMIT_HTTP_PER_IP;
    if (!p && !(p = find_or_add(a, ip)))
        return ADMIT_FDS; /* out of memory: refuse rather than run uncounted */
    p->sockets++;
    a->sockets++;
    *peer = p;
    return ADMIT_OK;
}

void admission_release(struct admission *a, struct admission_peer *p)
{
    if (!p)
        return;
    if (p->sockets) {
        p->sockets--;
        a->sockets--;
    }
    maybe_free(a, p);
}

/* --- Origin ------------------------------------------------------------- */

struct origin_parts {
    char scheme[8];
    char host[256];
    char port[8]; /* digits, "*" (patterns only), or "" for the scheme's default */
};

/* scheme://host[:port], host may be [v6]. 0 or -1 (not of that shape). */
static int split_origin(const char *s, struct origin_parts *o)
{
    memset(o, 0, sizeof(*o));
    const char *sep = strstr(s, "://");
    if (!sep || sep == s || (size_t)(sep - s) >= sizeof(o->scheme))
        return -1;
    memcpy(o->scheme, s, (size_t)(sep - s));
    const char *h = sep + 3, *end;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end)
            return -1;
        end++;
    } else {
        end = h + strcspn(h, ":/");
    }
    if (end == h || (size_t)(end - h) >= sizeof(o->host))
        return -1;
    memcpy(o->host, h, (size_t)(end - h));
    if (*end == ':') {
        const char *p = end + 1;
        size_t n = strcspn(p, "/");
        if (!n || n >= sizeof(o->port) || p[n] != 0)
            return -1;
        memcpy(o->port, p, n);
        if (strcmp(o->port, "*") != 0 && strspn(o->port, "0123456789") != n)
            return -1;
    } else if (*end != 0) {
        return -1;
    }
    return 0;
}

static const char *default_port(const char *scheme)
{
    return !strcasecmp(scheme, "https") || !strcasecmp(scheme, "wss") ? "443" : "80";
}

static const char *port_of(const struct origin_parts *o)
{
    return o->port[0] ? o->port : default_port(o->scheme);
}

/* pattern host: exact, "*" (any), or "*.suffix" (a subdomain of suffix) */
static bool host_matches(const char *pat, const char *host)
{
    if (!strcmp(pat, "*"))
        return true;
    if (!strncmp(pat, "*.", 2)) {
        size_t ls = strlen(pat + 1), lh = strlen(host); /* ".suffix" */
        return lh > ls && strcasecmp(host + lh - ls, pat + 1) == 0;
    }
    return strcasecmp(pat, host) == 0;
}

static bool pattern_matches(const char *pattern, const struct origin_parts *o)
{
    struct origin_parts p;
    if (split_origin(pattern, &p) != 0 || strcasecmp(p.scheme, o->scheme) != 0 ||
        !host_matches(p.host, o->host))
        return false;
    return !strcmp(p.port, "*") || strcmp(port_of(&p), port_of(o)) == 0;
}

/* An address literal or a loopback name cannot be re-pointed by DNS. */
static bool host_is_literal(const char *host)
{
    unsigned char buf[16];
    char v6[64];
    if (!strcasecmp(host, "localhost") || inet_pton(AF_INET, host, buf) == 1)
        return true;
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(v6)) {
        memcpy(v6, host + 1, n - 2);
        v6[n - 2] = 0;
        return inet_pton(AF_INET6, v6, buf) == 1;
    }
    return false;
}

bool admission_origin_ok(const struct config *cfg, const char *origin, const char *host)
{
    if (!origin || !*origin)
        return true;
    struct origin_parts o;
    if (split_origin(origin, &o) != 0)
        return false; /* "null" (sandboxed pages, file://) and anything malformed */
    for (size_t i = 0; i < cfg->nallowed_origins; i++)
        if (pattern_matches(cfg->allowed_origins[i], &o))
            return true;
    /* the page's own origin: same host and port as the Host header, and a
     * host that DNS cannot re-point at us (DNS rebinding) */
    if (!host || !host_is_literal(o.host))
        return false;
    char hb[300];
    snprintf(hb, sizeof(hb), "%s://%s", o.scheme, host);
    struct origin_parts h;
    return split_origin(hb, &h) == 0 && strcasecmp(h.host, o.host) == 0 &&
           strcmp(port_of(&h), port_of(&o)) == 0;
}

enum admit admission_check(const struct admission *a, const struct config *cfg, uint32_t nclients,
                           const char *ip, const char *origin, const char *host)
{
    if (!admission_origin_ok(cfg, origin, host))
        return ADMIT_ORIGIN;
    if (cfg->max_connections && nclients >= cfg->max_connections)
        return ADMIT_TOTAL;
    if (cfg->max_connections_per_ip) {
        const struct admission_peer *c = find(a, ip);
        if (c && c->websockets >= cfg->max_connections_per_ip)
            return ADMIT_PER_IP;
    }
    return ADMIT_OK;
}

int admission_add(struct admission *a, const char *ip)
{
    struct admission_peer *c = find_or_add(a, ip);
    if (!c)
        return -ENOMEM;
    c->websockets++;
    return 0;
}

void admission_remove(struct admission *a, const char *ip)
{
    struct admission_peer *c = find(a, ip);
    if (c && c->websockets) {
        c->websockets--;
        maybe_free(a, c);
    }
}
