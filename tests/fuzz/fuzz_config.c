/* tests/fuzz/fuzz_config.c — libFuzzer target: arbitrary config files through
 * config_load() (jansson parsing and every option's validation). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/hearth-fuzz-cfg-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    struct config c;
    char err[256];
    config_load(&c, path, err, sizeof(err));
    config_free(&c);
    unlink(path);
    return 0;
}
