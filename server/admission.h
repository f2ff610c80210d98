/* server/admission.h — who may open a WebSocket on this node: the Origin
 * check (cross-site WebSocket hijacking) and the connection limits (total
 * and per peer address). Decided at the upgrade request, before a client
 * exists. Owns the per-address connection counts (struct admission). */
#ifndef HEARTH_ADMISSION_H
#define HEARTH_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>

#include "dict.h"

struct config;

enum admit {
    ADMIT_OK = 0,
    ADMIT_ORIGIN = 1,      /* Origin not allowed: 403 */
    ADMIT_TOTAL = 2,       /* max_connections reached: 503 */
    ADMIT_PER_IP = 3,      /* max_connections_per_ip reached: 503 */
};

struct admission {
    struct dict ips;       /* of struct ip_count (admission.c), owned */
};

void admission_init(struct admission *a);
void admission_free(struct admission *a);
/* origin/host: the request's Origin and Host headers, NULL when absent.
 * nclients: WebSockets open on the node now. */
enum admit admission_check(const struct admission *a, const struct config *cfg, uint32_t nclients,
                           const char *ip, const char *origin, const char *host);
/* A WebSocket from ip opened / closed. add: 0 or -ENOMEM. */
int admission_add(struct admission *a, const char *ip);
void admission_remove(struct admission *a, const char *ip);

/* No Origin header (non-browser clients), the page's own origin (Origin's
 * host:port equals Host), or a match of an allowed_origins pattern (glob,
 * case-insensitive, e.g. "https://chat.example.com" or "http://localhost:*"). */
bool admission_origin_ok(const struct config *cfg, const char *origin, const char *host);

#endif
