/* community/events.h — ritual events (docs/rituals.md): the methods
 * event.create / update / cancel / get / list / transition on the node's
 * method table (rpc and /api), the lifecycle publications (event_state,
 * live_now) on the event channel and the announcements channel, and the
 * reminder timer, which fires each reminder once across every node.
 *
 * Each event is one store record (community/event_doc.h), so every node sees
 * the same events and the durable store keeps them across restarts. A
 * change is read-modify-write of that record: two changes of one event at
 * the same instant on two nodes resolve last-writer-wins (the lifecycle only
 * moves forward, so both writers agree on the common case, a repeated
 * click). Reminders are claimed with a RECORD_NX record per (event,
 * occurrence, reminder): whichever node claims it publishes it, so each
 * fires exactly once however many nodes run, and a reminder that came due
 * while every node was down fires when one is back (until the occurrence
 * starts). Loop thread only. */
#ifndef HEARTH_EVENTS_H
#define HEARTH_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct node;
struct event_policy;

#define EVENT_FIRED_KIND "event.fired"
#define EVENTS_TICK_MS 1000

struct events {
    struct node *node;       /* borrowed: the owner */
    uv_timer_t tick;         /* reminders; closed by events_stop() */
    bool scanning;           /* a reminder scan is in flight */
    bool stopped;
    struct event_policy *policy;  /* owned: room policies by state (event_policy.h) */
};

/* Registers the methods and starts the reminder timer. NULL on OOM or when
 * a method name is taken. The caller owns the result (events_free). */
struct events *events_new(struct node *node);
/* Closes the timer (the loop must run afterwards to finish closing it). */
void events_stop(struct events *ev);
void events_free(struct events *ev);

#endif
