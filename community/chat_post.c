/* community/chat_post.c — a publish into a chat namespace (the gate's
 * publish hook): the data becomes the canonical message
 * (chat_message_parse; 107 with the reason otherwise), an API publish gets
 * its author from "user" (default "api"), a reply_to must name a message
 * still in the channel's history (a store read: the hook may go async), and
 * a nonce seen from the same user in the channel within 5 minutes is
 * acknowledged (GATE_ACK) with the first publication's offset instead of
 * being published again (a chat.nonce record put NX; a gate watcher stores
 * the offset once published, or drops the record when the publish failed).
 *
 * Ownership: struct post_ctx is the hook's from the hook call until its
 * verdict is given (returned, or gate_resume()); struct nonce_watch is the
 * watcher's until the outcome. A verdict returned synchronously points into
 * the module's scratch (the gate copies it right after the hook returns). */
#include "community/chat_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/errors.h"
#include "util/log.h"

struct post_ctx {
    struct chat *c;               /* borrowed */
    struct gate_req *req;         /* the gate's */
    const struct ns_config *ns;   /* borrowed: only while the hook runs synchronously */
    char *json;                   /* owned: the canonical form */
    size_t len;
    bool override_info;           /* an API publish: the author is user */
    char user[160];               /* the author's user key (nonce key) / API author */
    char *channel;                /* owned */
    uint64_t reply_to;
    bool has_nonce;
    char nonce[CHAT_NONCE_MAX + 1];
    size_t nonce_len;
    char ack_epoch[CHAT_EPOCH_MAX + 1];
    bool in_hook, sync;           /* a verdict came while the hook still ran */
    struct gate_verdict v;
};

struct nonce_watch {
    struct chat *c;
    int64_t expire_ms;
    size_t klen;
    char key[];
};

static void post_free(struct post_ctx *x)
{
    free(x->json);
    free(x->channel);
    free(x);
}

/* Gives the verdict: returned by the hook when it still runs, else resumed.
 * noinline: inlined into the hook, GCC's -O3 use-after-free analysis cannot
 * see that in_hook is still true there and warns on the free. */
__attribute__((noinline)) static void post_finish(struct post_ctx *x, struct gate_verdict v)
{
    if (x->in_hook) {
        x->v = v;
        x->sync = true;
        return;
    }
    gate_resume(x->req, v);
    post_free(x);
}

static struct gate_verdict deny(uint32_t code, const char *why)
{
    return (struct gate_verdict){.kind = GATE_DENY, .code = code, .message = why};
}

/* The success verdict: the canonical bytes, and for the API its author. */
static struct gate_verdict transform(struct post_ctx *x, struct clientinfo *ci)
{
    struct gate_verdict v = {.kind = GATE_TRANSFORM, .data = {(const uint8_t *)x->json, x->len},
                             .is_json = true};
    if (x->override_info) {
        *ci = (struct clientinfo){.user = span_str(x->user)};
        v.info = ci;
    }
    return v;
}

static void post_done(struct post_ctx *x)
{
    struct clientinfo ci;
    if (x->in_hook) {
        post_finish(x, (struct gate_verdict){.kind = GATE_TRANSFORM}); /* filled at return */
        return;
    }
    gate_resume(x->req, transform(x, &ci));
    post_free(x);
}

static void on_nonce_outcome(void *arg, const struct gate_outcome *out)
{
    struct nonce_watch *w = arg;
    struct store *st = w->c->node->store;
    if (w->c->stopped) { /* shutdown: the record expires by itself */
        free(w);
        return;
    }
    struct span key = {(const uint8_t *)w->key, w->klen};
    if (out->code == 0 && !out->held) {
        char val[64 + CHAT_EPOCH_MAX];
        int n = snprintf(val, sizeof(val), "%" PRIu64 " %s", out->offset,
                         out->epoch ? out->epoch : "");
        struct record r = {.key = key, .value = {(const uint8_t *)val, (size_t)n},
                           .expire_ms = w->expire_ms};
        st->ops->record_put(st, chat_kind(CHAT_KIND_NONCE), &r, 0, NULL, NULL);
    } else { /* not published: the same nonce may try again */
        st->ops->record_del(st, chat_kind(CHAT_KIND_NONCE), key, NULL, NULL);
    }
    free(w);
}

