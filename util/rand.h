/* util/rand.h — random identifiers from the kernel CSPRNG: client ids
 * (UUIDv4 text) and history epochs (8 letters [a-zA-Z], as Centrifuge).
 * A struct rand_pool (one per node, loop thread only) serves the same
 * kernel bytes from a buffer filled RAND_POOL_SIZE at a time, so the
 * connect path (a client id, a ping phase) costs no getrandom call per
 * connection; each byte is handed out once. */
#ifndef HEARTH_RAND_H
#define HEARTH_RAND_H

#include <stddef.h>

#define UUID_STR_LEN 36
#define EPOCH_LEN 8

void rand_bytes(void *buf, size_t n);
void rand_uuid(char out[UUID_STR_LEN + 1]);
void rand_epoch(char out[EPOCH_LEN + 1]);
unsigned rand_below(unsigned n); /* uniform-ish in [0, n); n > 0 */

#define RAND_POOL_SIZE 512
struct rand_pool {
    unsigned char buf[RAND_POOL_SIZE];
    size_t pos;            /* next unused byte; RAND_POOL_SIZE (or 0-initialised: see .c) = refill */
    int filled;            /* buf holds kernel bytes */
};
void rand_pool_bytes(struct rand_pool *p, void *out, size_t n);
void rand_pool_uuid(struct rand_pool *p, char out[UUID_STR_LEN + 1]);
unsigned rand_pool_below(struct rand_pool *p, unsigned n);

#endif
