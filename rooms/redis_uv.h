/* rooms/redis_uv.h — our own hiredis ↔ libuv adapter (one uv_poll_t per
 * async context), used instead of hiredis 0.14.1's adapters/libuv.h, which
 * drops poll errors (libuv reports EPOLLERR as status UV_EBADF and stops the
 * handle; the stock adapter returns early, so a connect to a Redis that is
 * down never completes or fails). On an error status we hand hiredis the
 * events we had asked for, so it reads SO_ERROR / the failed read itself and
 * reports the failure through its connect or disconnect callback. */
#ifndef HEARTH_REDIS_UV_H
#define HEARTH_REDIS_UV_H

#include <hiredis/async.h>
#include <uv.h>

/* Attaches ac to loop. Returns 0, or -1 (then the caller redisAsyncFree()s
 * ac; nothing was allocated). The adapter state is owned by ac: hiredis's
 * cleanup hook closes the poll handle and frees it in the close callback. */
int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
