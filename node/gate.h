/* node/gate.h — the one publish path: every publish (a client's, the API's
 * publish/broadcast/batch, later the community layer's) goes through
 * gate_publish(), which does the checks both transports need (namespace,
 * client permission, size 106, the JSON/binary rule 107), runs the
 * namespace's publish hooks in registration order, counts
 * stats.publications and hands the publication to the engine. The outcome
 * comes back through ONE callback. Transport-specific checks and error
 * shapes stay with the caller. Loop thread only; no globals.
 *
 * Cost: with no hook registered for a namespace the gate does a count check
 * and an array index, no allocation beyond what the engine does. */
#ifndef HEARTH_GATE_H
#define HEARTH_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "protocol/publication.h"
#include "rooms/engine.h"

struct node;
struct gate_req;

enum gate_origin { GATE_CLIENT, GATE_API };

/* What a publish asks for. All pointers are BORROWED for the duration of
 * the gate_publish() call only (the gate copies what it keeps). */
struct gate_pub {
    struct span channel;
    struct span data;
    bool has_data;                 /* false: the request carried no data (107) */
    bool is_json;                  /* data is one valid JSON value */
    enum gate_origin origin;
    const struct clientinfo *info; /* publisher's clientinfo; NULL for API */
    uint32_t subject;              /* access_subject() bits of the caller (client origin) */
    bool subscribed;               /* the client holds a sub to channel (private channels) */
    bool skip_history;
    uint32_t marks;                /* GATE_MARK_* bits hooks may read (gate_req_marks()) */
};

/* Marks a publish carries through the hook chain. REVIEWED: a moderator
 * approved this publication (mod.approve): it was held once, already has its
 * canonical form, and a filter must not hold it again. */
#define GATE_MARK_REVIEWED 1u

/* The outcome. code 0 = published (offset/epoch set when history is kept);
 * held = a hook kept the publication (code is 1001 "held for review"). */
struct gate_outcome {
    uint32_t code;
    const char *message;   /* borrowed, valid during the callback */
    bool held;
    uint64_t offset;
    const char *epoch;     /* borrowed, valid during the callback; NULL = none */
};
#define GATE_HELD_CODE 1001u
#define GATE_HELD_MESSAGE "held for review"

typedef void gate_done_cb(void *arg, const struct gate_outcome *out);

/* Caller-owned storage for one publish: it must stay alive until done runs
 * (exactly once; possibly before gate_publish returns). Embed it in the
 * caller's context; the gate never frees it. */
struct gate_call {
    gate_done_cb *done;
    void *arg;
    struct gate_req *req;  /* gate-internal */
};

/* ---- hooks ---- */

enum gate_verdict_kind { GATE_ALLOW, GATE_DENY, GATE_HOLD, GATE_TRANSFORM, GATE_ASYNC };

struct gate_verdict {
    enum gate_verdict_kind kind;
    uint32_t code;          /* DENY */
    const char *message;    /* DENY: borrowed until the gate returns/resumes (it copies) */
    struct span data;       /* TRANSFORM: the new bytes (the gate copies them) */
    bool is_json;           /* TRANSFORM */
};

/* A publish hook sees the request (owned by the gate; valid until the hook
 * returns, or for ASYNC until gate_resume()). HOLD: the hook keeps what it
 * needs (gate_req_publication() + publication_ref()) — the gate forgets it.
 * ASYNC: the hook must call gate_resume(req, ...) exactly once later. */
typedef struct gate_verdict gate_pub_hook(void *ctx, struct gate_req *req);

/* Accessors for hooks (the request is the gate's). */
struct publication *gate_req_publication(struct gate_req *req); /* borrowed */
const struct ns_config *gate_req_ns(const struct gate_req *req);  /* borrowed */
enum gate_origin gate_req_origin(const struct gate_req *req);
uint32_t gate_req_subject(const struct gate_req *req);  /* gate_pub.subject */
uint32_t gate_req_marks(const struct gate_req *req);    /* gate_pub.marks */

/* Resume a request whose hook answered ASYNC: the chain continues with v
 * (ASYNC again is treated as an internal error). A hook must not call it
 * before it has returned ASYNC (a store that answers at once: take the
 * verdict and return it instead). After gate_free() answered the caller it
 * only frees the request, so a hook always resumes what it parked. */
void gate_resume(struct gate_req *req, struct gate_verdict v);

/* ---- subscribe ---- */

