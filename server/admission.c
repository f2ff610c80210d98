/* server/admission.c — Origin check and connection limits (see admission.h). */
#include "admission.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

struct ip_count {
    struct dict_entry de;   /* key = ip */
    uint32_t n;
    char ip[48];
};

void admission_init(struct admission *a) { dict_init(&a->ips); }

void admission_free(struct admission *a)
{
    struct dict_iter it;
    dict_iter_init(&it, &a->ips);
    for (struct dict_entry *e; (e = dict_next(&it));) {
        dict_remove(&a->ips, e);
        free(DICT_CONTAINER(e, struct ip_count, de));
    }
    dict_free(&a->ips);
}

static struct ip_count *find(const struct admission *a, const char *ip)
{
    struct dict_entry *e = dict_find(&a->ips, ip, strlen(ip));
    return e ? DICT_CONTAINER(e, struct ip_count, de) : NULL;
}

bool admission_origin_ok(const struct config *cfg, const char *origin, const char *host)
{
    if (!origin || !*origin)
        return true;
    const char *sep = strstr(origin, "://");
    if (host && sep && strcasecmp(sep + 3, host) == 0)
        return true;
    for (size_t i = 0; i < cfg->nallowed_origins; i++)
        if (fnmatch(cfg->allowed_origins[i], origin, FNM_CASEFOLD) == 0)
            return true;
    return false;
}

enum admit admission_check(const struct admission *a, const struct config *cfg, uint32_t nclients,
                           const char *ip, const char *origin, const char *host)
{
    if (!admission_origin_ok(cfg, origin, host))
        return ADMIT_ORIGIN;
    if (cfg->max_connections && nclients >= cfg->max_connections)
        return ADMIT_TOTAL;
    if (cfg->max_connections_per_ip) {
        const struct ip_count *c = find(a, ip);
        if (c && c->n >= cfg->max_connections_per_ip)
            return ADMIT_PER_IP;
    }
    return ADMIT_OK;
}

int admission_add(struct admission *a, const char *ip)
{
    struct ip_count *c = find(a, ip);
    if (!c) {
        if (!(c = calloc(1, sizeof(*c))))
            return -ENOMEM;
        strncpy(c->ip, ip, sizeof(c->ip) - 1);
        c->de.key = c->ip;
        c->de.klen = strlen(c->ip);
        if (dict_insert(&a->ips, &c->de) != 0) {
            free(c);
            return -ENOMEM;
        }
    }
    c->n++;
    return 0;
}

void admission_remove(struct admission *a, const char *ip)
{
    struct ip_count *c = find(a, ip);
    if (c && --c->n == 0) {
        dict_remove(&a->ips, &c->de);
        free(c);
    }
}