static int nonce_key(struct post_ctx *x, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s\x1f%s\x1f", x->channel, x->user);
    if (n < 0 || (size_t)n + x->nonce_len > cap)
        return -1;
    memcpy(buf + n, x->nonce, x->nonce_len);
    return n + (int)x->nonce_len;
}

static void on_nonce(void *arg, int err, const struct record *recs, size_t n)
{
    struct post_ctx *x = arg;
    if (err || x->c->stopped)
        return post_finish(x, deny(ERR_INTERNAL, NULL));
    if (n == 1) { /* seen: acknowledge with the first publication's position */
        uint64_t off = 0;
        char val[64 + CHAT_EPOCH_MAX] = "";
        size_t vn = recs[0].value.n < sizeof(val) - 1 ? recs[0].value.n : sizeof(val) - 1;
        memcpy(val, recs[0].value.p, vn);
        val[vn] = 0;
        char *sp = strchr(val, ' ');
        if (sp) {
            *sp = 0;
            off = strtoull(val, NULL, 10);
            snprintf(x->ack_epoch, sizeof(x->ack_epoch), "%s", sp + 1);
        }
        return post_finish(x, (struct gate_verdict){.kind = GATE_ACK, .offset = off,
                                                    .epoch = off ? x->ack_epoch : NULL});
    }
    /* first time: remember where it gets published (or forget it) */
    char key[RECORD_KEY_MAX + 1];
    int kn = nonce_key(x, key, sizeof(key));
    struct nonce_watch *w = kn > 0 ? malloc(sizeof(*w) + (size_t)kn) : NULL;
    if (!w) {
        struct store *st = x->c->node->store;
        if (kn > 0)
            st->ops->record_del(st, chat_kind(CHAT_KIND_NONCE),
                                (struct span){(const uint8_t *)key, (size_t)kn}, NULL, NULL);
        return post_finish(x, deny(ERR_INTERNAL, NULL));
    }
    w->c = x->c;
    w->expire_ms = node_now_ms(x->c->node) + CHAT_NONCE_TTL_MS;
    w->klen = (size_t)kn;
    memcpy(w->key, key, (size_t)kn);
    gate_req_watch(x->req, on_nonce_outcome, w);
    post_done(x);
}

static void step_nonce(struct post_ctx *x)
{
    if (x->c->stopped)
        return post_finish(x, deny(ERR_INTERNAL, NULL));
    if (!x->has_nonce || !chat_has_records(x->c))
        return post_done(x);
    char key[RECORD_KEY_MAX + 1];
    int kn = nonce_key(x, key, sizeof(key));
    if (kn < 0)
        return post_finish(x, deny(ERR_BAD_REQUEST, "channel and nonce too long"));
    struct store *st = x->c->node->store;
    struct record r = {.key = {(const uint8_t *)key, (size_t)kn}, .value = {(const uint8_t *)"", 0},
                       .expire_ms = node_now_ms(x->c->node) + CHAT_NONCE_TTL_MS};
    if (st->ops->record_put(st, chat_kind(CHAT_KIND_NONCE), &r, RECORD_NX, on_nonce, x) != 0)
        post_finish(x, deny(ERR_INTERNAL, NULL));
}

static void on_reply_found(void *arg, const struct chat_found *f)
{
    struct post_ctx *x = arg;
    if (f->err)
        return post_finish(x, deny(ERR_INTERNAL, NULL));
    if (!f->pub || !f->is_message)
        return post_finish(x, deny(ERR_BAD_REQUEST, "reply_to names no message in history"));
    step_nonce(x);
}

