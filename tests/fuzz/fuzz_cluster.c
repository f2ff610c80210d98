/* tests/fuzz/fuzz_cluster.c — libFuzzer target: a cross-node control verb as
 * another node would send it (untrusted bytes from Redis pub/sub). Input:
 * "<verb>\n<payload>". It goes through node_control_on_message() exactly as
 * the engine's on_control event delivers it: the registry's verb lookup,
 * the user verbs' msgpack payload decoders (node/user_verbs.c: disconnect,
 * unsubscribe, subscribe, refresh, user.message) with server/cluster.c's
 * range checks, and moderation's text verb mod.sanction, on a node with no
 * sockets (tests/fuzz/fuzz_node.h). Leaks and crashes are findings. */
#include <stdint.h>
#include <string.h>

#include "node/control.h"
#include "tests/fuzz/fuzz_node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < CONTROL_VERB_MAX ? size : CONTROL_VERB_MAX);
    if (!nl)
        return 0;
    struct server *srv = fuzz_node();
    struct control_msg m = {
        .verb = {data, (size_t)(nl - data)},
        .payload = {nl + 1, size - (size_t)(nl - data) - 1},
    };
    node_control_on_message(&srv->node, &m);
    return 0;
}