/* What a subscribe asks for (borrowed for the gate_subscribe() call). */
struct gate_sub {
    struct span channel;
    enum gate_origin origin;       /* GATE_CLIENT: a client's subscribe; GATE_API: server-side */
    const char *user;              /* "" anonymous */
    const char *client;            /* client id */
    bool binary_ok;                /* the connection's wire carries binary namespaces */
    bool check_access;             /* client subscribe without a subscription token */
    uint32_t subject;              /* access_subject() bits (check_access) */
};

/* A subscribe hook: ALLOW or DENY(code, message). Synchronous only for now
 * (ASYNC/HOLD/TRANSFORM are treated as 100 "internal server error"). */
typedef struct gate_verdict gate_sub_hook(void *ctx, const struct gate_sub *req,
                                          const struct ns_config *ns);

/* Which namespaces a hook applies to, decided from the namespace itself
 * (e.g. "every chat namespace"): evaluated whenever the map is rebuilt, so it
 * follows config reloads. Pure. */
typedef bool gate_ns_pred(const struct ns_config *ns);

/* A connect hook: runs after a client's credentials are verified, before it
 * is connected. ALLOW, or DENY with a disconnect code (3000..4999) and reason
 * (borrowed static or ctx-owned). Synchronous. */
typedef struct gate_verdict gate_conn_hook(void *ctx, const char *user, uint32_t subject);

struct gate_hook {
    char *ns_name;          /* owned; NULL = every namespace (unless where) */
    gate_ns_pred *where;    /* set: applies where it is true (ns_name unused) */
    gate_pub_hook *pub;     /* one of pub / sub is set */
    gate_sub_hook *sub;
    void *ctx;              /* borrowed: the registering module's */
};

struct gate {
    struct node *node;                 /* borrowed: the owner */
    struct gate_hook *hooks;           /* owned, registration order */
    uint32_t nhooks;
    const struct config *bound;        /* the config by_ns was built for */
    uint8_t *has_hooks;                /* owned: per namespace index of bound: GATE_HAS_PUB|GATE_HAS_SUB */
    struct gate_req *pending;          /* owned: list of requests awaiting gate_resume() */
    struct gate_conn { gate_conn_hook *fn; void *ctx; } *conn; /* owned array, in order */
    uint32_t nconn;
};

void gate_init(struct gate *g, struct node *n);
/* Frees the hooks; every request still awaiting gate_resume() has its
 * caller's done run once with 100 "internal server error" (so the caller can
 * free its context) and is freed by that later gate_resume() (call before
 * the clients are torn down). */
void gate_free(struct gate *g);

/* The running config was replaced (reload): the per-namespace hook map is
 * rebuilt from names on the next publish/subscribe. A freed config's
 * address may be reused, so the pointer alone does not tell. */
void gate_config_changed(struct gate *g);

/* Register a publish hook for namespace ns_name ("" = channels without a
 * namespace) or for all (NULL). Survives config reloads: namespaces are
 * matched by name against whatever config is running. 0 or -1 (OOM). */
int gate_hook_add(struct gate *g, const char *ns_name, gate_pub_hook *hook, void *ctx);

/* The same for a subscribe hook. */
int gate_sub_hook_add(struct gate *g, const char *ns_name, gate_sub_hook *hook, void *ctx);

/* Publish / subscribe hooks for the namespaces where is true for (e.g. chat
 * namespaces only, so the others pay nothing). 0 or -1 (OOM). */
int gate_hook_add_where(struct gate *g, gate_ns_pred *where, gate_pub_hook *hook, void *ctx);
int gate_sub_hook_add_where(struct gate *g, gate_ns_pred *where, gate_sub_hook *hook, void *ctx);

/* A connect hook (every connect, in registration order). 0 or -1 (OOM). */
int gate_connect_hook_add(struct gate *g, gate_conn_hook *hook, void *ctx);
/* The connect check clients/ runs after authentication: 0 = connect, or a
 * disconnect code with *reason (borrowed) from the first hook that denied.
 * user "" = anonymous. */
uint32_t gate_connect(struct gate *g, const char *user, uint32_t subject, const char **reason);

/* The one subscribe check: channel name (107 "bad request"), namespace (102
 * "unknown channel"), binary namespace on a JSON wire (108 "not available"),
 * permission when check_access (103 "permission denied"), then the
 * namespace's subscribe hooks in order. Returns the namespace (borrowed from
 * the running config), or NULL with *code / *message (borrowed static or
 * the hook's) set. */
const struct ns_config *gate_subscribe(struct gate *g, const struct gate_sub *req,
                                       uint32_t *code, const char **message);

/* The one publish path. done runs exactly once (maybe before return). */
void gate_publish(struct gate *g, const struct gate_pub *p, struct gate_call *call,
                  gate_done_cb *done, void *arg);

#endif
