/* community/filters.c — filters.block / filters.hold matching
 * (docs/chat.md, "Filters"). Pure functions over the config's lists
 * (config/config.h struct chat_filter: words already ASCII-lower-cased).
 *
 * A word or phrase matches when it occurs in the message text compared
 * case-insensitively for ASCII letters (other bytes exactly), with every run
 * of whitespace in either counted as one space, and with a word boundary on
 * both sides: the byte before and the byte after the match are not word
 * bytes (ASCII letters, digits, '_', or any byte of a non-ASCII character),
 * or the text starts/ends there. So "spam" matches "SPAM!" and "buy spam
 * now" but not "spammer" or "antispam".
 *
 * "links" matches any URL: "http://" or "https://" anywhere (any case); a
 * token starting with "www." at a word boundary; or a bare domain — labels
 * of [a-z0-9-] joined by dots whose last label is one of a list of common
 * top-level domains (com net org io co gg tv me app dev xyz info biz ly to
 * be us uk ca de fr eu ru) not followed by another word byte.
 *
 * Also here: filter_text_of(), the message text the filters look at, read
 * from the publication's bytes without a full JSON parse in the common
 * case. No state. */
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "community/mod_internal.h"

static bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static char lower(unsigned char c) { return (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); }
static bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

/* Text normalized: ASCII lower case, whitespace runs as one ' '. Owned by
 * the caller; *out_len its length. */
static char *normalize(const char *t, size_t n, size_t *out_len)
{
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_space((unsigned char)t[i])) {
            if (k == 0 || s[k - 1] != ' ')
                s[k++] = ' ';
        } else {
            s[k++] = lower((unsigned char)t[i]);
        }
    }
    s[k] = 0;
    *out_len = k;
    return s;
}

/* Does word w match s at i? Returns the match's end, or 0. */
static size_t match_at(const char *s, size_t n, size_t i, const char *w)
{
    size_t j = i;
    while (*w) {
        if (is_space((unsigned char)*w)) {
            while (is_space((unsigned char)*w))
                w++;
            if (j >= n || s[j] != ' ')
                return 0;
            j++;
            continue;
        }
        if (j >= n || s[j] != *w)
            return 0;
        j++;
        w++;
    }
    return j;
}

static bool word_in(const char *s, size_t n, const char *w)
{
    while (is_space((unsigned char)*w))
        w++;
    if (!*w)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && word_byte((unsigned char)s[i - 1]))
            continue;
        size_t end = match_at(s, n, i, w);
        /* a word or phrase ending in a word byte needs a boundary after it */
        if (end && (end == n || !word_byte((unsigned char)s[end]) ||
                    !word_byte((unsigned char)s[end - 1])))
            return true;
    }
    return false;
}

static const char *const tlds[] = {"com", "net", "org", "io", "co", "gg", "tv", "me", "app",
                                   "dev", "xyz", "info", "biz", "ly", "to", "be", "us", "uk",
                                   "ca", "de", "fr", "eu", "ru"};

static bool label_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool has_link(const char *s, size_t n)
{
    if (strstr(s, "http://") || strstr(s, "https://"))
        return true;
    for (size_t i = 0; i + 4 <= n; i++)
        if (!memcmp(s + i, "www.", 4) && (i == 0 || !word_byte((unsigned char)s[i - 1])))
            return true;
    /* a bare domain: a dot with a label before it and a known TLD after */
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] != '.' || !label_byte((unsigned char)s[i - 1]))
            continue;
        size_t j = i + 1;
        while (j < n && s[j] >= 'a' && s[j] <= 'z')
            j++;
        if (j < n && word_byte((unsigned char)s[j]))
            continue; /* the label goes on: not a TLD end (e.g. "a.comx", "v1.2") */
        for (size_t t = 0; t < sizeof(tlds) / sizeof(tlds[0]); t++)
            if (strlen(tlds[t]) == j - i - 1 && !memcmp(s + i + 1, tlds[t], j - i - 1))
                return true;
    }
    return false;
}

