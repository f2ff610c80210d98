/* tests/fuzz/fuzz_msgpack.c — libFuzzer target: msgpack frames through the
 * bounds-checked command reader and the encoders. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_frame(WIRE_MSGPACK, data, size);
    return 0;
}
