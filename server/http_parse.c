/* server/http_parse.c — see http_parse.h. */
#include "server/http_parse.h"

#include <string.h>
#include <strings.h>

int http_content_length(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 15) /* 15 digits: far above any body we take, no overflow */
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

size_t http_path_len(const char *uri, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (uri[i] == '?' || uri[i] == '#' || uri[i] == 0)
            return i;
    return n;
}

int http_auth_key(const char *s, size_t n, const char **key, size_t *klen)
{
    static const char *const schemes[] = {"apikey", "bearer"};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t sl = strlen(schemes[i]);
        if (n <= sl || strncasecmp(s, schemes[i], sl) != 0 || s[sl] != ' ')
            continue;
        size_t b = sl, e = n;
        while (b < e && s[b] == ' ')
            b++;
        while (e > b && s[e - 1] == ' ')
            e--;
        if (b == e)
            return -1;
        *key = s + b;
        *klen = e - b;
        return 0;
    }
    return -1;
}