bool filter_match(const struct chat_filter *f, const char *text, size_t len)
{
    if (!f->nwords && !f->links)
        return false;
    size_t n;
    char *s = normalize(text, len, &n);
    if (!s)
        return false;
    bool hit = f->links && has_link(s, n);
    for (size_t i = 0; !hit && i < f->nwords; i++)
        hit = word_in(s, n, f->words[i]);
    free(s);
    return hit;
}

/* ---- the message text, without a full parse ----
 * A scan of the top-level object for the last "text" member (as jansson
 * keeps the last of duplicate keys, and as JavaScript does). The common case
 * — a string without escapes under a key without escapes — is copied
 * straight from the bytes; anything else (escapes, a malformed value) falls
 * back to jansson, so the answer is always jansson's. */

static bool json_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static size_t skip_ws(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && json_ws(p[i]))
        i++;
    return i;
}

/* p[i] == '"': the index after the closing quote (0: unterminated); *esc
 * is set when the string holds a backslash. */
static size_t skip_str(const uint8_t *p, size_t n, size_t i, bool *esc)
{
    for (i++; i < n; i++) {
        if (p[i] == '\\') {
            *esc = true;
            i++;
        } else if (p[i] == '"') {
            return i + 1;
        }
    }
    return 0;
}

/* Any value at i: the index after it, 0 when malformed. */
static size_t skip_val(const uint8_t *p, size_t n, size_t i)
{
    bool esc = false;
    if (i >= n)
        return 0;
    if (p[i] == '"')
        return skip_str(p, n, i, &esc);
    if (p[i] == '{' || p[i] == '[') {
        size_t depth = 0;
        while (i < n) {
            if (p[i] == '"') {
                if (!(i = skip_str(p, n, i, &esc)))
                    return 0;
                continue;
            }
            if (p[i] == '{' || p[i] == '[')
                depth++;
            else if ((p[i] == '}' || p[i] == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return 0;
    }
    size_t s = i;
    while (i < n && p[i] != ',' && p[i] != '}' && p[i] != ']' && !json_ws(p[i]))
        i++;
    return i > s ? i : 0;
}

static char *text_by_jansson(const uint8_t *p, size_t n)
{
    /* big integers as reals: jansson would refuse the whole message (and
     * with it the filter) over an integer it cannot hold */
    json_t *v = json_loadb((const char *)p, n, JSON_DECODE_INT_AS_REAL, NULL);
    json_t *t = json_object_get(v, "text");
    char *s = json_is_string(t) ? strndup(json_string_value(t), json_string_length(t)) : NULL;
    json_decref(v);
    return s;
}

char *filter_text_of(const uint8_t *p, size_t n)
{
    size_t i = skip_ws(p, n, 0), vs = 0, ve = 0;
    bool found = false, is_str = false;
    if (i >= n || p[i] != '{')
        return NULL; /* not an object: no text */
    i = skip_ws(p, n, i + 1);
    if (i < n && p[i] == '}')
        return NULL;
    for (;;) {
        bool kesc = false, vesc = false;
        if (i >= n || p[i] != '"')
            return text_by_jansson(p, n);
        size_t ks = i;
        if (!(i = skip_str(p, n, i, &kesc)) || kesc)
            return text_by_jansson(p, n);
        bool is_text = i - ks == 6 && !memcmp(p + ks, "\"text\"", 6);
        i = skip_ws(p, n, i);
        if (i >= n || p[i] != ':')
            return text_by_jansson(p, n);
        i = skip_ws(p, n, i + 1);
        size_t v0 = i;
        if (is_text && i < n && p[i] == '"') {
            if (!(i = skip_str(p, n, i, &vesc)) || vesc)
                return text_by_jansson(p, n);
            found = is_str = true;
            vs = v0 + 1;
            ve = i - 1;
        } else {
            if (!(i = skip_val(p, n, i)))
                return text_by_jansson(p, n);
            if (is_text)
                found = true, is_str = false;
        }
        i = skip_ws(p, n, i);
        if (i < n && p[i] == ',') {
            i = skip_ws(p, n, i + 1);
            continue;
        }
        if (i < n && p[i] == '}' && skip_ws(p, n, i + 1) == n)
            break;
        return text_by_jansson(p, n);
    }
    return found && is_str ? strndup((const char *)p + vs, ve - vs) : NULL;
}
