/* config/redis_addr.h — a Redis server address as the config names it
 * ("redis://[[user]:password@]host[:port][/db]"): parsed when the config is
 * loaded (so a bad URL is a config error) and again by rooms/redis_conn.c to
 * connect. Owns its strings. */
#ifndef HEARTH_REDIS_ADDR_H
#define HEARTH_REDIS_ADDR_H

#include <stddef.h>

struct redis_addr {
    char *host;        /* owned: IP literal or host name */
    int port;
    char *user;        /* owned or NULL (AUTH user pass) */
    char *password;    /* owned or NULL */
    int db;            /* SELECT on command connections when > 0 */
};

/* Parses "redis://[[user]:password@]host[:port][/db]" (also "host:port").
 * 0, or -1 with a message in err. */
int redis_addr_parse(const char *url, struct redis_addr *out, char *err, size_t errlen);
void redis_addr_free(struct redis_addr *a);

#endif