struct gate_verdict chat_on_publish(void *ctx, struct gate_req *req)
{
    struct chat *c = ctx;
    struct publication *pub = gate_req_publication(req);
    const struct ns_config *ns = gate_req_ns(req);
    /* a held message a moderator approved: this hook made its canonical
     * form when it was first posted (mod.approve, community/queue.c) */
    if (gate_req_marks(req) & GATE_MARK_REVIEWED)
        return (struct gate_verdict){.kind = GATE_ALLOW};
    if (!pub->data_is_json)
        return deny(ERR_BAD_REQUEST, "a chat message is JSON");
    struct chat_limits lim = {.max_text = ns->chat_max_text, .max_mentions = ns->chat_max_mentions};
    struct chat_message m;
    int rc = chat_message_parse(pub->data.p, pub->data.n, &lim, node_now_ms(c->node), &m);
    if (rc) {
        chat_message_free(&m);
        return rc == -EINVAL ? deny(ERR_BAD_REQUEST, m.why) : deny(ERR_INTERNAL, NULL);
    }
    const char *api_user = NULL;
    if (gate_req_origin(req) == GATE_API) {
        api_user = gate_req_api_user(req);
        if (api_user && (!*api_user || strlen(api_user) > 128)) {
            chat_message_free(&m);
            return deny(ERR_BAD_REQUEST, "user must be a string of 1..128 bytes");
        }
        if (!api_user)
            api_user = "api";
    }
    if (!m.reply_to && !(m.has_nonce && chat_has_records(c))) {
        /* the common case: nothing to read, no context (the gate copies the
         * bytes and info from the scratch right after the hook returns) */
        free(c->scratch);
        c->scratch = m.json;
        struct gate_verdict v = {.kind = GATE_TRANSFORM,
                                 .data = {(const uint8_t *)m.json, m.len}, .is_json = true};
        if (api_user) {
            snprintf(c->scratch_user, sizeof(c->scratch_user), "%s", api_user);
            c->scratch_info = (struct clientinfo){.user = span_str(c->scratch_user)};
            v.info = &c->scratch_info;
        }
        return v;
    }
    struct post_ctx *x = calloc(1, sizeof(*x));
    char *channel = strndup((const char *)pub->channel.p, pub->channel.n);
    if (!x || !channel) {
        free(x);
        free(channel);
        chat_message_free(&m);
        return deny(ERR_INTERNAL, NULL);
    }
    *x = (struct post_ctx){.c = c, .req = req, .ns = ns, .json = m.json, .len = m.len,
                           .channel = channel, .reply_to = m.reply_to, .has_nonce = m.has_nonce,
                           .nonce_len = m.nonce_len};
    memcpy(x->nonce, m.nonce, sizeof(x->nonce));
    if (api_user) {
        x->override_info = true;
        snprintf(x->user, sizeof(x->user), "%s", api_user);
    } else {
        chat_user_key(x->user, sizeof(x->user), pub->info.user, pub->info.client);
    }

    x->in_hook = true;
    if (x->reply_to) {
        if (chat_find(c, pub->channel, ns, x->reply_to, false, on_reply_found, x) != 0) {
            x->v = deny(ERR_INTERNAL, NULL); /* in the hook: answered below, x kept */
            x->sync = true;
        }
    } else {
        step_nonce(x);
    }
    x->in_hook = false;
    x->ns = NULL;
    if (!x->sync)
        return (struct gate_verdict){.kind = GATE_ASYNC};
    /* answered at once: what the verdict points to must outlive x */
    struct gate_verdict v = x->v;
    if (v.kind == GATE_TRANSFORM) {
        free(c->scratch);
        c->scratch = x->json;
        x->json = NULL;
        v.data = (struct span){(const uint8_t *)c->scratch, x->len};
        v.is_json = true;
        if (x->override_info) {
            snprintf(c->scratch_user, sizeof(c->scratch_user), "%s", x->user);
            c->scratch_info = (struct clientinfo){.user = span_str(c->scratch_user)};
            v.info = &c->scratch_info;
        }
    } else if (v.kind == GATE_ACK && v.epoch) {
        free(c->scratch);
        c->scratch = strdup(v.epoch);
        v.epoch = c->scratch;
    }
    post_free(x);
    return v;
}
