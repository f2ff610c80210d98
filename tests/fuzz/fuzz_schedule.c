/* tests/fuzz/fuzz_schedule.c — libFuzzer target: arbitrary JSON through the
 * ritual schedule parser (community/schedule.c), then the first occurrences
 * and the next one after a few instants of whatever it accepted. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "community/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *o = json_loadb((const char *)data, size, 0, &je);
    if (!o)
        return 0;
    struct schedule s;
    char err[256];
    if (schedule_parse(o, &s, err, sizeof(err)) == 0) {
        int64_t t;
        uint32_t n;
        for (uint32_t k = 1; k <= 4; k++)
            if (schedule_occurrence(&s, k, &t) != 0)
                break;
        schedule_occurrence(&s, SCHEDULE_MAX_OCCURRENCES, &t);
        schedule_occurrence(&s, SCHEDULE_MAX_OCCURRENCES + 1, &t);
        int64_t probes[] = {0, 1796925600000LL, 253402300799000LL, -1};
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
            schedule_next(&s, probes[i], &n, &t);
    }
    json_decref(o);
    return 0;
}
