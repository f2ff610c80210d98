/* community/stage.h — the stage of a ritual's room (docs/rituals.md,
 * "Stage"): stage.raise_hand / stage.lower_hand {channel} by a member,
 * stage.accept / stage.dismiss {channel, user} by a host, stage.get
 * {channel}; every change publishes {"type":"stage","speakers":[..],
 * "hands":[..]} into the room. The room's stage is one store record
 * (STAGE_KIND, key = channel: {speakers, hands}, hands in the order raised),
 * read-modify-written per change: two changes of one room at the same
 * instant on two nodes resolve last-writer-wins. At most STAGE_MAX users on
 * each list. Loop thread only; no state of its own. */
#ifndef HEARTH_STAGE_H
#define HEARTH_STAGE_H

struct node;

#define STAGE_KIND "stage"
#define STAGE_MAX 200

int stage_init(struct node *node);

#endif
