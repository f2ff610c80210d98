/* server/lws_alloc.c — where libwebsockets' big short-lived buffers live.
 *
 * Every handshake borrows an HTTP header table from lws (its struct and
 * max_http_header_data bytes, ~5 KB) for the moment between accept and the
 * WebSocket upgrade. From glibc's heap those blocks sit between the small
 * long-lived allocations of the connections made at the same time (their
 * wsi, client, subscription), and once freed they leave holes that are not
 * whole pages: after a storm of 10,000 connects, 512 at a time, ~2 MB of the
 * heap stayed resident as holes — 200 B of RSS per idle connection.
 *
 * lws lets the application replace its allocator (lws_set_allocator). This
 * one hands every lws allocation of BIG_MIN..SLOT_SIZE bytes a slot in a
 * region of its own (reserved address space, pages touched on use) and
 * sends everything else to glibc. Freed slots are reused at once (no
 * syscall on the handshake path); server_lws_alloc_trim(), from the
 * server's tick after a burst, gives the pages of all but SLOTS_KEPT free
 * slots back (MADV_DONTNEED), so the region then holds what is in use plus
 * a small reserve.
 * A free tells the region's blocks from glibc's by address.
 *
 * lws_set_allocator() takes a bare function pointer with no argument, so
 * this allocator's state is necessarily process-wide: the one piece of
 * global state besides the config and the loop, owned by this file, set
 * up once by server_lws_alloc_install() before the lws context exists and
 * used from the loop thread only (lws runs nowhere else). */
#include "server/server.h"

#include <libwebsockets.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLOT_SIZE 8192u      /* a header table (struct + 4 KB of header data) fits */
#define BIG_MIN 2048u        /* smaller blocks stay in glibc's heap */
#define SLOTS 8192u          /* 64 MB of address space, touched only as used */
#define SLOTS_KEPT 64u       /* free slots kept resident for the next handshakes */

static struct {
    uint8_t *base;           /* the region (mmap, never unmapped), NULL = not installed */
    uint32_t fresh;          /* slots [fresh, SLOTS) were never used */
    uint32_t nfree;          /* free[0..nfree): freed slots, the last freed on top */
    uint32_t released;       /* free[0..released) have no pages (trimmed) */
    uint32_t free[SLOTS];
} big;

static int in_region(const void *p)
{
    return big.base && (const uint8_t *)p >= big.base &&
           (const uint8_t *)p < big.base + (size_t)SLOTS * SLOT_SIZE;
}

static void *slot_take(void)
{
    uint32_t i;
    if (big.nfree) {
        i = big.free[--big.nfree];
        if (big.released > big.nfree)
            big.released = big.nfree; /* a trimmed slot: its pages come back on touch */
    }
    else if (big.fresh < SLOTS)
        i = big.fresh++;
    else
        return NULL; /* region full: glibc takes it */
    return big.base + (size_t)i * SLOT_SIZE;
}

static void slot_give(void *p)
{
    big.free[big.nfree++] = (uint32_t)(((uint8_t *)p - big.base) / SLOT_SIZE);
}

void server_lws_alloc_trim(void)
{
    /* the stack is LIFO: the most recently freed (warm) slots are on top */
    for (; big.released + SLOTS_KEPT < big.nfree; big.released++)
        madvise(big.base + (size_t)big.free[big.released] * SLOT_SIZE, SLOT_SIZE, MADV_DONTNEED);
}

/* lws's realloc contract: size 0 frees (returns NULL), ptr NULL allocates. */
static void *lws_alloc(void *ptr, size_t size, const char *reason)
{
    (void)reason;
    if (ptr && in_region(ptr)) {
        if (!size) {
            slot_give(ptr);
            return NULL;
        }
        if (size <= SLOT_SIZE)
            return ptr;
        void *n = malloc(size);
        if (!n)
            return NULL;
        memcpy(n, ptr, SLOT_SIZE);
        slot_give(ptr);
        return n;
    }
    if (!size) {
        free(ptr);
        return NULL;
    }
    if (!ptr && size >= BIG_MIN && size <= SLOT_SIZE) {
        void *p = slot_take();
        if (p)
            return p;
    }
    return realloc(ptr, size);
}

void server_lws_alloc_install(void)
{
    if (big.base)
        return;
    void *r = mmap(NULL, (size_t)SLOTS * SLOT_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED)
        return; /* lws keeps glibc for everything: only the idle memory suffers */
    big.base = r;
    lws_set_allocator(lws_alloc);
}
