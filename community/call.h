/* community/call.h — one community method call in flight: who asked (user,
 * roles, API or rpc), how to answer (the method table's done/arg), the
 * params it keeps, and the answer helpers that free it. Modules embed the
 * steps of their own methods around it (each keeps its own state in the
 * slots below). Owned by the call: freed exactly once, when it answers. */
#ifndef HEARTH_CALL_H
#define HEARTH_CALL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "node/methods.h"

struct node;

struct ccall {
    struct node *node;     /* borrowed */
    void *mod;             /* borrowed: the module (the method's ctx) */
    method_done *done;
    void *arg;
    json_t *params;        /* owned reference */
    char *user;            /* owned: the rpc caller ("" anonymous); "api" for the API */
    uint32_t roles;        /* rpc subject bits; 0 for the API */
    bool api;
    json_t *doc;           /* owned (optional): the record being worked on */
    json_t *extra;         /* owned (optional): a second one */
    int64_t n[4];          /* the module's own scratch numbers */
};

/* NULL on OOM (the caller answers 100). */
struct ccall *ccall_new(const struct method_call *mc, json_t *params, method_done *done,
                        void *arg);
/* Answer and free. ok steals result (NULL = {}). */
void ccall_ok(struct ccall *c, json_t *result);
void ccall_error(struct ccall *c, uint32_t code, const char *message);
/* The API, or an rpc caller with one of these role bits (admin always). */
bool ccall_has_role(const struct ccall *c, uint32_t roles);

/* Params helpers: the string at key when it is one of min..max bytes with
 * no NUL inside, else NULL. */
const char *param_str(json_t *params, const char *key, size_t min, size_t max);

#endif
