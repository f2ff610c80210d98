/* tests/fuzz/fuzz_chat.c — libFuzzer target: arbitrary bytes through the
 * chat message validator and canonical form (community/chat_message.c),
 * with limits taken from the first two input bytes; every accepted message's
 * canonical form must itself be valid JSON that parses back as an object;
 * the same bytes go through the emoji rule and the text cleaner. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "community/chat_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct chat_limits lim = {.max_text = 2000, .max_mentions = 10};
    if (size >= 2) {
        lim.max_text = 1u + data[0] * 8u;
        lim.max_mentions = data[1] % 16u;
        data += 2;
        size -= 2;
    }
    struct chat_message m;
    if (chat_message_parse(data, size, &lim, 1700000000000LL, &m) == 0) {
        json_t *back = json_loadb(m.json, m.len, 0, NULL);
        if (!json_is_object(back) || !json_is_string(json_object_get(back, "text")))
            abort();
        json_decref(back);
    }
    chat_message_free(&m);
    (void)chat_emoji_ok((const char *)data, size);
    char *clean;
    size_t clen;
    const char *why;
    if (chat_text_clean((const char *)data, size, lim.max_text, &clean, &clen, &why) == 0) {
        if (!clen || memchr(clean, '\r', clen))
            abort();
        free(clean);
    }
    return 0;
}
