/* community/chat.h — the chat module (docs/chat.md): in every namespace
 * with "chat": true it makes a publish a chat message (validated, turned
 * into the canonical form, nonce de-duplicated, reply_to checked), shows
 * history with each message's current state (edits, deletes, reactions),
 * and serves the chat.* methods (edit, delete, react, typing, pin, unpin,
 * pins) on rpc and the HTTP API. All its state that nodes share lives in
 * store records (kinds "chat.*", see chat_internal.h); what it keeps in
 * process is only the coalescing of reaction and typing updates.
 *
 * community_init() builds it first, so its publish hook runs before
 * moderation's and moderation sees the canonical message. Loop thread only. */
#ifndef HEARTH_CHAT_H
#define HEARTH_CHAT_H

struct node;
struct chat;

/* Registers the hooks (publish, history view: every namespace whose config
 * has "chat": true, following reloads) and the methods. NULL on OOM or when
 * a method name is taken (logged). */
struct chat *chat_new(struct node *node);
/* Closes the module's loop handles (its coalescing timers); call before the
 * loop's final drain. */
void chat_stop(struct chat *c);
/* Frees the module (after chat_stop and the drain, after the store's last
 * callbacks). NULL-safe. */
void chat_free(struct chat *c);

#endif
