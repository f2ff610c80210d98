/* server/api_batch.c — the API's batch method: a body {"commands":[..]} of
 * {"<method>":{params}} objects run one after another through the node's
 * method table, at most api_max_batch_commands of them. A batch is checked
 * whole first (batch_scan) without keeping a tree, then each command is
 * read from the body as its turn comes and each reply encoded into one text
 * buffer as it arrives; the loop does not recurse when a method answers at
 * once, and batch inside a batch is refused, so nesting costs no stack. */
#include <stdlib.h>
#include <string.h>

#include "protocol/errors.h"
#include "server/api_internal.h"
#include "server/api_text.h"
#include "server/server.h"

/* A batch runs its commands one after another, reading each from the body
 * as its turn comes (batch_scan checked the whole body first, so a
 * malformed one is refused before anything runs) and encoding each reply
 * into out as it arrives: memory is the body, the replies' text and one
 * command. The loop is a trampoline like broadcast's. */
struct batch {
    struct server *srv;
    const char *p, *end;  /* borrowed (the body): the next command, the array's ']' */
    json_t *cmd;          /* owned: the command running, or NULL */
    const char *mname;    /* its method's name (borrowed from the table) */
    size_t nreplies;
    struct api_text out;  /* owned: {"replies":[ reply, ... */
    bool stepping, again;
    method_done *done;
    void *arg;
};

static void batch_step(struct batch *b);

static void batch_put(struct batch *b, json_t *r)
{
    if (b->nreplies++)
        api_text_put(&b->out, ",", 1);
    api_text_put_json(&b->out, r);
}

static void batch_one_done(void *arg, const struct method_reply *mr)
{
    struct batch *b = arg;
    static const char res_key[] = "{\"result\":";
    const char *text = mr->text;
    size_t len = mr->len;
    json_t *r = api_reply_json(mr);
    /* batch replies name the method instead of wrapping in "result" */
    json_t *res = json_object_get(r, "result");
    if (res || (text && len > sizeof(res_key) - 1 && !memcmp(text, res_key, sizeof(res_key) - 1))) {
        if (b->nreplies++)
            api_text_put(&b->out, ",", 1);
        api_text_puts(&b->out, "{\"");
        api_text_puts(&b->out, b->mname);
        api_text_puts(&b->out, "\":");
        if (res) {
            api_text_put_json(&b->out, res);
            api_text_puts(&b->out, "}");
        } else {
            api_text_put(&b->out, text + sizeof(res_key) - 1, len - (sizeof(res_key) - 1));
        }
    } else if (r || text) {
        if (b->nreplies++)
            api_text_put(&b->out, ",", 1);
        if (r)
            api_text_put_json(&b->out, r);
        else
            api_text_put(&b->out, text, len);
    } else {
        json_t *e = json_pack("{s:{s:i,s:s}}", "error", "code", ERR_INTERNAL, "message",
                              proto_error_message(ERR_INTERNAL));
        batch_put(b, e);
        json_decref(e);
    }
    json_decref(r);
    free(mr->text);
    if (b->stepping)
        b->again = true;
    else
        batch_step(b);
}

static void batch_refuse(struct batch *b, uint32_t code)
{
    json_t *e = json_pack("{s:{s:i,s:s}}", "error", "code", (int)code, "message",
                          proto_error_message(code));
    batch_put(b, e);
    json_decref(e);
}

static void batch_step(struct batch *b)
{
    b->stepping = true;
    while (b->p < b->end) {
        json_decref(b->cmd);
        b->cmd = NULL;
        const char *e = json_value_end(b->p, b->end);
        if (!e) /* batch_scan saw the body whole: cannot happen */
            e = b->end;
        json_t *cmd = json_loadb(b->p, (size_t)(e - b->p), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                                 NULL);
        b->p = json_skip_ws(e, b->end);
        if (b->p < b->end && *b->p == ',')
            b->p = json_skip_ws(b->p + 1, b->end);
        const char *k;
        json_t *v;
        const struct method *m = NULL;
        json_t *params = NULL;
        if (json_is_object(cmd) && json_object_size(cmd) == 1)
            json_object_foreach(cmd, k, v) {
                m = methods_find(&b->srv->node.methods, k, strlen(k));
                params = v;
            }
        if (m && !m->api)
            m = NULL;
        if (!m || !json_is_object(params) || m->fn == api_m_batch) {
            batch_refuse(b, cmd ? ERR_BAD_REQUEST : ERR_INTERNAL);
            json_decref(cmd);
            continue;
        }
        b->cmd = cmd; /* params borrow from it until the next command */
        b->mname = m->name;
        b->again = false;
        struct method_call call = {.origin = METHOD_API, .node = &b->srv->node, .ctx = m->ctx};
        m->fn(&call, params, batch_one_done, b);
        if (!b->again) { /* answers later: batch_one_done goes on from there */
            b->stepping = false;
            return;
        }
    }
    json_decref(b->cmd);
    api_text_puts(&b->out, "]}");
    struct method_reply r = {0};
    r.text = api_text_take(&b->out, &r.len);
    r.oom = r.text == NULL;
    method_done *done = b->done;
    void *arg = b->arg;
    free(b);
    /* batch's reply is top-level {"replies":[..]} (no "result" wrapper) */
    done(arg, &r);
}

