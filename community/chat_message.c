/* community/chat_message.c — the chat message validator and canonical form
 * (chat_message.h). Pure: owns nothing beyond what it returns (the
 * canonical JSON text, cleaned texts, mention arrays: the caller's). */
#include "community/chat_message.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int32_t chat_utf8_next(const uint8_t *s, size_t n, size_t *i)
{
    size_t at = *i;
    uint8_t c = s[at];
    int32_t cp;
    size_t len;
    if (c < 0x80) {
        *i = at + 1;
        return c;
    } else if (c >= 0xc2 && c <= 0xdf) {
        cp = c & 0x1f, len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        cp = c & 0x0f, len = 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
        cp = c & 0x07, len = 4;
    } else {
        return -1;
    }
    if (n - at < len)
        return -1;
    for (size_t k = 1; k < len; k++) {
        if ((s[at + k] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[at + k] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i = at + len;
    return cp;
}

static bool is_cc(int32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

int chat_text_clean(const char *s, size_t n, uint32_t max_cp, char **out, size_t *outlen,
                    const char **why)
{
    *out = NULL;
    char *o = malloc(n + 1);
    if (!o)
        return -ENOMEM;
    size_t w = 0, i = 0;
    uint32_t cps = 0;
    while (i < n) {
        size_t at = i;
        int32_t cp = chat_utf8_next((const uint8_t *)s, n, &i);
        if (cp < 0) {
            free(o);
            *why = "text is not valid UTF-8";
            return -EINVAL;
        }
        if (is_cc(cp) && cp != '\n' && cp != '\t')
            continue;
        if (++cps > max_cp) {
            free(o);
            *why = "text too long";
            return -EINVAL;
        }
        memcpy(o + w, s + at, i - at);
        w += i - at;
    }
    if (!w) {
        free(o);
        *why = "empty text";
        return -EINVAL;
    }
    o[w] = 0;
    *out = o;
    *outlen = w;
    return 0;
}

static bool mention_byte(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

int chat_mentions(const char *text, size_t n, uint32_t max, json_t **arr, const char **why)
{
    const uint8_t *t = (const uint8_t *)text;
    json_t *a = json_array();
    if (!a)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (t[i] != '@' || (i > 0 && mention_byte(t[i - 1])))
            continue;
        size_t j = i + 1;
        while (j < n && mention_byte(t[j]))
            j++;
        size_t len = j - i - 1;
        if (len >= 1 && len <= CHAT_MENTION_MAX) {
            bool seen = false;
            for (size_t k = 0; k < json_array_size(a) && !seen; k++) {
                json_t *m = json_array_get(a, k);
                seen = json_string_length(m) == len && !memcmp(json_string_value(m), t + i + 1, len);
            }
            if (!seen) {
                if (json_array_size(a) >= max) {
                    json_decref(a);
                    *why = "too many mentions";
                    return -EINVAL;
                }
                if (json_array_append_new(a, json_stringn((const char *)t + i + 1, len))) {
                    json_decref(a);
                    return -ENOMEM;
                }
            }
        }
        i = j - 1;
    }
    *arr = a;
    return 0;
}

bool chat_emoji_ok(const char *s, size_t n)
{
    if (!s || n == 0 || n > CHAT_EMOJI_MAX)
        return false;
    size_t i = 0;
    while (i < n) {
        int32_t cp = chat_utf8_next((const uint8_t *)s, n, &i);
        if (cp < 0xa0 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
            cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 ||
            cp == 0xfeff)
            return false; /* also -1 (invalid UTF-8), ASCII and C1 controls */
    }
    return true;
}

void chat_message_free(struct chat_message *m)
{
    free(m->json);
    m->json = NULL;
    m->len = 0;
}

static int refuse(struct chat_message *out, json_t *root, const char *why)
{
    json_decref(root);
    out->why = why;
    return -EINVAL;
}

int chat_message_parse(const uint8_t *p, size_t n, const struct chat_limits *lim, int64_t ts_ms,
                       struct chat_message *out)
{
    memset(out, 0, sizeof(*out));
    json_error_t jerr;
    json_t *root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL,
                            &jerr);
    if (!root)
        return refuse(out, NULL, "data is not a JSON object");
    if (!json_is_object(root))
        return refuse(out, root, "a chat message is an object {text, reply_to?, nonce?}");
    json_t *text = NULL, *reply = NULL, *nonce = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (!strcmp(k, "text"))
            text = v;
        else if (!strcmp(k, "reply_to"))
            reply = v;
        else if (!strcmp(k, "nonce"))
            nonce = v;
        else
            return refuse(out, root, "unknown key in a chat message");
    }
    if (!json_is_string(text))
        return refuse(out, root, "text must be a string");
    if (reply) {
        if (!json_is_integer(reply) || json_integer_value(reply) <= 0)
            return refuse(out, root, "reply_to must be a positive integer");
        out->reply_to = (uint64_t)json_integer_value(reply);
    }
    if (nonce) {
        if (!json_is_string(nonce) || json_string_length(nonce) > CHAT_NONCE_MAX)
            return refuse(out, root, "nonce must be a string of at most 64 bytes");
        out->has_nonce = true;
        out->nonce_len = json_string_length(nonce);
        memcpy(out->nonce, json_string_value(nonce), out->nonce_len);
        out->nonce[out->nonce_len] = 0;
    }
    char *clean;
    size_t clen;
    int rc = chat_text_clean(json_string_value(text), json_string_length(text), lim->max_text,
                             &clean, &clen, &out->why);
    if (rc) {
        json_decref(root);
        return rc;
    }
    json_t *mentions;
    rc = chat_mentions(clean, clen, lim->max_mentions, &mentions, &out->why);
    if (rc) {
        free(clean);
        json_decref(root);
        return rc;
    }
    json_t *canon = json_object();
    int bad = !canon || json_object_set_new(canon, "type", json_string("message")) ||
              json_object_set_new(canon, "text", json_stringn(clean, clen));
    if (!bad && out->reply_to)
        bad = json_object_set_new(canon, "reply_to", json_integer((json_int_t)out->reply_to));
    if (!bad)
        bad = json_object_set_new(canon, "mentions", mentions) ||
              json_object_set_new(canon, "ts", json_integer((json_int_t)ts_ms));
    else
        json_decref(mentions);
    free(clean);
    json_decref(root);
    out->json = bad ? NULL : json_dumps(canon, JSON_COMPACT);
    json_decref(canon);
    if (!out->json)
        return -ENOMEM;
    out->len = strlen(out->json);
    return 0;
}
