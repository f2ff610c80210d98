/* tests/fuzz/fuzz_json.c — libFuzzer target: JSON frames through the command
 * reader and the encoders, and arbitrary bytes through json_validate(). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_validate(data, size);
    fuzz_frame(WIRE_JSON, data, size);
    return 0;
}
