/* community/filters.c — filters.block / filters.hold matching
 * (docs/moderation.md, "Filters"). Pure functions over the config's lists
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
 * be us uk ca de fr eu ru) not followed by another word byte. No state. */
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
