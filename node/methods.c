/* node/methods.c — the method table: registration, lookup by name, call
 * counters and the answer helpers (see methods.h). */
#include "node/methods.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/access.h"
#include "protocol/errors.h"

static const int http_status[MSTAT_HTTP_COUNT] = {200, 400, 401, 404, 413, 500};

int method_stat_http_status(enum method_stat s)
{
    return (unsigned)s < MSTAT_HTTP_COUNT ? http_status[s] : 0;
}

int method_stat_of_http_status(int status)
{
    for (int i = 0; i < MSTAT_HTTP_COUNT; i++)
        if (http_status[i] == status)
            return i;
    return -1;
}

void methods_init(struct methods *t)
{
    memset(t, 0, sizeof(*t));
    dict_init(&t->by_name);
}

static void method_free(struct method *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->calls);
    free(m);
}

void methods_free(struct methods *t)
{
    for (size_t i = 0; i < t->count; i++)
        method_free(t->all[i]);
    free(t->all);
    dict_free(&t->by_name);
    methods_init(t);
}

int methods_register(struct methods *t, const struct method_spec *spec)
{
    if (!spec->name || !*spec->name || !spec->fn || (!spec->rpc_roles && !spec->api))
        return -EINVAL;
    size_t len = strlen(spec->name);
    if (dict_find(&t->by_name, spec->name, len))
        return -EEXIST;
    if (t->count == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        struct method **na = realloc(t->all, ncap * sizeof(*na));
        if (!na)
            return -ENOMEM;
        t->all = na;
        t->cap = ncap;
    }
    struct method *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->name = strdup(spec->name);
    m->calls = calloc(MSTAT_COUNT, sizeof(*m->calls));
    if (!m->name || !m->calls) {
        method_free(m);
        return -ENOMEM;
    }
    m->fn = spec->fn;
    m->ctx = spec->ctx;
    m->rpc_roles = spec->rpc_roles;
    m->api = spec->api;
    m->rate_cost = spec->rate_cost ? spec->rate_cost : 1;
    m->de.key = m->name;
    m->de.klen = len;
    if (dict_insert(&t->by_name, &m->de) != 0) {
        method_free(m);
        return -ENOMEM;
    }
    t->all[t->count++] = m;
    return 0;
}

const struct method *methods_find(const struct methods *t, const char *name, size_t len)
{
    struct dict_entry *e = name ? dict_find(&t->by_name, name, len) : NULL;
    return e ? DICT_CONTAINER(e, struct method, de) : NULL;
}

const struct method *methods_find_rpc(const struct methods *t, const char *name, size_t len)
{
    const struct method *m = methods_find(t, name, len);
    return m && m->rpc_roles ? m : NULL;
}

bool method_rpc_allows(const struct method *m, uint32_t subject)
{
    return m->rpc_roles && access_allows(m->rpc_roles, subject);
}

void methods_count(struct methods *t, const struct method *m, enum method_stat s)
{
    if ((unsigned)s >= MSTAT_COUNT)
        return;
    if (m)
        m->calls[s]++;
    else
        t->unknown[s]++;
}

const uint64_t *methods_stats(const struct methods *t, const struct method *m)
{
    return m ? m->calls : t->unknown;
}

void method_ok(method_done *done, void *arg, json_t *result)
{
    struct method_reply r = {.result = result};
    done(arg, &r);
}

void method_error(method_done *done, void *arg, uint32_t code, const char *message)
{
    struct method_reply r = {.code = code, .message = message ? message : proto_error_message(code)};
    done(arg, &r);
}
