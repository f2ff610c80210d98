/* server/admission.h — who may hold a connection on this node: the Origin
 * check (cross-site WebSocket hijacking) and the connection limits — total
 * WebSockets, WebSockets per peer address, plain-HTTP sockets per peer
 * address, and the descriptor reserve. Owns the per-address counts
 * (struct admission_peer, refcounted by the sockets that hold them).
 *
 * Life of a socket: admission_accept() at accept time (before lws adopts it:
 * refuses when the address already holds max_http_connections_per_ip sockets
 * that are not WebSockets, or when the descriptor is too close to
 * RLIMIT_NOFILE) returns a peer reference the socket keeps until lws destroys
 * it (admission_release). A WebSocket upgrade is checked with
 * admission_check() and counted with admission_ws_add/remove. */
#ifndef HEARTH_ADMISSION_H
#define HEARTH_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>

#include "util/dict.h"

struct config;

enum admit {
    ADMIT_OK = 0,
    ADMIT_ORIGIN = 1,      /* Origin not allowed: 403 */
    ADMIT_TOTAL = 2,       /* max_connections reached: 503 */
    ADMIT_PER_IP = 3,      /* max_connections_per_ip reached: 503 */
    ADMIT_HTTP_PER_IP = 4, /* max_http_connections_per_ip reached: socket closed at accept */
    ADMIT_FDS = 5,         /* descriptor reserve reached: socket closed at accept */
    ADMIT_COUNT
};

#define ADMISSION_IP_MAX 48

struct admission_peer {
    struct dict_entry de;   /* key = ip */
    uint32_t sockets;       /* accepted sockets from ip still open (each holds a ref) */
    uint32_t websockets;    /* of those, established WebSockets */
    char ip[ADMISSION_IP_MAX];
};

struct admission {
    struct dict ips;       /* of struct admission_peer, owned */
    int fd_limit;          /* accept refuses descriptors >= this (RLIMIT_NOFILE - reserve) */
    uint32_t sockets;      /* accepted sockets open now, all addresses */
};

/* Also sizes RLIMIT_NOFILE to cfg's max_connections (admission.c, before
 * the lws context exists: lws sizes its descriptor table by it). */
void admission_init(struct admission *a, const struct config *cfg);
void admission_free(struct admission *a);

/* A socket from ip was accepted with descriptor fd. On ADMIT_OK *peer is a
 * reference the socket must give back with admission_release(); otherwise
 * the caller closes the socket. */
enum admit admission_accept(struct admission *a, const struct config *cfg, const char *ip, int fd,
                            struct admission_peer **peer);
void admission_release(struct admission *a, struct admission_peer *peer);

/* origin/host: the upgrade request's Origin and Host headers, NULL when
 * absent. nclients: WebSockets open on the node now. */
enum admit admission_check(const struct admission *a, const struct config *cfg, uint32_t nclients,
                           const char *ip, const char *origin, const char *host);
/* A WebSocket from ip opened / closed. add: 0 or -ENOMEM. */
int admission_add(struct admission *a, const char *ip);
void admission_remove(struct admission *a, const char *ip);

/* No Origin header (non-browser clients), or a match of an allowed_origins
 * pattern. A pattern is scheme://host[:port], where host may start with
 * "*." (any subdomain) and port may be "*"; scheme, host and port are
 * compared separately (case-insensitive), so "http://localhost:*" does not
 * admit "http://localhost.evil.com". Without allowed_origins the page's own
 * origin is admitted: Origin must name the listen port and a host that is
 * the listen address, a loopback name, or the Host header when that is not
 * a bare IP of another machine — the Host header alone (DNS rebinding) is not
 * trusted for the port. */
bool admission_origin_ok(const struct config *cfg, const char *origin, const char *host);

#endif
