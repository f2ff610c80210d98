/* server/api_text.c — the API's reply buffer and JSON value scanner (see
 * api_text.h). */
#include "server/api_text.h"

#include <stdlib.h>
#include <string.h>

void api_text_put(struct api_text *t, const char *s, size_t n)
{
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t ncap = t->cap ? t->cap : 256;
        while (ncap < t->len + n + 1)
            ncap *= 2;
        char *np = realloc(t->p, ncap);
        if (!np) {
            t->oom = true;
            return;
        }
        t->p = np;
        t->cap = ncap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

void api_text_puts(struct api_text *t, const char *s) { api_text_put(t, s, strlen(s)); }

static int put_cb(const char *buffer, size_t size, void *data)
{
    struct api_text *t = data;
    api_text_put(t, buffer, size);
    return t->oom ? -1 : 0;
}

void api_text_put_json(struct api_text *t, const json_t *v)
{
    if (!t->oom && json_dump_callback(v, put_cb, t, JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        t->oom = true;
}

char *api_text_take(struct api_text *t, size_t *len)
{
    if (t->oom || !t->p) {
        api_text_free(t);
        return NULL;
    }
    char *p = t->p;
    *len = t->len;
    memset(t, 0, sizeof(*t));
    return p;
}

void api_text_free(struct api_text *t)
{
    free(t->p);
    memset(t, 0, sizeof(*t));
}

const char *json_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

const char *json_value_end(const char *p, const char *end)
{
    size_t depth = 0;
    if (p >= end)
        return NULL;
    do {
        char c = *p;
        if (c == '"') {
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\' && ++p == end)
                    return NULL;
            if (p == end)
                return NULL;
            p++;
        } else if (c == '{' || c == '[') {
            depth++;
            p++;
        } else if (c == '}' || c == ']') {
            if (!depth)
                return NULL;
            depth--;
            p++;
        } else if (depth) {
            p++; /* inside a container: anything else is scanned over */
        } else { /* a scalar at the top: up to a delimiter */
            const char *s = p;
            while (p < end && !strchr(" \t\r\n,:]}[{\"", *p))
                p++;
            return p > s ? p : NULL;
        }
    } while (depth && p < end);
    return depth ? NULL : p;
}
