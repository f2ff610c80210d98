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
    bool droppable;                /* its frames are FRAME_DROPPABLE (publication.h) */
    bool trusted;                  /* a community module publishing an event it built and
                                    * checked itself (chat edits, deletes, reaction counts):
                                    * the publish hooks are skipped */
    const char *api_user;          /* API origin: the request's top-level "user" (NULL =
                                    * none); hooks read it (gate_req_api_user) */
};

/* The outcome. code 0 = published (offset/epoch set when history is kept),
 * or acknowledged by a hook without a publication (GATE_ACK: the offset and
 * epoch of the earlier publication it stands for, when known);
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

/* ACK: answer the caller with success without publishing (a repeated
 * publish the hook recognises, e.g. a chat nonce seen before): the outcome
 * carries offset/epoch (0/NULL = unknown). Stops the chain. */
enum gate_verdict_kind { GATE_ALLOW, GATE_DENY, GATE_HOLD, GATE_TRANSFORM, GATE_ASYNC, GATE_ACK };

struct gate_verdict {
    enum gate_verdict_kind kind;
    uint32_t code;          /* DENY */
    const char *message;    /* DENY: borrowed until the gate returns/resumes (it copies) */
    struct span data;       /* TRANSFORM: the new bytes (the gate copies them) */
    bool is_json;           /* TRANSFORM */
    const struct clientinfo *info; /* TRANSFORM: new publisher info (copied); NULL = keep */
    uint64_t offset;        /* ACK */
    const char *epoch;      /* ACK: borrowed until the gate returns/resumes; NULL = none */
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
/* The API request's "user" (gate_pub.api_user), or NULL. Borrowed from the
 * request. */
const char *gate_req_api_user(const struct gate_req *req);
/* Asks to be told the request's final outcome (published with its offset,
 * denied, held, acknowledged or failed): fn(ctx, outcome) runs once, just
 * before the caller's done. One watcher per request (a second call replaces
 * the first). For a hook that keeps state about the publication (a chat
 * nonce remembers the offset it was published at). */
void gate_req_watch(struct gate_req *req, gate_done_cb *fn, void *ctx);

/* Resume a request whose hook answered ASYNC: the chain continues with v
 * (ASYNC again is treated as an internal error). A hook must not call it
 * before it has returned ASYNC (a store that answers at once: take the
 * verdict and return it instead). After gate_free() answered the caller it
 * only frees the request. */
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

/* ---- history views ---- */

/* A history read of a namespace with a view hook (gate_history()). The
 * gate holds a reference to each publication of the store's answer; a view
 * hook rewrites the answer in place (replace pubs[i] with a new publication
 * built once for this read: unref the old one) and calls
 * gate_view_resume() exactly once, now or later (it may read the store
 * meanwhile). Owned by the gate. */
struct gate_view;
typedef void gate_view_hook(void *ctx, struct gate_view *v);

struct span gate_view_channel(const struct gate_view *v);   /* borrowed from v */
const char *gate_view_epoch(const struct gate_view *v);     /* borrowed from v */
/* The answer's publications in the order asked for (borrowed array; the
 * entries may be replaced as said above). */
struct publication **gate_view_pubs(struct gate_view *v, size_t *n);
/* The namespace's config: valid while the hook runs synchronously; NULL
 * after it went async (a reload may have freed it). */
const struct ns_config *gate_view_ns(const struct gate_view *v);
/* err 0: go on (next view hook, then the caller); else the read fails with
 * err (an ENGINE_E* code). */
void gate_view_resume(struct gate_view *v, int err);

/* Which namespaces a hook is for, decided against each config (so a reload
 * that adds or drops a namespace with, e.g., "chat": true is followed). */
typedef bool gate_ns_pred(const struct ns_config *ns);

struct gate_hook {
    char *ns_name;          /* owned; NULL = every namespace (or as where says) */
    gate_ns_pred *where;    /* NULL = by ns_name */
    gate_pub_hook *pub;     /* one of pub / sub / view is set */
    gate_sub_hook *sub;
    gate_view_hook *view;
    void *ctx;              /* borrowed: the registering module's */
};

struct gate {
    struct node *node;                 /* borrowed: the owner */
    struct gate_hook *hooks;           /* owned, registration order */
    uint32_t nhooks;
    const struct config *bound;        /* the config by_ns was built for */
    uint8_t *has_hooks;                /* owned: per namespace index of bound: GATE_HAS_PUB|GATE_HAS_SUB */
    struct gate_req *pending;          /* owned: list of requests awaiting gate_resume() */
};

void gate_init(struct gate *g, struct node *n);
/* Frees the hooks and every request still awaiting gate_resume(); each such
 * caller gets its done once with 100 "internal server error" so it can free
 * its context (call before the clients are torn down). */
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

/* A publish hook (or a view hook) for every namespace where(ns) is true, in
 * whatever config runs. 0 or -1 (OOM). */
int gate_hook_add_where(struct gate *g, gate_ns_pred *where, gate_pub_hook *hook, void *ctx);
int gate_view_add_where(struct gate *g, gate_ns_pred *where, gate_view_hook *hook, void *ctx);

/* The one history read (client history, subscribe with recovery, the API's
 * history): store->ops->history, then the namespace's view hooks. A
 * namespace without a view hook is the store call itself (no copy, no
 * allocation). Same contract as store_ops.history: 0 and cb runs exactly
 * once (maybe before return), or nonzero and cb never runs. */
int gate_history(struct gate *g, struct span channel, const struct ns_config *ns,
                 const struct history_query *q, store_history_cb *cb, void *arg);

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
