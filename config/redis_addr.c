/* config/redis_addr.c — parses Redis URLs (see redis_addr.h). */
#include "config/redis_addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); redis_addr_free(out); return -1; } while (0)

int redis_addr_parse(const char *url, struct redis_addr *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;
    const char *p = url;
    if (!strncmp(p, "redis://", 8))
        p += 8;
    else if (strstr(p, "://"))
        FAIL("redis_url \"%s\": only redis:// is supported", url);
    const char *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pass = colon ? colon + 1 : p;
        if (colon && colon > p)
            out->user = strndup(p, (size_t)(colon - p));
        if (at > pass)
            out->password = strndup(pass, (size_t)(at - pass));
        p = at + 1;
    }
    const char *hend;
    if (*p == '[') { /* [v6]:port */
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb)
            FAIL("redis_url \"%s\": bad IPv6 address", url);
        out->host = strndup(p + 1, (size_t)(rb - p - 1));
        hend = rb + 1;
    } else {
        hend = memchr(p, ':', (size_t)(end - p));
        if (!hend)
            hend = end;
        out->host = strndup(p, (size_t)(hend - p));
    }
    if (!out->host || !*out->host)
        FAIL("redis_url \"%s\": no host", url);
    if (hend < end) {
        if (*hend != ':')
            FAIL("redis_url \"%s\": bad host:port", url);
        char *e;
        long port = strtol(hend + 1, &e, 10);
        if (e != end || e == hend + 1 || port <= 0 || port > 65535)
            FAIL("redis_url \"%s\": bad port", url);
        out->port = (int)port;
    }
    if (slash && slash[1]) {
        char *e;
        long db = strtol(slash + 1, &e, 10);
        if (*e || db < 0 || db > 1000000)
            FAIL("redis_url \"%s\": bad database number", url);
        out->db = (int)db;
    }
    return 0;
}

void redis_addr_free(struct redis_addr *a)
{
    free(a->host);
    free(a->user);
    free(a->password);
    memset(a, 0, sizeof(*a));
}
