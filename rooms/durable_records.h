/* rooms/durable_records.h — the store's record mutations on the durable
 * store (see durable_records.c): the memory maps change at once (reads see
 * them), the change is journalled, and the caller is answered after its
 * commit. Same contract as records.h's ops otherwise. Loop thread only. */
#ifndef HEARTH_DURABLE_RECORDS_H
#define HEARTH_DURABLE_RECORDS_H

#include "rooms/durable.h"
#include "rooms/records.h"

/* Makes rs journal every change into d (sets rs's observer). */
void durable_records_attach(struct durable *d, struct records *rs);

int durable_records_put(struct durable *d, struct records *rs, struct span kind,
                        const struct record *r, unsigned flags, int64_t now_ms,
                        store_records_cb *cb, void *arg);
int durable_records_del(struct durable *d, struct records *rs, struct span kind, struct span key,
                        int64_t now_ms, store_records_cb *cb, void *arg);
int durable_records_incr(struct durable *d, struct records *rs, struct span kind, struct span key,
                         int64_t delta, int64_t expire_ms, int64_t now_ms, store_records_cb *cb,
                         void *arg);

#endif
