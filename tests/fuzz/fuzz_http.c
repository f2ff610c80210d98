/* tests/fuzz/fuzz_http.c — libFuzzer target: the HTTP request handling that
 * is ours rather than libwebsockets' (server/http_parse.c: Content-Length
 * validation, the path of a URI, API credentials in Authorization) and the
 * Origin check (server/admission.c: origin and pattern parsing, the
 * same-origin rule against a Host header). The input is split at the first
 * two NUL bytes into up to three fields reused across the calls. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/admission.h"
#include "config/config.h"
#include "server/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    /* fields: a, b, c (NUL-separated; missing ones are empty) */
    char *a = buf, *b = memchr(a, 0, size) ? a + strlen(a) + 1 : buf + size, *c;
    if (b > buf + size)
        b = buf + size;
    c = b < buf + size ? b + strlen(b) + 1 : buf + size;
    if (c > buf + size)
        c = buf + size;

    uint64_t cl;
    if (http_content_length(buf, size, &cl) == 0 && cl > 999999999999999ull)
        abort(); /* at most 15 digits */
    size_t pl = http_path_len(buf, size);
    if (pl > size)
        abort();
    const char *k;
    size_t kl;
    if (http_auth_key(buf, size, &k, &kl) == 0 && (k < buf || k + kl > buf + size || !kl))
        abort();

    /* Origin a against Host b, with c as the one allowed pattern */
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    char *pats[1] = {c};
    cfg.allowed_origins = pats;
    cfg.nallowed_origins = *c ? 1 : 0;
    (void)admission_origin_ok(&cfg, a, *b ? b : NULL);
    free(buf);
    return 0;
}
