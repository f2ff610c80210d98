/* tests/fuzz/fuzz_filters.c — libFuzzer target: community/filters.c on
 * untrusted message bytes. Input: any bytes. filter_text_of() must give
 * jansson's answer for every valid JSON input jansson reads (differential:
 * an abort is a finding) and never read out of bounds on anything; filter_match() runs the
 * word and "links" rules over the text. Leaks and crashes are findings. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "community/mod_internal.h"
#include "protocol/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *got = filter_text_of(data, size);
    /* where jansson reads the bytes at all (it refuses, e.g., integers too
     * big for it, which the scan rightly skips over) */
    json_t *v = json_validate(data, size) ? json_loadb((const char *)data, size,
                                                       JSON_DECODE_INT_AS_REAL, NULL)
                                          : NULL;
    if (v) {
        json_t *t = json_object_get(v, "text");
        const char *want = json_is_string(t) ? json_string_value(t) : NULL;
        /* strndup stops at an escaped NUL (\u0000) on both sides */
        if ((want == NULL) != (got == NULL) || (want && strncmp(want, got, strlen(got) + 1) != 0))
            abort();
        json_decref(v);
    }
    char *words[] = {"spam", "very bad phrase", "c++"};
    struct chat_filter f = {.words = words, .nwords = 3, .links = true};
    if (got)
        filter_match(&f, got, strlen(got));
    filter_match(&f, (const char *)data, strnlen((const char *)data, size));
    free(got);
    return 0;
}
