/* community/moderation.h — moderation: mutes, bans, kicks, slow mode, the
 * word/link filters, the moderation queue (held messages and reports, the
 * live mod:<namespace> channel) and the audit query (docs/chat.md, "Moderation").
 * One module object per node, built by community_init() after chat (so its
 * publish hooks see the canonical chat message) and freed by
 * community_free(). Loop thread only; no globals.
 *
 * What other modules may ask: moderation_is_muted(); what they may tell:
 * moderation_set_slow_source(). */
#ifndef HEARTH_MODERATION_H
#define HEARTH_MODERATION_H

#include <stdbool.h>

#include "protocol/publication.h"

struct node;
struct moderation;

/* Builds the module and registers its gate hooks (publish and subscribe on
 * chat namespaces, subscribe on "mod", connect), its methods (mod.*,
 * chat.report), its control verb and its resync timer. NULL on failure
 * (logged). */
struct moderation *moderation_new(struct node *node);
/* Stops the timer and closes its handle (call while the loop can still run
 * close callbacks). Store answers that arrive afterwards (the backend's
 * teardown) finish their calls without side effects: no control verbs, no
 * pushes, no publishes, no further store writes. */
void moderation_stop(struct moderation *m);
/* Frees the module (after moderation_stop and the store's last callbacks). */
void moderation_free(struct moderation *m);

/* May user not speak in channel: muted there or in every room, or banned
 * from the room or the community (not yet expired)? For the chat half:
 * chat.react and chat.typing (and edits) answer 103 when it is true. Reads this node's sanction cache (no store round trip), which
 * follows every node's mutes within moments and heals within
 * MOD_RESYNC_MS (docs/chat.md, "Consistency"). user "" is never
 * muted. */
bool moderation_is_muted(const struct moderation *m, const char *user, struct span channel);

/* Another module's say over a room's slow mode (the rituals' room policy by
 * event state): fn answers true with *seconds set when it has a rule for
 * channel. Precedence: a moderator's mod.slow_mode override for the room,
 * then this source, then the namespace's slow_mode. One source; fn runs on
 * the publish path (no store access). */
typedef bool moderation_slow_source(void *ctx, struct span channel, uint32_t *seconds);
void moderation_set_slow_source(struct moderation *m, moderation_slow_source *fn, void *ctx);

#endif
