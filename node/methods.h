/* node/methods.h — the one method table behind the client protocol's `rpc`
 * and the HTTP API's POST /api/<method>: each entry is a name, a
 * transport-neutral handler, who may call it (a role mask for rpc callers,
 * whether it is on the HTTP API), a rate class (its cost in the caller's
 * command rate bucket) and its call counters. Modules register their methods
 * at start (methods_register()); lookup by name is a hash (util/dict.h); the
 * counters are allocated with the entry, so the table has no slot limit.
 *
 * A handler gets the call (origin, caller, node, the registration's ctx) and
 * its params (a JSON object) and answers exactly once, now or later, through
 * the done callback with a result or an error (code + message). Loop thread
 * only; the table lives in struct node (node/node.h). */
#ifndef HEARTH_METHODS_H
#define HEARTH_METHODS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/dict.h"

struct node;

enum method_origin { METHOD_RPC, METHOD_API };

/* Who is calling. Borrowed by the handler until it returns: an asynchronous
 * answer copies what it needs. */
struct method_call {
    enum method_origin origin;
    struct node *node;      /* borrowed */
    void *ctx;              /* the ctx given at registration */
    const char *user;       /* rpc: the caller's user id ("" anonymous); API: NULL */
    const char *client;     /* rpc: the caller's client id; API: NULL */
    uint32_t roles;         /* rpc: the caller's subject bits (access_subject()); API: 0 */
};

/* One answer. code 0 is a success with result (NULL = {}), or, for API-only
 * methods whose answers are big (broadcast, batch), text: the whole HTTP
 * reply already encoded (len bytes, NUL after it) used instead of result.
 * code != 0 is an error with message (NULL = proto_error_message(code)).
 * oom: no answer could be built (the API answers HTTP 500, rpc 100). done
 * owns result and text once called (it frees them); message is borrowed. */
struct method_reply {
    uint32_t code;
    const char *message;
    json_t *result;
    char *text;
    size_t len;
    bool oom;
};

typedef void method_done(void *arg, const struct method_reply *r);

/* params: a JSON object, borrowed until the handler returns (incref to keep
 * it). The handler calls done(arg, ..) exactly once, before or after it
 * returns. */
typedef void method_fn(const struct method_call *call, json_t *params, method_done *done,
                       void *arg);

/* Outcome slots of the per-method counters. API: by HTTP status; rpc: by
 * whether the answer was a success. */
enum method_stat {
    MSTAT_HTTP_200, MSTAT_HTTP_400, MSTAT_HTTP_401, MSTAT_HTTP_404, MSTAT_HTTP_413,
    MSTAT_HTTP_500, MSTAT_RPC_OK, MSTAT_RPC_ERROR, MSTAT_COUNT
};
#define MSTAT_HTTP_COUNT 6
/* The HTTP status a slot counts (slot < MSTAT_HTTP_COUNT). */
int method_stat_http_status(enum method_stat s);
/* The slot for an HTTP status, or -1 if it is not counted. */
int method_stat_of_http_status(int status);

/* What a module registers (copied; name is copied too). */
struct method_spec {
    const char *name;
    method_fn *fn;
    void *ctx;              /* handed to fn in call->ctx */
    uint32_t rpc_roles;     /* role bits (config/access.h) an rpc caller needs one of
                               (admin passes); 0 = not callable over rpc */
    bool api;               /* on the HTTP API (/api/<name>) */
    uint32_t rate_cost;     /* commands charged to an rpc caller's rate bucket; 0 = 1 */
};

struct method {
    struct dict_entry de;   /* key = name */
    char *name;             /* owned */
    method_fn *fn;
    void *ctx;              /* borrowed from the registering module */
    uint32_t rpc_roles;
    bool api;
    uint32_t rate_cost;     /* >= 1 */
    uint64_t *calls;        /* owned: MSTAT_COUNT counters, allocated at registration */
};

struct methods {
    struct dict by_name;    /* struct method by name */
    struct method **all;    /* owned array of owned entries, in registration order */
    size_t count, cap;
    uint64_t unknown[MSTAT_COUNT]; /* API calls naming no API method ("unknown") */
};

void methods_init(struct methods *t);
void methods_free(struct methods *t);
/* 0; -EEXIST for a name already registered; -EINVAL for an empty name, no
 * fn, or neither rpc nor API; -ENOMEM. */
int methods_register(struct methods *t, const struct method_spec *spec);
/* The entry named name (len bytes), or NULL. */
const struct method *methods_find(const struct methods *t, const char *name, size_t len);
/* The rpc-callable entry named name, or NULL (unknown or API-only: 104). */
const struct method *methods_find_rpc(const struct methods *t, const char *name, size_t len);
/* May an rpc caller with these subject bits (access_subject()) call m?
 * False answers 103. */
bool method_rpc_allows(const struct method *m, uint32_t subject);
/* Counts one call of m (NULL = the "unknown" counters) in slot s. */
void methods_count(struct methods *t, const struct method *m, enum method_stat s);
/* Counters of m (NULL = "unknown"): MSTAT_COUNT values. */
const uint64_t *methods_stats(const struct methods *t, const struct method *m);

/* Answer helpers: a success (steals result, NULL = {}) and an error
 * (message NULL = proto_error_message(code)). */
void method_ok(method_done *done, void *arg, json_t *result);
void method_error(method_done *done, void *arg, uint32_t code, const char *message);

#endif
