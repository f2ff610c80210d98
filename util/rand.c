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

static void uuid_text(uint8_t b[16], char out[UUID_STR_LEN + 1])
{
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, UUID_STR_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

void rand_uuid(char out[UUID_STR_LEN + 1])
{
    uint8_t b[16];
    rand_bytes(b, sizeof(b));
    uuid_text(b, out);
}

void rand_pool_bytes(struct rand_pool *p, void *out, size_t n)
{
    uint8_t *o = out;
    while (n) {
        if (!p->filled || p->pos == RAND_POOL_SIZE) {
            rand_bytes(p->buf, RAND_POOL_SIZE);
            p->filled = 1;
            p->pos = 0;
        }
        size_t k = RAND_POOL_SIZE - p->pos < n ? RAND_POOL_SIZE - p->pos : n;
        memcpy(o, p->buf + p->pos, k);
        memset(p->buf + p->pos, 0, k); /* handed out: not kept in memory */
        p->pos += k;
        o += k;
        n -= k;
    }
}

void rand_pool_uuid(struct rand_pool *p, char out[UUID_STR_LEN + 1])
{
    uint8_t b[16];
    rand_pool_bytes(p, b, sizeof(b));
    uuid_text(b, out);
}

unsigned rand_pool_below(struct rand_pool *p, unsigned n)
{
    uint32_t v;
    rand_pool_bytes(p, &v, sizeof(v));
    return (unsigned)(v % n);
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
