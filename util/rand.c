/* util/rand.c — random identifiers (see rand.h). */
#include "util/rand.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void rand_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r <= 0)
            continue; /* EINTR; getrandom does not fail otherwise once seeded */
        p += r;
        n -= (size_t)r;
    }
}

void rand_uuid(char out[UUID_STR_LEN + 1])
{
    uint8_t b[16];
    rand_bytes(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, UUID_STR_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

void rand_epoch(char out[EPOCH_LEN + 1])
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (int i = 0; i < EPOCH_LEN; i++)
        out[i] = letters[rand_below(52)];
    out[EPOCH_LEN] = 0;
}

unsigned rand_below(unsigned n)
{
    uint32_t v;
    rand_bytes(&v, sizeof(v));
    return (unsigned)(v % n);
}
