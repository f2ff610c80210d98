/* util/rand.h — random identifiers from the kernel CSPRNG: client ids
 * (UUIDv4 text) and history epochs (8 letters [a-zA-Z], as Centrifuge). */
#ifndef HEARTH_RAND_H
#define HEARTH_RAND_H

#include <stddef.h>

#define UUID_STR_LEN 36
#define EPOCH_LEN 8

void rand_bytes(void *buf, size_t n);
void rand_uuid(char out[UUID_STR_LEN + 1]);
void rand_epoch(char out[EPOCH_LEN + 1]);
unsigned rand_below(unsigned n); /* uniform-ish in [0, n); n > 0 */

#endif