/* Checks a batch body ({"commands":[..], ...}) whole without keeping it:
 * every value is parsed on its own and dropped. Returns 0 with the
 * commands array's contents in [*first, *end) (*ncmds of them; *first NULL
 * when "commands" is missing or not an array), or -1 when the body does not
 * decode (a duplicate key included) — as api_call's whole-body parse would. */
static int batch_scan(const char *body, size_t len, const char **first, const char **aend,
                      size_t *ncmds)
{
    const char *p = json_skip_ws(body, body + len), *end = body + len;
    *first = *aend = NULL;
    *ncmds = 0;
    if (p == end || *p != '{')
        return -1;
    p = json_skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return json_skip_ws(p + 1, end) == end ? 0 : -1;
    json_t *seen = json_object();
    int rc = -1;
    for (;;) {
        const char *ke = json_value_end(p, end);
        json_t *key = ke && *p == '"' ? json_loadb(p, (size_t)(ke - p), JSON_DECODE_ANY, NULL) : NULL;
        if (!json_is_string(key) || !seen || json_object_get(seen, json_string_value(key)) ||
            json_object_set(seen, json_string_value(key), json_null()) != 0) {
            json_decref(key);
            break;
        }
        bool is_cmds = !strcmp(json_string_value(key), "commands");
        json_decref(key);
        p = json_skip_ws(ke, end);
        if (p == end || *p != ':')
            break;
        p = json_skip_ws(p + 1, end);
        const char *ve = json_value_end(p, end);
        if (!ve)
            break;
        if (is_cmds && *p == '[') {
            const char *a = json_skip_ws(p + 1, end);
            *first = a;
            bool ok = true;
            while (ok && a < ve && *a != ']') {
                const char *e = json_value_end(a, ve);
                json_t *c = e ? json_loadb(a, (size_t)(e - a), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                                           NULL)
                              : NULL;
                ok = c != NULL;
                json_decref(c);
                if (!ok)
                    break;
                ++*ncmds;
                a = json_skip_ws(e, ve);
                if (a < ve && *a == ',') {
                    a = json_skip_ws(a + 1, ve);
                    ok = a < ve && *a != ']';
                } else {
                    ok = a < ve && *a == ']';
                }
            }
            if (!ok || a + 1 != ve || *a != ']')
                break;
            *aend = a;
        } else {
            json_t *v = json_loadb(p, (size_t)(ve - p), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
            json_decref(v);
            if (!v)
                break;
        }
        p = json_skip_ws(ve, end);
        if (p < end && *p == ',') {
            p = json_skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}' && json_skip_ws(p + 1, end) == end)
            rc = 0;
        break;
    }
    json_decref(seen);
    if (rc)
        *first = *aend = NULL;
    return rc;
}

int api_batch_start(struct server *srv, const char *body, size_t len, method_done *done, void *arg)
{
    const char *first = NULL, *aend = NULL;
    size_t n = 0;
    if (len && batch_scan(body, len, &first, &aend, &n) != 0)
        return 400;
    if (!first || n > srv->node.cfg->api_max_batch_commands) {
        method_error(done, arg, ERR_BAD_REQUEST, NULL);
        return 0;
    }
    struct batch *b = calloc(1, sizeof(*b));
    if (!b) {
        method_error(done, arg, ERR_INTERNAL, NULL);
        return 0;
    }
    *b = (struct batch){.srv = srv, .p = first, .end = aend, .done = done, .arg = arg};
    api_text_puts(&b->out, "{\"replies\":[");
    batch_step(b);
    return 0;
}

void api_m_batch(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    /* never called on params by the API: api_call runs batch on the body
     * text (api_batch_start); batch inside a batch is refused by batch_step */
    method_error(done, arg, ERR_BAD_REQUEST, NULL);
}
