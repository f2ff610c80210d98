/* tests/fuzz/fuzz_api.c — libFuzzer target: the HTTP server API body path.
 * Input: "<method>\n<body>". The body goes through api_call() exactly as a
 * POST /api/<method> would (jansson parsing, every method's field checks,
 * the memory engine behind publish/history/presence, batch nesting) on a
 * node with no sockets: a struct server holding the demo config, a memory
 * engine, a hub and the method table filled by the real api_register().
 * Every reply is freed; leaks and crashes are findings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/api.h"
#include "tests/fuzz/fuzz_node.h"

static void done(void *arg, const struct method_reply *r)
{
    (*(int *)arg)++;
    json_decref(r->result);
    free(r->text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < 32 ? size : 32);
    if (!nl)
        return 0;
    char method[32];
    size_t mlen = (size_t)(nl - data);
    memcpy(method, data, mlen);
    method[mlen] = 0;
    int calls = 0;
    struct server *srv = fuzz_node();
    int status = api_call(srv, method, (const char *)nl + 1, size - mlen - 1, done, &calls);
    if (status == 0 && calls != 1) /* the memory engine answers at once, exactly once */
        abort();
    return 0;
}
